"""The same webhook delivered twice at the same moment: one event row, one claim, one paid transition."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from audit.models import AuditEvent
from billing.models import Order, StripeEvent
from credits.models import CompletionRecord, CreditClaim
from tests.billing.conftest import post_event, start_paid_claim

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
