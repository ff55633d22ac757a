"""Talking to Stripe: the configured client, Checkout Sessions, look-ups, and webhook verification."""

import json
import logging
import time
from typing import Any

import stripe
from django.conf import settings
from stripe.params.checkout import SessionCreateParams

logger = logging.getLogger(__name__)

# Stripe's own default: a signed delivery older than this is refused, and so is one this far ahead
# (stripe-python checks only the past; a timestamp from the future would keep a captured request
# valid for as long as the attacker chose).
WEBHOOK_TOLERANCE_SECONDS = 300


class GatewayError(Exception):
    """Stripe could not be reached or refused the request; the order is left as it was."""


class WebhookRejected(Exception):
    """A delivery that is not provably from Stripe, now: answered 400, nothing stored."""


def payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        # We retry ourselves (the learner resubmits; Stripe re-sends webhooks) with our own stable
        # idempotency key, so the library's silent retries would add nothing but latency.
        max_network_retries=0,
    )


def checkout_session_create(
    *,
    idempotency_key: str,
    reference: str,
    kind: str,
    amount: int,
    currency: str,
    product_name: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
) -> dict[str, Any]:
    """Create (or, for a key Stripe has seen, get back) the Checkout Session of one order."""
    params: SessionCreateParams = {
        "mode": "payment",
        "client_reference_id": reference,
        "metadata": {"order": reference, "kind": kind},
        # Copied to the PaymentIntent, so a charge event (refund) leads back to the order.
        "payment_intent_data": {"metadata": {"order": reference, "kind": kind}},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": amount,
                    "product_data": {"name": product_name[:250]},
                },
            }
        ],
        "customer_email": customer_email,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    try:
        session = client().v1.checkout.sessions.create(
            params=params,
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        logger.warning("Stripe refused or did not answer checkout creation for %s: %s", reference, error)
        raise GatewayError(str(error)) from error
    return session.to_dict()


def checkout_session_expire(session_id: str) -> bool:
    """Close an open Checkout Session so it can no longer be paid; False if Stripe refuses."""
    try:
        client().v1.checkout.sessions.expire(session_id)
    except stripe.StripeError as error:
        logger.info("Stripe did not expire checkout session %s: %s", session_id, error)
        return False
    return True


def payment_intent_fetch(payment_intent_id: str) -> dict[str, Any] | None:
    """The PaymentIntent with its latest charge expanded (for the receipt and our order reference)."""
    try:
        intent = client().v1.payment_intents.retrieve(payment_intent_id, params={"expand": ["latest_charge"]})
    except stripe.StripeError as error:
        logger.warning("Stripe did not return payment intent %s: %s", payment_intent_id, error)
        return None
    return intent.to_dict()


def _timestamp(header: str) -> int | None:
    for item in header.split(","):
        key, _sep, value = item.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def webhook_verify(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event, if the signature on the raw body is Stripe's and its time is within the tolerance."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRejected("STRIPE_WEBHOOK_SECRET is not set")
    if not signature:
        raise WebhookRejected("missing Stripe-Signature header")
    timestamp = _timestamp(signature)
    if timestamp is None:
        raise WebhookRejected("no timestamp in the Stripe-Signature header")
    if timestamp > time.time() + WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookRejected("timestamp is in the future")
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise WebhookRejected(str(error).split("\n")[0]) from error
    event = json.loads(payload)
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance((event.get("data") or {}).get("object"), dict)
    ):
        raise WebhookRejected("not a Stripe event")
    return event
