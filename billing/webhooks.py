"""Acting on Stripe webhooks: verify, store each event once by its id, dispatch to the order's state move."""

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import gateway
from .models import Order, OrderStatus, StripeEvent
from .services import order_mark_paid, order_mark_refunded, order_move

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


def _on_session_completed(session: dict[str, Any]) -> str:
    order = _order_for_session(session)
    if order is None:
        logger.warning("checkout.session.completed for unknown session %s", session.get("id"))
        return "unknown session"
    if session.get("payment_status") != "paid":
        # Delayed methods (bank debits): the money is not there yet; async_payment_* will tell.
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if session.get("payment_intent") and not locked.stripe_payment_intent:
            locked.stripe_payment_intent = session["payment_intent"]
            locked.save(update_fields=["stripe_payment_intent", "updated_at"])
        return "awaiting payment"
    return order_mark_paid(order.pk, session)


def _on_async_succeeded(session: dict[str, Any]) -> str:
    order = _order_for_session(session)
    if order is None:
        logger.warning("async payment for unknown session %s", session.get("id"))
        return "unknown session"
    return order_mark_paid(order.pk, session)


def _closing(status: str, label: str) -> Callable[[dict[str, Any]], str]:
    def handle(session: dict[str, Any]) -> str:
        order = _order_for_session(session)
        if order is None:
            logger.warning("%s for unknown session %s", label, session.get("id"))
            return "unknown session"
        order = Order.objects.select_for_update().get(pk=order.pk)
        return (
            status
            if order_move(order, status, data={"session": session.get("id")})
            else f"ignored ({order.status})"
        )

    return handle


def _on_charge_refunded(charge: dict[str, Any]) -> str:
    if not charge.get("refunded"):
        return "partial refund: no change"
    payment_intent = charge.get("payment_intent") or ""
    order = Order.objects.filter(stripe_payment_intent=payment_intent).first() if payment_intent else None
    if order is None and payment_intent:
        # The refund can overtake the completion event: ask Stripe which order the payment was for.
        intent = gateway.payment_intent_fetch(payment_intent)
        if intent is None:
            raise gateway.GatewayError("payment intent not available")  # 500: Stripe will re-send
        reference = (intent.get("metadata") or {}).get("order")
        try:
            order = Order.objects.filter(reference=uuid.UUID(str(reference))).first()
        except ValueError:
            order = None
    if order is None:
        logger.warning("charge.refunded for unknown payment %s", payment_intent)
        return "unknown payment"
    return order_mark_refunded(order.pk, payment_intent)


EVENT_HANDLERS: dict[str, Callable[[dict[str, Any]], str]] = {
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
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(stripe_id=event["id"], type=event["type"], payload=event)
        except IntegrityError:
            logger.info("Stripe event %s already received", event["id"])
            return "duplicate"
        handler = EVENT_HANDLERS.get(event["type"])
        outcome = handler(event["data"]["object"]) if handler else "ignored"
        record.processed_at = timezone.now()
        record.outcome = outcome
        record.save(update_fields=["processed_at", "outcome"])
    return outcome
