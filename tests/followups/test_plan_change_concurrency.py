"""A plan's days changing while a claim's follow-ups are being scheduled, each on its own PostgreSQL
connection: scheduling takes the plan's row FOR UPDATE (after the learner's), so it waits for the
change to commit and schedules the new days; it never writes the old ones after the change moved
the rest (they would stay at a day the plan no longer has)."""

import threading

import pytest
from django.db import connection, connections, transaction

from credits.models import Question
from followups import services
from followups.models import FollowUp, FollowUpConsent
from testkit import factories

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks across connections (SQLite has no FOR UPDATE)",
    ),
]


def _days(claim):
    return sorted(FollowUp.objects.filter(claim=claim).values_list("kind", "interval_days"))


def _race(activity, coordinator, schedule):
    """Hold plan_save's transaction open (days 7, 30, 90 -> 7, 14, 90), run ``schedule`` in another
    thread meanwhile; returns (whether it was still waiting when the change committed, its error)."""
    saved, release = threading.Event(), threading.Event()
    errors: list = []

    def change():
        try:
            with transaction.atomic():
                services.plan_save(
                    activity=activity,
                    actor=coordinator,
                    enabled=True,
                    intervals_days=[7, 14, 90],
                    practice_change_days=60,
                    reused_question_ids=list(
                        Question.objects.filter(activity=activity).values_list("pk", flat=True)
                    ),
                )
                saved.set()
                release.wait(timeout=30)
        except BaseException as error:  # report every outcome
            errors.append(error)
            saved.set()
        finally:
            connections.close_all()

    def claim_side():
        try:
            schedule()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    changer = threading.Thread(target=change)
    changer.start()
    assert saved.wait(timeout=30)
    scheduler = threading.Thread(target=claim_side)
    scheduler.start()
    scheduler.join(timeout=1.0)
    waited = scheduler.is_alive()  # blocked on the plan's row
    release.set()
    changer.join(timeout=30)
    scheduler.join(timeout=30)
    return waited, errors


@pytest.mark.django_db(transaction=True)
def test_a_claim_scheduled_while_the_plan_changes_waits_and_gets_the_new_days(
    learner, activity, evaluated, plan, coordinator, django_capture_on_commit_callbacks
):
    claim = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks).claim
    assert not FollowUp.objects.filter(claim=claim).exists()  # not opted in when it was claimed
    FollowUpConsent.objects.create(learner=learner, opted_in=True)

    waited, errors = _race(activity, coordinator, lambda: services.follow_ups_schedule_for_claim(claim))
    assert errors == []
    assert waited
    assert _days(claim) == [("knowledge", 7), ("knowledge", 14), ("knowledge", 90), ("practice", 60)]


@pytest.mark.django_db(transaction=True)
def test_opting_in_while_the_plan_changes_waits_and_gets_the_new_days(
    learner, activity, evaluated, plan, coordinator, django_capture_on_commit_callbacks
):
    claim = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks).claim
    assert not FollowUp.objects.filter(claim=claim).exists()

    def opt_in():
        services.consent_set(learner=learner, opted_in=True, where="my_learning")

    waited, errors = _race(activity, coordinator, opt_in)
    assert errors == []
    assert waited
    assert _days(claim) == [("knowledge", 7), ("knowledge", 14), ("knowledge", 90), ("practice", 60)]


def test_the_lock_waited_for_is_the_plan_s(
    learner, activity, evaluated, plan, django_capture_on_commit_callbacks
):
    """What the two tests above rely on, seen in the SQL: the plan's row is read FOR UPDATE."""
    from django.test.utils import CaptureQueriesContext

    claim = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks).claim
    FollowUpConsent.objects.create(learner=learner, opted_in=True)
    with CaptureQueriesContext(connection) as queries:
        services.follow_ups_schedule_for_claim(claim)
    table = '"followups_followupplan"'
    assert any(table in q["sql"].split(" WHERE ")[0] and "FOR UPDATE" in q["sql"] for q in queries)
