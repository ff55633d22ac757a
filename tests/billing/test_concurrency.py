"""The same webhook delivered twice at the same moment: one event row, one claim, one paid transition."""

import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

from audit.models import AuditEvent
from billing.models import Order, StripeEvent
from credits.models import CompletionRecord, CreditClaim
from testkit.payments import post_event, start_paid_claim

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: transactions waiting on a unique index across connections (make test runs it)",
)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_deliveries_grant_once(learner, activity, evaluated, fee, stripe_fake):
    client = Client()
    client.force_login(learner)
    order = start_paid_claim(client, activity)
    body = stripe_fake.event("checkout.session.completed", stripe_fake.pay(order.stripe_session_id))
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def deliver():
        try:
            barrier.wait(timeout=30)
            statuses.append(post_event(body).status_code)
        except BaseException as error:  # report every failure, not only the first
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert statuses == [200, 200]
    assert StripeEvent.objects.count() == 1
    assert Order.objects.get().status == "paid"
    assert CreditClaim.objects.filter(learner=learner, activity=activity).count() == 1
    assert CompletionRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="order.paid").count() == 1


def _backends_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_webhook_takes_the_learner_lock_before_the_order(learner, activity, evaluated, fee, stripe_fake):
    """Re-submit first: it holds the learner row and then locks the order (the documented order).

    The webhook arriving meanwhile must wait for the learner without holding the order, or the two
    wait on each other (PostgreSQL then aborts one: a 500 for the learner or for Stripe).
    """
    client = Client()
    client.force_login(learner)
    order = start_paid_claim(client, activity)
    body = stripe_fake.event("checkout.session.completed", stripe_fake.pay(order.stripe_session_id))
    resubmit = connections.create_connection("default")  # a second connection, as a second request
    resubmit.set_autocommit(False)
    results: list[object] = []

    def deliver():
        try:
            results.append(post_event(body))
        except BaseException as error:  # report every failure, not only the first
            results.append(error)
        finally:
            connections.close_all()

    webhook = threading.Thread(target=deliver)
    try:
        with resubmit.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
            cursor.execute("SELECT id FROM accounts_user WHERE id = %s FOR UPDATE", [learner.pk])
            webhook.start()
            deadline = time.monotonic() + 20
            while _backends_waiting_on_a_lock() == 0:
                assert time.monotonic() < deadline, "the webhook never waited for the learner"
                time.sleep(0.05)
            cursor.execute("SELECT id FROM billing_order WHERE id = %s FOR UPDATE", [order.pk])
            cursor.execute("UPDATE billing_order SET claim_minutes = 45 WHERE id = %s", [order.pk])
        resubmit.commit()
    finally:
        resubmit.close()
        webhook.join(timeout=60)
    assert len(results) == 1 and not isinstance(results[0], BaseException), results
    assert results[0].status_code == 200 and results[0].content == b"paid"
    order.refresh_from_db()
    assert order.status == "paid"
    claim = CreditClaim.objects.get(learner=learner, activity=activity)
    assert order.claim == claim and claim.minutes_reported == 45  # the re-submit's time, not lost
    assert AuditEvent.objects.filter(action="order.paid").count() == 1
