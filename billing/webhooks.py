"""Acting on Stripe webhooks: verify, store each event once by its id, dispatch to the order's state move.

What a handler needs from Stripe (a receipt link, the order a refunded payment belongs to) is asked
*before* the transaction opens: no row is locked while waiting on the network, and every lock is
taken in the documented order, the learner's row first (docs/architecture-locks.md).
"""

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import gateway
from .models import Order, OrderStatus, StripeEvent
from .services import order_lock, order_mark_paid, order_mark_refunded, order_move, receipt_url_fetch

# What was asked of Stripe before the transaction, for the handler to use inside it.
Facts = dict[str, Any]

logger = logging.getLogger(__name__)


# --- Webhook events -------------------------------------------------------------------------------


def _order_for_session(session: dict[str, Any]) -> Order | None:
    order = Order.objects.filter(stripe_session_id=session.get("id")).first()
    if order is None:
        # Our reference travels as client_reference_id: it finds an order whose session id we did
        # not get to store (the create response was lost), but never one bound to another session.
        try:
            reference = uuid.UUID(str(session.get("client_reference_id")))
        except ValueError:
            return None
        order = Order.objects.filter(reference=reference, stripe_session_id__isnull=True).first()
    return order


def _receipt_first(session: dict[str, Any]) -> Facts:
    """Before the transaction: the receipt link of a paid session whose order does not have one."""
    payment_intent = session.get("payment_intent")
    if session.get("payment_status") != "paid" or not isinstance(payment_intent, str) or not payment_intent:
        return {}
    order = _order_for_session(session)
    if order is None or order.receipt_url or order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        return {}
    return {"receipt_url": receipt_url_fetch(payment_intent)}


def _on_session_completed(session: dict[str, Any], facts: Facts) -> str:
    order = _order_for_session(session)
    if order is None:
        logger.warning("checkout.session.completed for unknown session %s", session.get("id"))
        return "unknown session"
    if session.get("payment_status") != "paid":
        # Delayed methods (bank debits): the money is not there yet; async_payment_* will tell.
        locked = order_lock(order.pk)
        if session.get("payment_intent") and not locked.stripe_payment_intent:
            locked.stripe_payment_intent = session["payment_intent"]
            locked.save(update_fields=["stripe_payment_intent", "updated_at"])
        return "awaiting payment"
    return order_mark_paid(order.pk, session, receipt_url=facts.get("receipt_url", ""))


def _on_async_succeeded(session: dict[str, Any], facts: Facts) -> str:
    order = _order_for_session(session)
    if order is None:
        logger.warning("async payment for unknown session %s", session.get("id"))
        return "unknown session"
    return order_mark_paid(order.pk, session, receipt_url=facts.get("receipt_url", ""))


def _closing(status: str, label: str) -> Callable[[dict[str, Any], Facts], str]:
    def handle(session: dict[str, Any], facts: Facts) -> str:
        order = _order_for_session(session)
        if order is None:
            logger.warning("%s for unknown session %s", label, session.get("id"))
            return "unknown session"
        order = order_lock(order.pk)
        return (
            status
            if order_move(order, status, data={"session": session.get("id")})
            else f"ignored ({order.status})"
        )

    return handle


def _refund_order_first(charge: dict[str, Any]) -> Facts:
    """Before the transaction: a refund can overtake the completion event, so the payment is not
    known yet; ask Stripe which order it was for."""
    payment_intent = charge.get("payment_intent") or ""
    if not charge.get("refunded") or not isinstance(payment_intent, str) or not payment_intent:
        return {}
    if Order.objects.filter(stripe_payment_intent=payment_intent).exists():
        return {}
    intent = gateway.payment_intent_fetch(payment_intent)
    if intent is None:
        raise gateway.GatewayError("payment intent not available")  # 503: Stripe will re-send
    return {"order_reference": (intent.get("metadata") or {}).get("order")}


def _on_charge_refunded(charge: dict[str, Any], facts: Facts) -> str:
    if not charge.get("refunded"):
        return "partial refund: no change"
    payment_intent = charge.get("payment_intent") or ""
    order = Order.objects.filter(stripe_payment_intent=payment_intent).first() if payment_intent else None
    if order is None and "order_reference" in facts:
        try:
            order = Order.objects.filter(reference=uuid.UUID(str(facts["order_reference"]))).first()
        except ValueError:
            order = None
    if order is None:
        logger.warning("charge.refunded for unknown payment %s", payment_intent)
        return "unknown payment"
    return order_mark_refunded(order.pk, payment_intent)


# Network look-ups, run before the transaction; handlers then act on the database only.
EVENT_LOOKUPS: dict[str, Callable[[dict[str, Any]], Facts]] = {
    "checkout.session.completed": _receipt_first,
    "checkout.session.async_payment_succeeded": _receipt_first,
    "charge.refunded": _refund_order_first,
}

EVENT_HANDLERS: dict[str, Callable[[dict[str, Any], Facts], str]] = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_async_succeeded,
    "checkout.session.async_payment_failed": _closing(OrderStatus.FAILED, "async_payment_failed"),
    "checkout.session.expired": _closing(OrderStatus.CANCELLED, "expired"),
    "charge.refunded": _on_charge_refunded,
}


def webhook_receive(*, payload: bytes, signature: str | None) -> str:
    """Verify a delivery (raises WebhookRejected), then store it and act on it exactly once.

    The event row is inserted first, in the same transaction as the action: a duplicate delivery
    (even a simultaneous one, which waits on the unique index) finds it and changes nothing, and an
    action that fails rolls the row back too, so Stripe's retry is processed afresh.
    """
    event = gateway.webhook_verify(payload=payload, signature=signature)
    if StripeEvent.objects.filter(stripe_id=event["id"]).exists():
        logger.info("Stripe event %s already received", event["id"])
        return "duplicate"  # a re-send: not worth asking Stripe anything
    lookup = EVENT_LOOKUPS.get(event["type"])
    facts = lookup(event["data"]["object"]) if lookup else {}  # outside any transaction
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(stripe_id=event["id"], type=event["type"], payload=event)
        except IntegrityError:
            logger.info("Stripe event %s already received", event["id"])
            return "duplicate"
        handler = EVENT_HANDLERS.get(event["type"])
        outcome = handler(event["data"]["object"], facts) if handler else "ignored"
        record.processed_at = timezone.now()
        record.outcome = outcome
        record.save(update_fields=["processed_at", "outcome"])
    return outcome
