"""Two workers running the same attempt at the same moment, each on its own PostgreSQL connection:
the conditional UPDATE lets one send, the other sends nothing."""

import threading

import pytest
from django.db import connection, connections

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
