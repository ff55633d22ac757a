"""A paid claim driven as the learner's browser and Stripe drive it: the claim form, a signed webhook."""

from typing import Any

from django.test import Client
from django.urls import reverse

from billing.models import Order
from testkit.fake_stripe import sign


def post_event(body: str, *, signature: str | None = "auto"):
    """Deliver a webhook as Stripe does: no session, no CSRF token, the signature header."""
    headers: dict[str, Any] = {}
    if signature == "auto":
        headers["HTTP_STRIPE_SIGNATURE"] = sign(body)
    elif signature is not None:
        headers["HTTP_STRIPE_SIGNATURE"] = signature
    return Client().post(
        reverse("billing:stripe_webhook"), data=body, content_type="application/json", **headers
    )


def start_paid_claim(client, activity, minutes: int = 40) -> Order:
    """The learner submits the claim form and is sent to Stripe; returns the order."""
    response = client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": str(minutes), "attest": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(activity=activity, status="pending")
    assert response["Location"] == order.checkout_url
    return order
