"""Coordinators price their activities and pass: exact minor units, bad prices refused, others' 404."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from billing.models import ActivityFee, ProviderBilling
from billing.money import AmountError, format_amount, to_minor_units
from credits.models import Provider, ProviderCoordinator
from testkit.mfa import mfa_login
from testkit.payments import post_event, start_paid_claim

pytestmark = pytest.mark.django_db


def _fee_url(activity):
    return reverse("billing:coordinator_fee", args=[activity.pk])


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("49", "usd", 4900), ("49.5", "usd", 4950), ("19.99", "usd", 1999), ("0.29", "eur", None),
     ("1500", "jpy", 1500), ("0", "usd", 0), ("49.990", "usd", 4999)],
)  # fmt: skip
def test_prices_convert_exactly(text, currency, minor):
    if minor is None:
        with pytest.raises(AmountError, match="cannot charge less than 0.50 EUR"):
            to_minor_units(text, currency, allow_zero=True)
    else:
        assert to_minor_units(text, currency, allow_zero=True) == minor


@pytest.mark.parametrize(
    ("text", "message"),
    [("-5", "cannot be negative"), ("49.999", "fractions of a cent"), ("1e3", "one decimal point"),
     ("49,50", "one decimal point"), ("NaN", "one decimal point"), ("", "Enter a price")],
)  # fmt: skip
def test_bad_fees_are_refused_and_nothing_is_written(
    coordinator_client, activity, stripe_fake, text, message
):
    response = coordinator_client.post(_fee_url(activity), {"amount": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ActivityFee.objects.exists()


def test_a_fee_is_saved_in_minor_units(coordinator_client, activity, stripe_fake):
    response = coordinator_client.post(_fee_url(activity), {"amount": "49.99"})
    assert response.status_code == 302
    assert ActivityFee.objects.get(activity=activity).amount == 4999
    assert 'value="49.99"' in coordinator_client.get(_fee_url(activity)).content.decode()


def test_yen_has_no_fractions(coordinator_client, activity, stripe_fake, provider):
    ProviderBilling.objects.create(provider=provider, currency="jpy")
    response = coordinator_client.post(_fee_url(activity), {"amount": "500.5"})
    assert response.status_code == 400 and "whole amount" in response.content.decode()
    assert coordinator_client.post(_fee_url(activity), {"amount": "500"}).status_code == 302
    assert format_amount(ActivityFee.objects.get().amount, "jpy") == "500 JPY"


def test_the_database_refuses_an_unchargeable_fee(activity):
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFee.objects.create(activity=activity, amount=10)


def test_bad_pass_prices_are_refused(coordinator_client, provider, stripe_fake):
    url = reverse("billing:coordinator_pass", args=[provider.slug])
    for text, message in (
        ("-199", "cannot be negative"),
        ("199.001", "fractions of a cent"),
        ("0", "less than"),
    ):
        response = coordinator_client.post(url, {"currency": "usd", "pass_price": text})
        assert response.status_code == 400 and message in response.content.decode()
    assert not ProviderBilling.objects.exists()
    assert coordinator_client.post(url, {"currency": "eur", "pass_price": "199"}).status_code == 302
    billing = ProviderBilling.objects.get(provider=provider)
    assert (billing.currency, billing.pass_price) == ("eur", 19900)


def test_without_keys_the_forms_say_why_and_save_nothing(coordinator_client, activity, provider, no_stripe):
    page = coordinator_client.get(_fee_url(activity)).content.decode()
    assert "Payments are off" in page and "STRIPE_SECRET_KEY" in page and "disabled" in page
    assert coordinator_client.post(_fee_url(activity), {"amount": "49"}).status_code == 400
    url = reverse("billing:coordinator_pass", args=[provider.slug])
    assert "Payments are off" in coordinator_client.get(url).content.decode()
    assert coordinator_client.post(url, {"currency": "usd", "pass_price": "199"}).status_code == 400
    assert not ActivityFee.objects.exists() and not ProviderBilling.objects.exists()


def test_another_providers_pages_do_not_exist(client, make_user, activity, provider, stripe_fake):
    other = Provider.objects.create(name="Other Society", slug="other")
    stranger = make_user("stranger@example.org")
    ProviderCoordinator.objects.create(provider=other, user=stranger)
    mfa_login(client, stranger)
    assert client.get(_fee_url(activity)).status_code == 404
    assert client.post(_fee_url(activity), {"amount": "1"}).status_code == 404
    for name in ("billing:coordinator_pass", "billing:coordinator_orders"):
        assert client.get(reverse(name, args=[provider.slug])).status_code == 404
    assert not ActivityFee.objects.exists()


def test_a_learner_cannot_reach_coordinator_pages(learner_client, activity, stripe_fake):
    assert learner_client.get(_fee_url(activity)).status_code == 403


def test_coordinators_see_orders_and_revenue_per_activity(
    learner_client, coordinator, activity, evaluated, fee, stripe_fake, provider, learner
):
    order = start_paid_claim(learner_client, activity)
    post_event(stripe_fake.event("checkout.session.completed", stripe_fake.pay(order.stripe_session_id)))
    coordinator_client = Client()
    mfa_login(coordinator_client, coordinator)
    page = coordinator_client.get(
        reverse("billing:coordinator_orders", args=[provider.slug])
    ).content.decode()
    assert activity.title in page and "49.00 USD" in page and learner.email in page and "Paid" in page
