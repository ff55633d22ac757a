"""The Stripe webhook: signature and time checks, exactly-once events, out-of-order deliveries, refunds."""

import json
import logging
import time

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from billing.models import Order, StripeEvent
from credits.certificates import certificate_issue_for_claim, certificate_render
from credits.models import CompletionRecord, CreditClaim
from testkit.fake_stripe import sign
from testkit.payments import post_event, start_paid_claim

pytestmark = pytest.mark.django_db


def _nothing_stored():
    return StripeEvent.objects.count() == 0 and CreditClaim.objects.count() == 0


@pytest.fixture
def paid_body(learner_client, activity, evaluated, fee, stripe_fake):
    """A real checkout.session.completed body for a paid claim (not yet delivered)."""
    order = start_paid_claim(learner_client, activity)
    session = stripe_fake.pay(order.stripe_session_id)
    return stripe_fake.event("checkout.session.completed", session, event_id="evt_completed_1")


def test_missing_signature_header_is_refused(client, paid_body):
    response = post_event(paid_body, signature=None)
    assert response.status_code == 400
    assert b"Stripe-Signature" in response.content
    assert _nothing_stored()


def test_tampered_body_is_refused(client, paid_body):
    header = sign(paid_body)
    tampered = paid_body.replace('"amount_total": 4900', '"amount_total": 1')
    assert tampered != paid_body
    assert post_event(tampered, signature=header).status_code == 400
    assert _nothing_stored()


def test_wrong_secret_is_refused(client, paid_body):
    response = post_event(paid_body, signature=sign(paid_body, secret="whsec_someone_else"))
    assert response.status_code == 400
    assert _nothing_stored()


def test_stale_timestamp_is_refused(client, paid_body):
    old = int(time.time()) - 301
    assert post_event(paid_body, signature=sign(paid_body, timestamp=old)).status_code == 400
    assert _nothing_stored()


def test_future_timestamp_is_refused_although_stripe_python_accepts_it(client, paid_body):
    import stripe

    future = int(time.time()) + 3600
    header = sign(paid_body, timestamp=future)
    assert stripe.WebhookSignature.verify_header(paid_body, header, "whsec_test_fake_secret", 300)
    response = post_event(paid_body, signature=header)
    assert response.status_code == 400
    assert b"future" in response.content
    assert _nothing_stored()


def test_without_a_webhook_secret_nothing_is_accepted(client, paid_body, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert post_event(paid_body).status_code == 400
    assert _nothing_stored()


def test_get_is_not_allowed(client, stripe_fake):
    assert client.get(reverse("billing:stripe_webhook")).status_code == 405


def test_unknown_session_is_answered_200_and_grants_nothing(client, stripe_fake, learner, caplog):
    session = {
        "id": "cs_test_not_ours",
        "object": "checkout.session",
        "client_reference_id": "8e9ad0b4-51b4-4a4e-9a53-000000000000",
        "payment_status": "paid",
        "amount_total": 4900,
        "currency": "usd",
        "payment_intent": "pi_nobody",
    }
    with caplog.at_level(logging.WARNING, logger="billing.webhooks"):
        response = post_event(stripe_fake.event("checkout.session.completed", session))
    assert response.status_code == 200
    assert "unknown session" in caplog.text
    assert CreditClaim.objects.count() == 0 and Order.objects.count() == 0
    assert StripeEvent.objects.get().outcome == "unknown session"


def test_unknown_event_types_are_answered_200(client, stripe_fake):
    response = post_event(stripe_fake.event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200
    assert StripeEvent.objects.get().outcome == "ignored"


def test_paid_completion_claims_credit_and_keeps_the_receipt(
    client, learner_client, paid_body, learner, activity
):
    response = post_event(paid_body)
    assert response.status_code == 200
    order = Order.objects.get()
    assert order.status == "paid" and order.paid_at is not None
    assert order.receipt_url.startswith("https://pay.stripe.com/receipts/")
    claim = CreditClaim.objects.get(learner=learner, activity=activity)
    assert order.claim == claim and claim.minutes_reported == 40
    page = learner_client.get(reverse("billing:history")).content.decode()
    assert order.receipt_url in page and "Paid" in page


def test_the_same_event_delivered_ten_times_grants_once(client, paid_body, learner, activity):
    statuses = [post_event(paid_body).status_code for _ in range(10)]
    assert statuses == [200] * 10
    assert CreditClaim.objects.filter(learner=learner, activity=activity).count() == 1
    assert CompletionRecord.objects.filter(learner=learner, activity=activity).count() == 1
    assert StripeEvent.objects.count() == 1
    assert AuditEvent.objects.filter(action="order.paid").count() == 1
    assert AuditEvent.objects.filter(action="claim.created").count() == 1


def test_a_second_event_for_the_same_payment_changes_nothing(client, paid_body, stripe_fake):
    post_event(paid_body)
    session = json.loads(paid_body)["data"]["object"]
    again = stripe_fake.event("checkout.session.async_payment_succeeded", session)
    assert post_event(again).status_code == 200
    assert CreditClaim.objects.count() == 1
    assert AuditEvent.objects.filter(action="order.paid").count() == 1


def test_async_payment_succeeding_after_an_unpaid_completion(
    client, learner_client, activity, evaluated, fee, stripe_fake
):
    order = start_paid_claim(learner_client, activity)
    session = stripe_fake.pay(order.stripe_session_id, payment_status="unpaid")
    assert post_event(stripe_fake.event("checkout.session.completed", session)).status_code == 200
    order.refresh_from_db()
    assert order.status == "pending" and CreditClaim.objects.count() == 0
    assert learner_client.get(reverse("billing:order_status", args=[order.reference])).json()["done"] is False
    settled = stripe_fake.settle(order.stripe_session_id)
    post_event(stripe_fake.event("checkout.session.async_payment_succeeded", settled))
    order.refresh_from_db()
    assert order.status == "paid" and CreditClaim.objects.count() == 1


def test_async_payment_failing_fails_the_order_and_allows_a_retry(
    client, learner_client, activity, evaluated, fee, stripe_fake
):
    order = start_paid_claim(learner_client, activity)
    session = stripe_fake.pay(order.stripe_session_id, payment_status="unpaid")
    post_event(stripe_fake.event("checkout.session.completed", session))
    post_event(stripe_fake.event("checkout.session.async_payment_failed", session))
    order.refresh_from_db()
    assert order.status == "failed" and CreditClaim.objects.count() == 0
    assert AuditEvent.objects.for_object(order).filter(action="order.failed").count() == 1
    retry = start_paid_claim(learner_client, activity)
    assert retry.pk != order.pk


def test_an_expired_session_cancels_the_order(client, learner_client, activity, evaluated, fee, stripe_fake):
    order = start_paid_claim(learner_client, activity)
    session = dict(stripe_fake.sessions[order.stripe_session_id], status="expired")
    assert post_event(stripe_fake.event("checkout.session.expired", session)).status_code == 200
    order.refresh_from_db()
    assert order.status == "cancelled" and CreditClaim.objects.count() == 0


def test_a_full_refund_revokes_the_certificate(client, paid_body, stripe_fake):
    post_event(paid_body)
    order = Order.objects.get()
    # What the claim's on-commit hook does once the webhook's transaction commits.
    certificate = certificate_issue_for_claim(claim_id=order.claim_id)
    certificate_render(certificate_id=certificate.pk)
    verify = reverse("credits:verify_json", args=[certificate.code])
    assert client.get(verify).json()["status"] == "valid"
    charge = stripe_fake.refund(order.stripe_session_id)
    assert post_event(stripe_fake.event("charge.refunded", charge)).status_code == 200
    order.refresh_from_db()
    certificate.refresh_from_db()
    assert order.status == "refunded" and order.refunded_at is not None
    assert certificate.status == "revoked" and certificate.revoked_reason == "payment refunded"
    # Anyone checking the certificate sees it revoked and when, never the internal reason (issue 12).
    shown = client.get(verify).json()
    assert shown["status"] == "revoked" and shown["revoked_at"] and "revoked_reason" not in shown
    page = client.get(reverse("credits:verify", args=[certificate.code])).content.decode()
    assert "was revoked on" in page and "payment refunded" not in page
    assert AuditEvent.objects.for_object(order).filter(action="order.refunded").count() == 1
    # The claim itself is a record and stays; only its certificate is no longer valid.
    assert CreditClaim.objects.filter(pk=order.claim_id).exists()


def test_a_partial_refund_changes_nothing(client, paid_body, stripe_fake):
    post_event(paid_body)
    order = Order.objects.get()
    charge = dict(stripe_fake.refund(order.stripe_session_id), refunded=False, amount_refunded=100)
    post_event(stripe_fake.event("charge.refunded", charge))
    order.refresh_from_db()
    assert order.status == "paid"


def test_a_refund_arriving_before_the_completion_wins(
    client, learner_client, activity, evaluated, fee, stripe_fake
):
    order = start_paid_claim(learner_client, activity)
    session = stripe_fake.pay(order.stripe_session_id)
    charge = stripe_fake.refund(order.stripe_session_id)
    # The refund comes first: the order is found through the PaymentIntent fetched from Stripe.
    assert post_event(stripe_fake.event("charge.refunded", charge)).status_code == 200
    assert any(r["path"] == f"/v1/payment_intents/{charge['payment_intent']}" for r in stripe_fake.requests)
    assert post_event(stripe_fake.event("checkout.session.completed", session)).status_code == 200
    order.refresh_from_db()
    assert order.status == "refunded"
    assert CreditClaim.objects.count() == 0
    assert not AuditEvent.objects.filter(action="order.paid").exists()
