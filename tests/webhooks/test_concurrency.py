"""Two workers running the same attempt at the same moment, each on its own PostgreSQL connection:
the conditional UPDATE lets one send, the other sends nothing."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from webhooks import services, tasks
from webhooks.models import CLAIM_CREATED, WebhookDelivery

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: concurrent updates across connections (make test-postgres runs it)",
    ),
]


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_attempt_send_it_once(receivers, provider, coordinator):
    receiver = receivers([200], sleep=0.1)
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=receiver.url(), events=[CLAIM_CREATED]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type=CLAIM_CREATED, event_key="claim.created:1", payload={"id": "x"}
    )
    barrier = threading.Barrier(4)
    results: list = []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(tasks.attempt_delivery(delivery.pk, 1))
        except BaseException as error:  # report every outcome
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["delivered", "skipped", "skipped", "skipped"], results
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_workers_waiting_on_the_claimed_row_skip_it_once_the_claim_commits(receivers, provider, coordinator):
    """The interleaving that broke the claim: one worker has updated the row and not yet committed;
    the others block on its lock. When it commits, PostgreSQL re-checks the waiting UPDATEs'
    conditions on the new row version, so every condition must be on the row itself
    (attempts is now 1, not 0): they skip. A condition through a join sat in a subquery that is
    not re-checked, and all of them claimed the attempt too."""
    receiver = receivers([200])
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=receiver.url(), events=[CLAIM_CREATED]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type=CLAIM_CREATED, event_key="claim.created:2", payload={"id": "y"}
    )
    holding = threading.Event()
    release = threading.Event()
    first: list = []
    waiting: list = []

    def first_worker():
        try:
            with transaction.atomic():
                first.append(tasks._claim(delivery.pk, 1, timezone.now()))
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def waiting_worker():
        try:
            waiting.append(tasks.attempt_delivery(delivery.pk, 1))
        except BaseException as error:  # report every outcome
            waiting.append(error)
        finally:
            connections.close_all()

    holder = threading.Thread(target=first_worker)
    holder.start()
    assert holding.wait(timeout=30)
    others = [threading.Thread(target=waiting_worker) for _ in range(3)]
    for thread in others:
        thread.start()
    # Wait until all three are blocked on the row lock, so the re-check is what decides.
    with connections["default"].cursor() as cursor:
        for _ in range(300):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0] >= 3:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the three workers never waited on the claimed row's lock")
    release.set()
    holder.join(timeout=60)
    for thread in others:
        thread.join(timeout=60)
    assert first == [True]
    assert waiting == ["skipped", "skipped", "skipped"], waiting
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.status == WebhookDelivery.Status.PENDING
