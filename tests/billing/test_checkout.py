"""Paying for a claim or a pass: order first, one Checkout Session per order, cancel and retry, no keys."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from billing import services
from billing.models import ActivityFee, CmePass, Order, ProviderBilling
from credits import services as credit_services
from credits.models import CreditClaim
from testkit.payments import post_event, start_paid_claim

pytestmark = pytest.mark.django_db


def test_without_keys_the_claim_is_free_and_unchanged(
    learner_client, activity, evaluated, no_stripe, learner
):
    page = learner_client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    assert "Continue to payment" not in page and "costs" not in page
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}, follow=True
    )
    assert response.status_code == 200
    assert "Credit claimed" in response.content.decode()
    assert CreditClaim.objects.filter(learner=learner, activity=activity).count() == 1
    assert Order.objects.count() == 0


def test_a_fee_sends_the_learner_to_checkout_and_claims_nothing_yet(
    learner_client, activity, evaluated, fee, stripe_fake, learner
):
    page = learner_client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    assert "49.00 USD" in page and "Continue to payment" in page
    order = start_paid_claim(learner_client, activity, minutes=40)
    assert order.learner == learner and order.amount == 4900 and order.currency == "usd"
    assert order.claim_minutes == 40 and order.claim_attested
    (request,) = stripe_fake.created_sessions()
    assert (
        request["idempotency_key"] == order.idempotency_key and str(order.reference) in order.idempotency_key
    )
    assert request["form"]["mode"] == "payment"
    assert request["form"]["client_reference_id"] == str(order.reference)
    assert request["form"]["metadata[order]"] == str(order.reference)
    assert request["form"]["line_items[0][price_data][unit_amount]"] == "4900"
    assert request["form"]["success_url"].endswith(
        f"/billing/orders/{order.reference}/?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert CreditClaim.objects.count() == 0
    assert [e.action for e in AuditEvent.objects.for_object(order).order_by("id")] == [
        "order.created",
        "order.pending",
    ]
    # The success page waits for the webhook, refreshing itself.
    waiting = learner_client.get(reverse("billing:order", args=[order.reference])).content.decode()
    assert "being confirmed" in waiting and 'http-equiv="refresh"' in waiting
    status = learner_client.get(reverse("billing:order_status", args=[order.reference])).json()
    assert status == {"status": "pending", "paid": False, "done": False}


def test_the_success_page_links_to_the_claim_once_the_webhook_paid(
    client, learner_client, activity, evaluated, fee, stripe_fake
):
    order = start_paid_claim(learner_client, activity)
    session = stripe_fake.pay(order.stripe_session_id)
    post_event(stripe_fake.event("checkout.session.completed", session))
    assert learner_client.get(reverse("billing:order_status", args=[order.reference])).json()["paid"] is True
    page = learner_client.get(reverse("billing:order", args=[order.reference])).content.decode()
    assert "Payment received" in page and reverse("credits:claim", args=[activity.pk]) in page
    assert 'http-equiv="refresh"' not in page
    assert (
        "Credit claimed" in learner_client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    )


def test_a_lost_answer_is_retried_with_the_same_key_and_gets_the_same_session(
    learner_client, activity, evaluated, fee, stripe_fake
):
    stripe_fake.drop_next_create = True
    url = reverse("credits:claim", args=[activity.pk])
    first = learner_client.post(url, {"minutes": "40", "attest": "on"})
    assert first.status_code == 400 and "did not answer" in first.content.decode()
    order = Order.objects.get()
    assert order.status == "created" and order.stripe_session_id is None
    start_paid_claim(learner_client, activity)  # the learner submits again
    again = learner_client.post(url, {"minutes": "40", "attest": "on"})  # and once more, after it worked
    order.refresh_from_db()
    keys = [r["idempotency_key"] for r in stripe_fake.created_sessions()]
    assert keys == [order.idempotency_key, order.idempotency_key]  # the third submit asked Stripe nothing
    assert len(stripe_fake.sessions) == 1 and order.stripe_session_id in stripe_fake.sessions
    assert again["Location"] == order.checkout_url
    assert Order.objects.count() == 1


def test_replaying_the_creation_for_an_order_returns_the_same_session(
    activity, evaluated, fee, stripe_fake, learner
):
    from billing import gateway

    order = services.claim_checkout_start(learner=learner, activity=activity, minutes=40, attested=True)
    kwargs = dict(
        idempotency_key=order.idempotency_key, reference=str(order.reference), kind="claim", amount=4900,
        currency="usd", product_name=f"CME credit — {activity.title}", customer_email=learner.email,
        success_url=stripe_fake.created_sessions()[0]["form"]["success_url"],
        cancel_url=stripe_fake.created_sessions()[0]["form"]["cancel_url"],
    )  # fmt: skip
    replayed = gateway.checkout_session_create(**kwargs)
    assert replayed["id"] == order.stripe_session_id and len(stripe_fake.sessions) == 1


def test_paying_for_a_claim_already_held_is_refused_before_any_session(
    learner_client, activity, evaluated, stripe_fake, learner, coordinator
):
    credit_services.claim_credit(learner=learner, activity=activity, minutes=40, attested=True)
    services.activity_fee_set(activity=activity, actor=coordinator, amount=4900)
    with pytest.raises(services.BillingError) as refused:
        services.claim_checkout_start(learner=learner, activity=activity, minutes=40, attested=True)
    assert refused.value.code == "already_claimed"
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}, follow=True
    )
    assert "Credit claimed" in response.content.decode()
    assert stripe_fake.created_sessions() == [] and Order.objects.count() == 0


def test_an_unclaimable_claim_is_refused_before_any_session(
    learner_client, activity, passed, fee, stripe_fake
):
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}
    )
    # The evaluation is asked on the claim page (issue 15): unanswered, no session is started.
    assert response.status_code == 400 and "Choose an answer to this question." in response.content.decode()
    assert response.context["evaluation_form"].errors
    assert stripe_fake.created_sessions() == [] and Order.objects.count() == 0


def test_a_cancelled_checkout_leaves_the_claim_unpaid_and_a_retry_works(
    client, learner_client, activity, evaluated, fee, stripe_fake
):
    first = start_paid_claim(learner_client, activity)
    cancel_url = reverse("billing:order_cancel", args=[first.reference])
    assert "Nothing was charged" in learner_client.get(cancel_url).content.decode()
    response = learner_client.post(cancel_url)
    assert response.status_code == 302 and response["Location"] == reverse(
        "credits:claim", args=[activity.pk]
    )
    first.refresh_from_db()
    assert first.status == "cancelled" and CreditClaim.objects.count() == 0
    assert stripe_fake.sessions[first.stripe_session_id]["status"] == "expired"  # no paying it later
    second = start_paid_claim(learner_client, activity)
    assert second.pk != first.pk and second.stripe_session_id != first.stripe_session_id
    post_event(stripe_fake.event("checkout.session.completed", stripe_fake.pay(second.stripe_session_id)))
    assert CreditClaim.objects.count() == 1


def test_another_learners_order_is_not_found(client, make_user, activity, evaluated, fee, learner_client):
    order = start_paid_claim(learner_client, activity)
    client.force_login(make_user("other@example.org", profile=True))
    for name in ("billing:order", "billing:order_status", "billing:order_cancel"):
        assert client.get(reverse(name, args=[order.reference])).status_code == 404
    assert client.post(reverse("billing:order_cancel", args=[order.reference])).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending"


def test_the_annual_pass_makes_claims_free_and_ends_on_refund(
    client, learner_client, activity, evaluated, fee, stripe_fake, provider, coordinator, learner
):
    services.provider_billing_set(provider=provider, actor=coordinator, currency="usd", pass_price=19900)
    page = learner_client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    assert "199.00 USD" in page and "does not renew" in page
    response = learner_client.post(reverse("billing:pass_buy", args=[provider.slug]))
    order = Order.objects.get(kind="pass")
    assert response.status_code == 302 and response["Location"] == order.checkout_url
    assert stripe_fake.created_sessions()[0]["form"]["mode"] == "payment"
    post_event(stripe_fake.event("checkout.session.completed", stripe_fake.pay(order.stripe_session_id)))
    cme_pass = CmePass.objects.get(learner=learner, provider=provider)
    assert cme_pass.is_valid and (cme_pass.valid_until - cme_pass.valid_from).days in (365, 366)
    assert (
        "Covered by your annual CME pass"
        in learner_client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    )
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}, follow=True
    )
    assert "Credit claimed" in response.content.decode()
    assert len(stripe_fake.created_sessions()) == 1  # the claim made no session
    history = learner_client.get(reverse("billing:history")).content.decode()
    assert "valid from" in history
    # A second pass while this one is valid is refused.
    assert learner_client.post(reverse("billing:pass_buy", args=[provider.slug])).status_code == 409
    post_event(stripe_fake.event("charge.refunded", stripe_fake.refund(order.stripe_session_id)))
    cme_pass.refresh_from_db()
    assert cme_pass.ended_at is not None and not cme_pass.is_valid


def test_no_pass_is_sold_unless_the_provider_prices_one(learner_client, provider, stripe_fake):
    ProviderBilling.objects.create(provider=provider)
    response = learner_client.post(reverse("billing:pass_buy", args=[provider.slug]))
    assert response.status_code == 400 and "does not sell" in response.content.decode()
    assert Order.objects.count() == 0


def test_the_fee_of_an_activity_frozen_by_a_revoked_grant_cannot_change(
    activity, coordinator, host, show_grant, stripe_fake
):
    from credits import grants

    services.activity_fee_set(activity=activity, actor=coordinator, amount=4900)
    grants.grant_revoke(grant=show_grant, actor=host, side="host")
    with pytest.raises(services.BillingError) as refused:
        services.activity_fee_set(activity=activity, actor=coordinator, amount=100)
    assert refused.value.code == "not_granted" and "no longer allow" in refused.value.message.lower()
    assert ActivityFee.objects.get(activity=activity).amount == 4900
