"""The documented lock order (docs/architecture-locks.md) holds between coordinators' certificate actions."""

import threading
import time

import pytest
from django.db import connection, connections

from credits import certificates, services
from credits.models import Certificate, CorrectionRequest

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks and deadlock detection across connections (make test runs it)",
    ),
]


def _backends_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_deciding_a_correction_waits_for_the_certificate_before_locking_the_request(
    learner, coordinator, activity, evaluated
):
    """A revocation locks the certificate, then closes its pending correction requests; approving a
    request must take the certificate first too, or the two wait on each other (a deadlock: a 500)."""
    claim = services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    certificate = Certificate.objects.get(claim=claim)
    correction = certificates.correction_request_create(
        certificate=certificate, learner=learner, learner_name="Ada Byron Lovelace", degree="MD"
    )
    revoke = connections.create_connection("default")  # a second connection, as the revoking request
    revoke.set_autocommit(False)
    results: list[object] = []

    def approve():
        try:
            results.append(
                certificates.correction_request_decide(correction=correction, actor=coordinator, approve=True)
            )
        except BaseException as error:  # the outcome, whatever it is
            results.append(error)
        finally:
            connections.close_all()

    decide = threading.Thread(target=approve)
    try:
        with revoke.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
            cursor.execute("SELECT id FROM credits_certificate WHERE id = %s FOR UPDATE", [certificate.pk])
            decide.start()
            deadline = time.monotonic() + 20
            while _backends_waiting_on_a_lock() == 0:
                assert time.monotonic() < deadline, "approving never waited for the certificate"
                time.sleep(0.05)
            cursor.execute(
                "UPDATE credits_correctionrequest SET status = 'rejected', decided_at = now(),"
                " decision_note = 'The certificate was revoked.'"
                " WHERE certificate_id = %s AND status = 'pending'",
                [certificate.pk],
            )
        revoke.commit()
    finally:
        revoke.close()
        decide.join(timeout=60)
    # The revocation closed the request first; approving then finds it decided: a clear refusal.
    assert len(results) == 1
    assert isinstance(results[0], services.CreditError) and results[0].code == "decided", results
    assert CorrectionRequest.objects.get(pk=correction.pk).status == "rejected"
