"""Billing fixtures: the fake Stripe server wired into settings, an activity with a fee, webhook posting."""

import pytest
from django.test import Client
from django.urls import reverse

from billing import services
from billing.models import Order
from tests.billing.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, running_fake_stripe, sign
from tests.credits.conftest import activity, episode, evaluated, passed, show_grant  # noqa: F401


@pytest.fixture
def stripe_fake(settings):
    with running_fake_stripe() as fake:
        settings.STRIPE_SECRET_KEY = SECRET_KEY
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.fixture
def no_stripe(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""


@pytest.fixture
def fee(activity, stripe_fake, coordinator):  # noqa: F811
    return services.activity_fee_set(activity=activity, actor=coordinator, amount=4900)


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


def post_event(body: str, *, signature: str | None = "auto"):
    """Deliver a webhook as Stripe does: no session, no CSRF token, the signature header."""
    headers = {}
    if signature == "auto":
        headers["HTTP_STRIPE_SIGNATURE"] = sign(body)
    elif signature is not None:
        headers["HTTP_STRIPE_SIGNATURE"] = signature
    return Client().post(
        reverse("billing:stripe_webhook"), data=body, content_type="application/json", **headers
    )


def start_paid_claim(client, activity, minutes: int = 40) -> Order:  # noqa: F811
    """The learner submits the claim form and is sent to Stripe; returns the order."""
    response = client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": str(minutes), "attest": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(activity=activity, status="pending")
    assert response["Location"] == order.checkout_url
    return order
