"""Simultaneous claims by different learners on one provider: every certificate gets its own number,
the next of the series, with no gap (the number is chosen by the certificate's INSERT while the
claim holds the provider's row; see credits.certificates.certificate_issue)."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from credits.models import Certificate, CreditClaim
from testkit.factories import make_learners, pass_and_evaluate

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: row locks across connections are what this test proves (run by make test)",
)

LEARNERS = 12
# Production's queue: the PDFs are rendered by the worker, not in these request threads.
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)
def test_simultaneous_claims_on_one_provider_get_consecutive_unique_numbers(activity, settings):
    settings.TASKS = DATABASE_TASKS
    learners = make_learners("rush", LEARNERS)
    for learner in learners:
        pass_and_evaluate(learner, activity)
    url = reverse("credits:claim", args=[activity.pk])
    barrier = threading.Barrier(LEARNERS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def claim(learner):
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

    threads = [threading.Thread(target=claim, args=(learner,)) for learner in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert errors == []
    assert statuses == [302] * LEARNERS  # each claimed: on to its certificate's verification page
    assert CreditClaim.objects.filter(activity=activity).count() == LEARNERS
    numbers = sorted(Certificate.objects.filter(claim__activity=activity).values_list("number", flat=True))
    prefix = numbers[0].rsplit("-", 1)[0]
    assert numbers == [f"{prefix}-{n:06d}" for n in range(1, LEARNERS + 1)]
    # Each certificate's audit row names the number the row has.
    issued = {
        int(event.object_id): event.data["number"]
        for event in AuditEvent.objects.filter(action="certificate.issued")
    }
    assert issued == dict(Certificate.objects.filter(claim__activity=activity).values_list("pk", "number"))
    assert AuditEvent.objects.filter(action="claim.created").count() == LEARNERS
