"""Writes for payments: prices, orders and their state moves, passes, and acting on Stripe events."""

import logging
from collections.abc import Collection, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import lock_learner
from accounts.models import User
from audit.services import audit_record
from credits import grants
from credits import services as credit_services
from credits.calendar_years import add_years
from credits.certificates import certificate_revoke
from credits.errors import CreditError, ServiceError
from credits.models import Activity, Certificate, CreditClaim, Provider

from . import gateway, seats
from .audit_actions import ORDER_MOVED_TO, BillingAction
from .gateway import payments_enabled
from .models import (
    ORDER_TRANSITIONS,
    ActivityFee,
    CmePass,
    Order,
    OrderKind,
    OrderStatus,
    ProviderBilling,
)

logger = logging.getLogger(__name__)

REFUND_REASON = "payment refunded"


class BillingError(ServiceError):
    """A payment action that cannot be done; ``message`` says why, for people (credits.errors)."""


# --- Prices (coordinators) ------------------------------------------------------------------------


def _billing_for(provider: Provider) -> ProviderBilling:
    billing, _created = ProviderBilling.objects.get_or_create(provider=provider)
    return billing


@transaction.atomic
def activity_fee_set(*, activity: Activity, actor: User | None, amount: int) -> ActivityFee:
    if not payments_enabled():
        raise BillingError(_("Payments are off: no Stripe key is configured."), code="disabled")
    if not grants.activity_is_changeable(activity):  # frozen: the show's hosts ended the provider's access
        raise BillingError(grants.activity_lock_message(activity), code="not_granted")
    fee, _created = ActivityFee.objects.select_for_update().get_or_create(activity=activity)
    before = fee.amount
    fee.amount = amount
    fee.full_clean()
    fee.save()
    if before != amount or _created:
        audit_record(actor=actor, action=BillingAction.FEE_SET, obj=fee, data={"from": before, "to": amount})
    return fee


@transaction.atomic
def provider_billing_set(
    *, provider: Provider, actor: User | None, currency: str, pass_price: int | None
) -> ProviderBilling:
    if not payments_enabled():
        raise BillingError(_("Payments are off: no Stripe key is configured."), code="disabled")
    billing = _billing_for(provider)
    billing = ProviderBilling.objects.select_for_update().get(pk=billing.pk)
    if billing.currency != currency and Order.objects.open().filter(provider=provider).exists():
        raise BillingError(
            _("Payments are in progress in %(cur)s: change the currency once they are settled.")
            % {"cur": billing.currency.upper()},
            code="open_orders",
        )
    changed = {"currency": [billing.currency, currency], "pass_price": [billing.pass_price, pass_price]}
    billing.currency = currency
    billing.pass_price = pass_price
    billing.full_clean()
    billing.save()
    audit_record(actor=actor, action=BillingAction.BILLING_SET, obj=billing, data=changed)
    return billing


# --- Checkout (learners) --------------------------------------------------------------------------


def claim_fee(activity: Activity) -> tuple[int, str] | None:
    """(amount, currency) when claiming this activity costs money; None when it is free."""
    if not payments_enabled():
        return None
    fee = ActivityFee.objects.filter(activity=activity, amount__gt=0).first()
    if fee is None:
        return None
    billing = ProviderBilling.objects.filter(provider_id=activity.provider_id).first()
    return fee.amount, (billing.currency if billing else "usd")


def _kinds_chosen(credit_kinds: Collection[str] | None) -> list[str] | None:
    """The credit types as the order keeps them: each once, in order; None stays None (every type
    the learner's profession may claim, credits.credit_types.check_requested)."""
    if credit_kinds is None:
        return None
    return list(dict.fromkeys(str(kind) for kind in credit_kinds))


def claim_checkout_start(
    *,
    learner: User,
    activity: Activity,
    minutes: int,
    attested: bool,
    listening_evidence: dict[str, Any] | None = None,
    moc_optins: Mapping[str, str] | None = None,
    credit_kinds: Collection[str] | None = None,
) -> Order | None:
    """Start paying for a claim: our Order first, then its Checkout Session.

    None when no fee applies (payments off, a free activity, or a valid pass): claim directly.
    A second submit while an order is open reuses that order and its session, with the choices
    sent now. The learner's choices (MOC opt-ins {board: board id}, the further credit types; see
    credits.services.claim_credit) pass the claim's own rule here, before any money moves, and are
    kept on the order with the time they were made: the webhook claims with exactly those.
    """
    price = claim_fee(activity)
    if price is None or is_covered(learner=learner, provider_id=activity.provider_id):
        return None
    amount, currency = price
    kinds = _kinds_chosen(credit_kinds)
    with transaction.atomic():
        lock_learner(learner.pk)  # one submit at a time; the learner before the order, always
        try:  # the claim's own rule, before any money moves: nobody pays for a claim it would refuse
            checked = credit_services.claim_check(
                learner=learner,
                activity=activity,
                minutes=minutes,
                attested=attested,
                moc_optins=moc_optins,
                credit_kinds=kinds,
            )
        except CreditError as error:
            raise BillingError(error.message, code=error.code) from None
        optins = {optin.board: optin.board_id for optin in checked.moc_optins}  # as checked (stripped)
        now = timezone.now()
        order = (
            Order.objects.select_for_update()
            .filter(learner=learner, activity=activity, kind=OrderKind.CLAIM)
            .filter(status__in=[OrderStatus.CREATED, OrderStatus.PENDING, OrderStatus.PAID])
            .first()
        )
        if order is not None and order.status == OrderStatus.PAID:
            raise BillingError(_("You have already paid for this claim."), code="already_paid")
        if order is None:
            order = Order.objects.create(
                learner=learner,
                kind=OrderKind.CLAIM,
                provider_id=activity.provider_id,
                activity=activity,
                amount=amount,
                currency=currency,
                claim_minutes=minutes,
                claim_attested=attested,
                listening_evidence=listening_evidence or {},
                claim_moc_optins=optins,
                claim_credit_kinds=kinds,
                claim_choices_at=now,
            )
            audit_record(
                actor=learner,
                action=BillingAction.ORDER_CREATED,
                obj=order,
                data={
                    "kind": order.kind,
                    "activity": activity.pk,
                    "amount": amount,
                    "currency": currency,
                    "minutes": minutes,
                    "moc": optins,
                    "credit_kinds": kinds,
                },
            )
        else:  # the same claim, submitted again: keep what the learner reports and chooses now
            before = _claim_as_sent(order)
            order.claim_minutes = minutes
            order.claim_attested = attested
            order.listening_evidence = listening_evidence or {}
            order.claim_moc_optins = optins
            order.claim_credit_kinds = kinds
            order.claim_choices_at = now
            order.save(
                update_fields=[
                    "claim_minutes", "claim_attested", "listening_evidence", "claim_moc_optins",
                    "claim_credit_kinds", "claim_choices_at", "updated_at",
                ]
            )  # fmt: skip
            after = _claim_as_sent(order)
            if after != before:
                audit_record(
                    actor=learner,
                    action=BillingAction.ORDER_CLAIM_CHANGED,
                    obj=order,
                    data={"old": before, "new": after},
                )
    return order_checkout(order=order)


def _claim_as_sent(order: Order) -> dict[str, Any]:
    """What a claim order will claim, as its audit rows record it."""
    return {
        "minutes": order.claim_minutes,
        "attested": order.claim_attested,
        "moc": dict(order.claim_moc_optins or {}),
        "credit_kinds": order.claim_credit_kinds,
    }


def claim_submit(
    *,
    learner: User,
    activity: Activity,
    minutes: int,
    attested: bool,
    listening_evidence: dict[str, Any] | None = None,
    moc_optins: Mapping[str, str] | None = None,
    credit_kinds: Collection[str] | None = None,
) -> Order | CreditClaim:
    """The learner sends the claim form: pay first when a fee applies, otherwise claim now.

    Returns the Order (with its Checkout Session) when a fee applies and no valid pass covers it:
    the claim is made when the webhook confirms the payment (``_fulfil``), with the choices made
    now (``moc_optins`` {board: board id}, ``credit_kinds``; None: every type the learner's
    profession may claim). Otherwise the claim. Both ways apply credits.services.claim_check()
    first, choices included; every refusal is a BillingError carrying that rule's message and code
    (``already_claimed`` when a concurrent submit won).
    """
    order = claim_checkout_start(
        learner=learner,
        activity=activity,
        minutes=minutes,
        attested=attested,
        listening_evidence=listening_evidence,
        moc_optins=moc_optins,
        credit_kinds=credit_kinds,
    )
    if order is not None:
        return order
    try:
        return credit_services.claim_credit(
            learner=learner,
            activity=activity,
            minutes=minutes,
            attested=attested,
            listening_evidence=listening_evidence,
            moc_optins=moc_optins,
            credit_kinds=_kinds_chosen(credit_kinds),
        )
    except CreditError as error:
        raise BillingError(error.message, code=error.code) from None


def pass_checkout_start(*, learner: User, provider: Provider) -> Order:
    """Start buying the provider's annual pass (a one-off payment; see docs/payments.md for why)."""
    billing = ProviderBilling.objects.filter(provider=provider).first()
    if not payments_enabled() or billing is None or not billing.pass_price:
        raise BillingError(_("This provider does not sell an annual pass."), code="no_pass")
    current = CmePass.objects.valid().filter(learner=learner, provider=provider).first()
    if current is not None:
        raise BillingError(
            _("Your pass is valid until %(date)s.") % {"date": f"{current.valid_until:%Y-%m-%d}"},
            code="already_holds_pass",
        )
    with transaction.atomic():
        lock_learner(learner.pk)
        order = Order.objects.open().filter(learner=learner, provider=provider, kind=OrderKind.PASS).first()
        if order is None:
            order = Order.objects.create(
                learner=learner,
                kind=OrderKind.PASS,
                provider=provider,
                amount=billing.pass_price,
                currency=billing.currency,
            )
            audit_record(
                actor=learner,
                action=BillingAction.ORDER_CREATED,
                obj=order,
                data={"kind": order.kind, "amount": order.amount, "currency": order.currency},
            )
    return order_checkout(order=order)


def _product_name(order: Order) -> str:
    if order.kind == OrderKind.SEATS:
        return seats.product_name(order)
    if order.kind == OrderKind.PASS:
        return _("Annual CME pass — %(provider)s") % {"provider": order.provider.name}
    return _("CME credit — %(activity)s") % {"activity": _claim_activity(order).title}


def _claim_activity(order: Order) -> Activity:
    """The activity a claim order pays for (the check constraint billing_claim_order_has_activity)."""
    if order.activity is None:
        raise ValueError(f"Claim order {order.reference} has no activity.")
    return order.activity


def order_checkout(*, order: Order) -> Order:
    """Give the order its Checkout Session. The call is outside any transaction (it is the network)
    and carries the order's stable idempotency key, so repeating it returns the same session."""
    if order.status == OrderStatus.PENDING and order.checkout_url:
        return order
    if order.status != OrderStatus.CREATED:
        raise BillingError(_("This order is closed: start again from the claim page."), code="closed")
    page = settings.SITE_URL + reverse("billing:order", args=[order.reference])
    try:
        session = gateway.checkout_session_create(
            idempotency_key=order.idempotency_key,
            reference=str(order.reference),
            kind=order.kind,
            amount=order.amount,
            currency=order.currency,
            product_name=_product_name(order),
            customer_email=order.learner.email,
            success_url=page + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=settings.SITE_URL + reverse("billing:order_cancel", args=[order.reference]),
        )
    except gateway.GatewayError:
        raise BillingError(
            _("The payment service did not answer. Nothing was charged: please try again."), code="gateway"
        ) from None
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.CREATED:
            order.stripe_session_id = session["id"]
            order.checkout_url = session.get("url") or ""
            order.save(update_fields=["stripe_session_id", "checkout_url", "updated_at"])
            order_move(order, OrderStatus.PENDING, data={"session": session["id"]})
    return order


def order_cancel(*, order: Order, actor: User) -> Order:
    """The learner left the checkout: close the session at Stripe first, so it can no longer be paid."""
    if not order.is_open:
        return order
    if order.stripe_session_id and not gateway.checkout_session_expire(order.stripe_session_id):
        # Stripe refuses to expire a session that was just paid: the webhook will say so.
        raise BillingError(
            _("This payment may already have gone through; we are waiting for Stripe to confirm it."),
            code="maybe_paid",
        )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order_move(order, OrderStatus.CANCELLED, actor=actor, data={"by": "learner"})
    return order


# --- State moves ----------------------------------------------------------------------------------


def order_move(
    order: Order, to: str, *, actor: User | None = None, data: dict[str, Any] | None = None
) -> bool:
    """Move a locked order along ORDER_TRANSITIONS; False (and nothing written) for any other move."""
    if to not in ORDER_TRANSITIONS[order.status]:
        return False
    before = order.status
    order.status = to
    now = timezone.now()
    fields = ["status", "updated_at"]
    if to == OrderStatus.PAID:
        order.paid_at = now
        fields.append("paid_at")
    if to == OrderStatus.REFUNDED:
        order.refunded_at = now
        fields.append("refunded_at")
    order.save(update_fields=fields)
    audit_record(actor=actor, action=ORDER_MOVED_TO[to], obj=order, data={"from": before, **(data or {})})
    return True


def has_valid_pass(*, learner: User, provider_id: int) -> bool:
    return CmePass.objects.valid().filter(learner=learner, provider_id=provider_id).exists()


def is_covered(*, learner: User, provider_id: int) -> bool:
    """The one rule for "this learner's claims of the provider's activities need no payment": their
    own valid annual pass, or a seat at an institution of that provider (billing/seats.py)."""
    return has_valid_pass(learner=learner, provider_id=provider_id) or seats.covers(
        learner=learner, provider_id=provider_id
    )


def _fulfil(order: Order) -> None:
    """What the payment buys: the claim (its certificate follows on commit), the pass, or seats."""
    if order.kind == OrderKind.SEATS:
        seats.seats_fulfil(order)
        return
    if order.kind == OrderKind.PASS:
        now = timezone.now()
        cme_pass = CmePass.objects.create(
            learner=order.learner,
            provider=order.provider,
            order=order,
            valid_from=now,
            valid_until=add_years(now, 1),
        )
        audit_record(
            actor=None, action=BillingAction.PASS_STARTED, obj=cme_pass, data={"order": str(order.reference)}
        )
        return
    try:
        claim = credit_services.claim_credit(
            learner=order.learner,
            activity=_claim_activity(order),
            minutes=order.claim_minutes or 0,
            attested=order.claim_attested,
            listening_evidence=order.listening_evidence,
            # Exactly what the learner chose at checkout (claim_checkout_start checked them), and
            # the MOC consent given then, not now.
            moc_optins=order.claim_moc_optins or None,
            credit_kinds=order.claim_credit_kinds,
            moc_consented_at=order.claim_choices_at,
        )
    except credit_services.CreditError as error:
        # Paid but not claimable any more (e.g. claimed meanwhile): kept visible for a refund by hand.
        order.fulfilment_error = error.message[:500]
        order.save(update_fields=["fulfilment_error", "updated_at"])
        audit_record(
            actor=None, action=BillingAction.ORDER_FULFILMENT_FAILED, obj=order, data={"reason": error.code}
        )
        logger.error("paid order %s could not be fulfilled: %s", order.reference, error.message)
        return
    order.claim = claim
    order.save(update_fields=["claim", "updated_at"])


def receipt_url_fetch(payment_intent_id: str) -> str:
    """The charge's receipt link, asked of Stripe ("" if it does not answer: the payment still counts).

    A network call: never made inside a transaction (docs/architecture-locks.md).
    """
    intent = gateway.payment_intent_fetch(payment_intent_id)
    charge = (intent or {}).get("latest_charge")
    if isinstance(charge, dict) and isinstance(charge.get("receipt_url"), str):
        return charge["receipt_url"][:2000]
    return ""


def order_lock(order_id: int) -> Order:
    """Lock an order the documented way: its learner's row first, then the order's."""
    learner_id = Order.objects.filter(pk=order_id).values_list("learner_id", flat=True).get()
    lock_learner(learner_id)
    return (
        Order.objects.select_for_update(of=("self",)).select_related("activity", "learner").get(pk=order_id)
    )


def order_mark_paid(order_id: int, session: dict[str, Any], *, receipt_url: str = "") -> str:
    """Record a payment and deliver what it bought, in the caller's transaction (the webhook's).

    ``receipt_url`` was fetched from Stripe before the transaction began: no lock is held while
    waiting on the network.
    """
    order = order_lock(order_id)
    if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        return f"already {order.status}"
    if session.get("amount_total") is not None and (
        session["amount_total"] != order.amount or (session.get("currency") or "").lower() != order.currency
    ):
        logger.error("session %s: amount does not match order %s", session.get("id"), order.reference)
        audit_record(
            actor=None,
            action=BillingAction.ORDER_AMOUNT_MISMATCH,
            obj=order,
            data={"session": session.get("id")},
        )
        return "amount mismatch"
    if not order.stripe_session_id and session.get("id"):
        order.stripe_session_id = session["id"]
        order.save(update_fields=["stripe_session_id", "updated_at"])
    payment_intent = session.get("payment_intent") or ""
    if payment_intent and order.stripe_payment_intent != payment_intent:
        order.stripe_payment_intent = payment_intent
        order.save(update_fields=["stripe_payment_intent", "updated_at"])
    if not order_move(order, OrderStatus.PAID, data={"session": session.get("id")}):
        # Paid after we closed it (cancelled or failed): never silently lost, kept for a refund by hand.
        logger.error("payment for closed order %s (%s)", order.reference, order.status)
        audit_record(
            actor=None, action=BillingAction.ORDER_PAID_AFTER_CLOSE, obj=order, data={"status": order.status}
        )
        return "paid after close"
    if receipt_url and not order.receipt_url:
        order.receipt_url = receipt_url
        order.save(update_fields=["receipt_url", "updated_at"])
    _fulfil(order)
    return "paid"


def _revoke_certificate(claim: CreditClaim) -> None:
    """Revoke the claim's certificate (if issued) with the reason "payment refunded"."""
    certificate = Certificate.objects.filter(claim=claim).first()
    if certificate is None or certificate.status == Certificate.Status.REVOKED:
        return
    certificate_revoke(certificate=certificate, actor=None, reason=REFUND_REASON)


def order_mark_refunded(order_id: int, payment_intent: str) -> str:
    order = order_lock(order_id)  # then the certificate, when it is revoked
    was_paid = order.status == OrderStatus.PAID
    if not order_move(order, OrderStatus.REFUNDED, data={"payment_intent": payment_intent}):
        return f"refund ignored ({order.status})"
    if payment_intent and not order.stripe_payment_intent:
        order.stripe_payment_intent = payment_intent
        order.save(update_fields=["stripe_payment_intent", "updated_at"])
    if was_paid and order.claim is not None:
        _revoke_certificate(order.claim)
    if was_paid and order.kind == OrderKind.PASS:
        CmePass.objects.filter(order=order, ended_at__isnull=True).update(ended_at=timezone.now())
        audit_record(actor=None, action=BillingAction.PASS_ENDED, obj=order, data={"reason": REFUND_REASON})
    if was_paid and order.kind == OrderKind.SEATS:
        seats.seats_refunded(order, reason=REFUND_REASON)
    return "refunded"
