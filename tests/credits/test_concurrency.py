"""Twenty simultaneous claim requests by one learner: exactly one claim, one audit row."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from credits.models import CompletionRecord, CreditClaim

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: row locks across connections are what this test proves (run by make test)",
)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_claims_make_exactly_one(learner, activity, evaluated):
    url = reverse("credits:claim", args=[activity.pk])
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def claim():
        try:
            client = Client()
            client.force_login(learner)
            barrier.wait(timeout=30)
            response = client.post(url, {"minutes": "45", "attest": "on"})
            statuses.append(response.status_code)
        except BaseException as error:  # report every failure, not only the first
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # The one claim made goes on to its certificate (302); the other 19 are shown that claim (200).
    assert sorted(statuses) == [200] * 19 + [302]
    assert CreditClaim.objects.filter(learner=learner, activity=activity).count() == 1
    assert CompletionRecord.objects.filter(learner=learner, activity=activity).count() == 1
    assert AuditEvent.objects.filter(action="claim.created").count() == 1
