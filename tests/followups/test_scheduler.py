"""Sending due follow-ups: batches of a constant number of queries, the email with its one-tap links,
the questions snapshot, and those that must not go (opted out, plan off, nothing to ask)."""

import datetime

from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import OutgoingEmail
from audit.models import AuditEvent
from followups import scheduler, services
from followups.models import FollowUp, FollowUpStatus


def _clone(follow_up, n):
    """``n`` more due knowledge follow-ups like ``follow_up`` (other intervals of the same claim)."""
    FollowUp.objects.bulk_create(
        FollowUp(
            claim_id=follow_up.claim_id,
            learner_id=follow_up.learner_id,
            activity_id=follow_up.activity_id,
            kind="knowledge",
            interval_days=200 + i,
            due_at=follow_up.due_at,
            nonce=f"{i:032d}",
        )
        for i in range(n)
    )


def test_due_follow_ups_are_sent_with_their_questions_and_one_tap_links(
    claim, django_capture_on_commit_callbacks
):
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    with django_capture_on_commit_callbacks(execute=True):
        counts = scheduler.follow_ups_send_due(now=day7.due_at)
    assert counts == {"sent": 1, "cancelled": 0, "expired": 0, "batches": 1}
    day7.refresh_from_db()
    assert day7.status == FollowUpStatus.SENT
    assert day7.expires_at == day7.sent_at + datetime.timedelta(days=14)
    assert len(day7.questions) == 3 and all("correct" not in o for q in day7.questions for o in q["options"])
    assert FollowUp.objects.filter(claim=claim, status="scheduled").count() == 3
    message = next(m for m in mail.outbox if "Follow-up" in m.subject)
    assert message.to == [claim.learner.email]
    assert "/follow-up/" in message.body and "/follow-ups/unsubscribe/" in message.body
    assert "/follow-up/" in message.alternatives[0][0]
    assert AuditEvent.objects.filter(action="follow_up.sent", object_id=str(day7.pk)).exists()


def test_the_query_count_per_batch_does_not_grow_with_its_size(claim, django_assert_num_queries):
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    _clone(day7, 30)
    now = day7.due_at
    with CaptureQueriesContext(connection) as small:
        scheduler.follow_ups_send_due(now=now, batch_size=3, max_batches=1)
    with CaptureQueriesContext(connection) as large:
        scheduler.follow_ups_send_due(now=now, batch_size=25, max_batches=1)
    assert len(small) == len(large)
    assert FollowUp.objects.filter(status="sent").count() == 28
    with django_assert_num_queries(len(large)):
        scheduler.follow_ups_send_due(now=now, batch_size=100, max_batches=1)


def test_batches_are_bounded_and_the_oldest_due_go_first(claim):
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    _clone(day7, 5)
    counts = scheduler.follow_ups_send_due(now=day7.due_at, batch_size=2)
    assert counts["sent"] == 6 and counts["batches"] == 3


def test_an_opted_out_learner_or_a_plan_turned_off_gets_nothing(claim, learner, activity, coordinator):
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    # A consent withdrawn without the service (as if between scheduling and sending): cancelled at send.
    learner.follow_up_consent.opted_in = False
    learner.follow_up_consent.save()
    counts = scheduler.follow_ups_send_due(now=day7.due_at)
    assert counts["sent"] == 0 and counts["cancelled"] == 1
    assert not OutgoingEmail.objects.filter(kind="followups/email/follow_up").exists()


def test_turning_the_plan_off_cancels_what_is_not_sent(claim, activity, coordinator):
    services.plan_save(
        activity=activity,
        actor=coordinator,
        enabled=False,
        intervals_days=[7, 30, 90],
        practice_change_days=60,
    )
    assert set(FollowUp.objects.filter(claim=claim).values_list("status", flat=True)) == {"cancelled"}


def test_expired_links_are_closed(claim):
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    scheduler.follow_ups_send_due(now=day7.due_at)
    counts = scheduler.follow_ups_send_due(now=day7.due_at + datetime.timedelta(days=15))
    assert counts["expired"] == 1
    day7.refresh_from_db()
    assert day7.status == FollowUpStatus.EXPIRED


def test_the_command_sends_what_is_due(claim, capsys):
    FollowUp.objects.filter(claim=claim, interval_days=7).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    call_command("send_follow_ups")
    assert "sent 1," in capsys.readouterr().out
