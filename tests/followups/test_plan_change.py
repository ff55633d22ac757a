"""Changing a plan's intervals moves the follow-ups not sent yet (same claim date + new day); sent or
answered ones stay; a day removed cancels its unsent ones; a day added is scheduled for the claims
still inside its window; a new due date already past is sent at the next sweep."""

import datetime

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits.models import Question
from followups import scheduler, services
from followups.models import FollowUp, FollowUpStatus


def _save(activity, coordinator, days, practice=60):
    return services.plan_save(
        activity=activity,
        actor=coordinator,
        enabled=True,
        intervals_days=days,
        practice_change_days=practice,
        reused_question_ids=list(Question.objects.filter(activity=activity).values_list("pk", flat=True)),
    )


def _backdate(claim, days):
    """The claim as if made ``days`` ago, its follow-ups' dates with it."""
    delta = datetime.timedelta(days=days)
    type(claim).objects.filter(pk=claim.pk).update(claimed_at=claim.claimed_at - delta)
    for f in FollowUp.objects.filter(claim=claim):
        FollowUp.objects.filter(pk=f.pk).update(due_at=f.due_at - delta)
    claim.refresh_from_db()
    return claim


def _days(claim):
    return {(f.kind, f.interval_days): f.status for f in FollowUp.objects.filter(claim=claim)}


def test_a_changed_day_moves_the_follow_ups_not_sent_to_the_claim_date_plus_the_new_day(
    claim, activity, coordinator
):
    thirty = FollowUp.objects.get(claim=claim, interval_days=30)
    _save(activity, coordinator, [7, 14, 90])
    thirty.refresh_from_db()
    assert (thirty.interval_days, thirty.status) == (14, FollowUpStatus.SCHEDULED)
    assert thirty.due_at == claim.claimed_at + datetime.timedelta(days=14)
    assert _days(claim) == {
        ("knowledge", 7): "scheduled", ("knowledge", 14): "scheduled", ("knowledge", 90): "scheduled",
        ("practice", 60): "scheduled",
    }  # fmt: skip
    event = AuditEvent.objects.get(action="follow_up.rescheduled", object_id=str(thirty.pk))
    assert (event.data["from_day"], event.data["to_day"]) == (30, 14)
    saved = AuditEvent.objects.filter(action="follow_up_plan.saved").order_by("id").last()
    assert saved.actor == coordinator
    assert (saved.data["moved"], saved.data["cancelled"], saved.data["scheduled"]) == (1, 0, 0)
    assert saved.data["old"]["intervals_days"] == [7, 30, 90]


def test_sent_and_answered_follow_ups_stay_as_they_were(claim, activity, coordinator):
    seven = FollowUp.objects.get(claim=claim, interval_days=7)
    scheduler.follow_ups_send_due(now=seven.due_at)
    seven.refresh_from_db()
    answers = {q["id"]: q["options"][0]["id"] for q in seven.questions}
    services.follow_up_answer_knowledge(follow_up=seven, answers=answers, at=seven.due_at)
    _save(activity, coordinator, [10, 30, 90])
    seven.refresh_from_db()
    assert (seven.interval_days, seven.status) == (7, FollowUpStatus.ANSWERED)
    assert seven.due_at == claim.claimed_at + datetime.timedelta(days=7)
    # The 7-day check was asked: moving it to day 10 asks nothing more of this claim.
    assert ("knowledge", 10) not in _days(claim)


def test_a_day_removed_cancels_its_follow_ups_not_sent(claim, activity, coordinator):
    _save(activity, coordinator, [7, 30])
    ninety = FollowUp.objects.get(claim=claim, interval_days=90)
    assert ninety.status == FollowUpStatus.CANCELLED
    event = AuditEvent.objects.get(action="follow_up.cancelled", object_id=str(ninety.pk))
    assert event.data["reason"] == "interval_removed"
    # Put back: the same follow-up comes back (never two rows for one day).
    _save(activity, coordinator, [7, 30, 90])
    ninety.refresh_from_db()
    assert ninety.status == FollowUpStatus.SCHEDULED
    assert FollowUp.objects.filter(claim=claim, interval_days=90).count() == 1


def test_a_day_added_is_scheduled_for_claims_inside_its_window_only(
    claim, activity, coordinator, make_user, django_capture_on_commit_callbacks
):
    from testkit import factories

    other = make_user("old-claim@example.org", profile=True)
    services.consent_set(learner=other, opted_in=True, where="my_learning")
    factories.pass_post_test(other, activity)
    factories.evaluate(other, activity, intends_change=False, change_description="")
    old = factories.claim_and_issue(other, activity, django_capture_on_commit_callbacks).claim
    _backdate(old, 250)  # day 180 passed 70 days ago: a late "180-day" check would measure day 250
    _save(activity, coordinator, [7, 30, 90, 180])
    added = FollowUp.objects.get(claim=claim, interval_days=180)
    assert added.status == FollowUpStatus.SCHEDULED
    assert added.due_at == claim.claimed_at + datetime.timedelta(days=180)
    assert not FollowUp.objects.filter(claim=old, interval_days=180).exists()
    event = (
        AuditEvent.objects.filter(action="follow_up.scheduled", object_id=str(claim.pk)).order_by("id").last()
    )
    assert event.data == {"follow_ups": ["knowledge:180"], "reason": "interval_added"}


def test_a_learner_who_opted_out_gets_no_added_day(claim, learner, activity, coordinator):
    services.consent_set(learner=learner, opted_in=False, where="my_learning")
    _save(activity, coordinator, [7, 30, 90, 180])
    assert not FollowUp.objects.filter(claim=claim, interval_days=180).exists()


def test_a_moved_day_already_past_is_sent_at_the_next_sweep_not_lost(claim, activity, coordinator):
    _backdate(claim, 20)
    now = timezone.now()
    scheduler.follow_ups_send_due(now=now)  # the 7-day check, 13 days late: sent now
    thirty = FollowUp.objects.get(claim=claim, interval_days=30)
    assert thirty.status == FollowUpStatus.SCHEDULED and thirty.due_at > now
    _save(activity, coordinator, [7, 14, 90])
    thirty.refresh_from_db()
    assert thirty.interval_days == 14 and thirty.due_at < now  # due six days ago
    counts = scheduler.follow_ups_send_due()
    assert counts["sent"] == 1
    thirty.refresh_from_db()
    assert thirty.status == FollowUpStatus.SENT


def test_a_day_added_already_past_but_inside_the_window_is_sent_at_the_next_sweep(
    claim, activity, coordinator
):
    _backdate(claim, 20)
    _save(activity, coordinator, [7, 14, 30, 90])  # day 14 passed six days ago: inside the link's 14 days
    fourteen = FollowUp.objects.get(claim=claim, interval_days=14)
    assert fourteen.status == FollowUpStatus.SCHEDULED and fourteen.due_at < timezone.now()
    scheduler.follow_ups_send_due()
    fourteen.refresh_from_db()
    assert fourteen.status == FollowUpStatus.SENT


def test_the_practice_change_day_moves_too(claim, activity, coordinator):
    _save(activity, coordinator, [7, 30, 90], practice=75)
    practice = FollowUp.objects.get(claim=claim, kind="practice")
    assert practice.interval_days == 75
    assert practice.due_at == claim.claimed_at + datetime.timedelta(days=75)


def test_a_moved_day_onto_a_day_already_asked_asks_once(claim, activity, coordinator):
    seven = FollowUp.objects.get(claim=claim, interval_days=7)
    scheduler.follow_ups_send_due(now=seven.due_at)
    _save(activity, coordinator, [30, 90])  # 7 removed (already sent: it stays)
    _save(activity, coordinator, [7, 90])  # 30 moved onto day 7, which was sent
    assert _days(claim) == {
        ("knowledge", 7): "sent", ("knowledge", 30): "cancelled", ("knowledge", 90): "scheduled",
        ("practice", 60): "scheduled",
    }  # fmt: skip
    thirty = FollowUp.objects.get(claim=claim, interval_days=30)
    event = AuditEvent.objects.get(action="follow_up.cancelled", object_id=str(thirty.pk))
    assert event.data["reason"] == "interval_moved"


def test_turning_the_plan_on_again_with_other_days_brings_nothing_back(claim, activity, coordinator):
    services.plan_save(
        activity=activity,
        actor=coordinator,
        enabled=False,
        intervals_days=[7, 30, 90],
        practice_change_days=60,
    )
    _save(activity, coordinator, [7, 14, 90])
    assert set(_days(claim).values()) == {"cancelled"}


def test_the_coordinator_form_moves_them_and_bad_days_move_nothing(claim, activity, coordinator_client):
    url = reverse("followups:coordinator_plan", args=[activity.pk])
    reused = [str(pk) for pk in Question.objects.filter(activity=activity).values_list("pk", flat=True)]
    form = {"enabled": "on", "intervals": "7, 30, 400", "practice_change_days": "60", "reused": reused}
    before = _days(claim)
    response = coordinator_client.post(url, form)
    assert response.status_code == 400
    assert _days(claim) == before
    assert not AuditEvent.objects.filter(action="follow_up.rescheduled").exists()
    form["intervals"] = "7, 30, 120"
    assert coordinator_client.post(url, form).status_code == 302
    moved = FollowUp.objects.get(claim=claim, interval_days=120)
    assert moved.status == FollowUpStatus.SCHEDULED
    assert moved.due_at == claim.claimed_at + datetime.timedelta(days=120)
