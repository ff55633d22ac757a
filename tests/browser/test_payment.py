"""Paying for credit in a real browser: claim -> (fake) Stripe Checkout -> webhook -> the success page
updates by itself -> the claim and its certificate."""

import urllib.request

import pytest
from django.urls import reverse

from billing import services as billing_services
from billing.models import Order
from credits.models import Certificate, CreditClaim
from testkit.factories import PASSWORD
from testkit.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, running_fake_stripe, sign


@pytest.fixture
def fake_stripe(settings, live_server):
    with running_fake_stripe() as fake:
        settings.SITE_URL = live_server.url
        settings.STRIPE_SECRET_KEY = SECRET_KEY
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.fixture
def priced_activity(activity, evaluated, coordinator, fake_stripe):  # noqa: F811
    """The learner has passed and evaluated; claiming costs 49.00 USD."""
    billing_services.activity_fee_set(activity=activity, actor=coordinator, amount=4900)
    return activity


def _deliver(live_server, body: str) -> int:
    request = urllib.request.Request(
        live_server.url + reverse("billing:stripe_webhook"),
        data=body.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_pay_for_credit_and_watch_it_arrive(page, live_server, fake_stripe, learner, priced_activity):
    cme = priced_activity
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(reverse("credits:claim", args=[cme.pk]))
    page.get_by_text("costs 49.00 USD").wait_for()
    page.get_by_label("Minutes spent").fill("40")
    page.get_by_text("By claiming you attest").wait_for()  # the button sends the attestation
    page.get_by_role("button", name="Continue to payment").click()

    page.get_by_role("heading", name="Fake Stripe Checkout").wait_for()
    order = Order.objects.get(learner=learner, activity=cme)
    assert order.status == "pending" and page.url == order.checkout_url
    page.get_by_role("link", name="Return to the merchant").click()
    page.get_by_text("Your payment is being confirmed.").wait_for()
    assert CreditClaim.objects.count() == 0

    session = fake_stripe.pay(order.stripe_session_id)
    assert _deliver(live_server, fake_stripe.event("checkout.session.completed", session)) == 200
    # No reload by the test: the page polls the order's status and updates itself.
    page.get_by_role("link", name="See your claim").wait_for()
    page.get_by_text("Payment received").wait_for()
    claim = CreditClaim.objects.get(learner=learner, activity=cme)
    assert Certificate.objects.filter(claim=claim).exists()  # issued by the claim's on-commit hook
    page.get_by_role("link", name="See your claim").click()
    page.get_by_role("heading", name="Credit claimed").wait_for()
    page.goto(reverse("billing:history"))
    assert (
        page.get_by_role("link", name="Stripe receipt").get_attribute("href")
        == Order.objects.get().receipt_url
    )
