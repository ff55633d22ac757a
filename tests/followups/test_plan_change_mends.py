"""Edges of a plan's days changing: who the added day reaches (only the claims the plan follows),
who is named in its audit rows (the coordinator), and a follow-up scheduled for a certificate revoked
at the same moment (the sender cancels it, no email). And the demo's replay without emails is
refused outside a demo site."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from accounts.models import OutgoingEmail
from audit.models import AuditEvent
from credits.certificates import certificate_revoke
from credits.models import Certificate, Question
from followups import emails, scheduler, services
from followups.models import FollowUp, FollowUpConsent, FollowUpStatus
from testkit import factories


def _save(activity, coordinator, days, *, enabled=True):
    return services.plan_save(
        activity=activity,
        actor=coordinator,
        enabled=enabled,
        intervals_days=days,
        practice_change_days=60,
        reused_question_ids=list(Question.objects.filter(activity=activity).values_list("pk", flat=True)),
    )


def _other_claim(make_user, activity, capture, email="other@example.org"):
    other = make_user(email, profile=True)
    factories.pass_post_test(other, activity)
    factories.evaluate(other, activity, intends_change=False, change_description="")
    return factories.claim_and_issue(other, activity, capture).claim


def test_an_added_day_s_audit_rows_name_the_coordinator(claim, activity, coordinator):
    _save(activity, coordinator, [7, 30, 90, 180])
    event = AuditEvent.objects.get(
        action="follow_up.scheduled", object_id=str(claim.pk), data__reason="interval_added"
    )
    assert event.actor == coordinator
    assert event.data == {"follow_ups": ["knowledge:180"], "reason": "interval_added"}


def test_an_added_day_does_not_reach_a_claim_made_while_the_plan_was_off(
    claim, activity, coordinator, make_user, django_capture_on_commit_callbacks
):
    _save(activity, coordinator, [7, 30, 90], enabled=False)
    other = _other_claim(make_user, activity, django_capture_on_commit_callbacks)
    FollowUpConsent.objects.create(learner=other.learner, opted_in=True)  # opted in, plan off: none
    _save(activity, coordinator, [7, 30, 90])  # on again: brings nothing back (documented)
    assert not FollowUp.objects.filter(claim=other).exists()
    _save(activity, coordinator, [7, 30, 90, 180])
    assert not FollowUp.objects.filter(claim=other).exists()  # never followed: not reached back
    assert not FollowUp.objects.filter(claim=claim, interval_days=180).exists()  # all cancelled by off


def test_an_added_day_reaches_a_learner_who_opted_in_after_claiming_while_dates_were_ahead(
    claim, activity, coordinator, make_user, django_capture_on_commit_callbacks
):
    other = _other_claim(make_user, activity, django_capture_on_commit_callbacks)
    assert not FollowUp.objects.filter(claim=other).exists()
    services.consent_set(learner=other.learner, opted_in=True, where="my_learning")  # schedules 7, 30, 90
    _save(activity, coordinator, [7, 30, 90, 180])
    assert FollowUp.objects.get(claim=other, interval_days=180).status == FollowUpStatus.SCHEDULED
    assert FollowUp.objects.get(claim=claim, interval_days=180).status == FollowUpStatus.SCHEDULED


def test_an_added_day_does_not_reach_a_learner_who_opted_in_after_every_date_had_passed(
    plan, activity, coordinator, make_user, django_capture_on_commit_callbacks
):
    other = _other_claim(make_user, activity, django_capture_on_commit_callbacks)
    late = other.claimed_at + datetime.timedelta(days=100)
    services.consent_set(learner=other.learner, opted_in=True, where="my_learning", at=late)
    assert not FollowUp.objects.filter(claim=other).exists()  # 7, 30, 90 all passed at opt-in
    _save(activity, coordinator, [7, 30, 90, 180])
    assert not FollowUp.objects.filter(claim=other).exists()


def test_a_follow_up_on_a_revoked_certificate_is_cancelled_by_the_sweep_and_no_email_goes(
    claim, coordinator, django_capture_on_commit_callbacks
):
    # The race the sender closes: a day added (or a claim scheduled) as the certificate was revoked,
    # after the revocation's cancel ran. Here its after-commit cancel is not run: the rows stay SCHEDULED.
    certificate_revoke(certificate=claim.certificate, actor=coordinator, reason="Attestation was false")
    assert Certificate.objects.get(claim=claim).status == Certificate.Status.REVOKED
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    assert day7.status == FollowUpStatus.SCHEDULED
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        counts = scheduler.follow_ups_send_due(now=day7.due_at)
    assert counts == {"sent": 0, "cancelled": 1, "expired": 0, "batches": 1}
    day7.refresh_from_db()
    assert day7.status == FollowUpStatus.CANCELLED and day7.sent_at is None
    event = AuditEvent.objects.get(action="follow_up.cancelled", object_id=str(day7.pk))
    assert event.data == {"reason": "certificate_revoked", "was": "scheduled"}
    assert not any("Follow-up" in m.subject for m in mail.outbox)
    assert not OutgoingEmail.objects.filter(kind=emails.KIND).exists()


def test_marking_sent_without_emails_is_refused_outside_a_demo_site(settings, claim):
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    settings.PODCASTCME_DEMO_ALLOWED = False
    with pytest.raises(ImproperlyConfigured):
        scheduler.follow_ups_send_due(now=day7.due_at, email=False, claim_ids=[claim.pk])
    day7.refresh_from_db()
    assert day7.status == FollowUpStatus.SCHEDULED
    assert not AuditEvent.objects.filter(action="follow_up.sent").exists()


def test_the_demo_replay_without_emails_touches_only_the_claims_it_names(
    settings, claim, activity, make_user, django_capture_on_commit_callbacks
):
    settings.PODCASTCME_DEMO_ALLOWED = True
    other = _other_claim(make_user, activity, django_capture_on_commit_callbacks)
    services.consent_set(learner=other.learner, opted_in=True, where="my_learning")
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    with pytest.raises(ValueError):
        scheduler.follow_ups_send_due(now=day7.due_at, email=False)  # every due one: refused
    now = day7.due_at + datetime.timedelta(hours=1)
    other_day7 = FollowUp.objects.get(claim=other, interval_days=7)
    assert other_day7.due_at <= now  # due too: only the names keep it out
    counts = scheduler.follow_ups_send_due(now=now, email=False, claim_ids=[claim.pk])
    assert counts["sent"] == 1
    other_day7.refresh_from_db()
    assert other_day7.status == FollowUpStatus.SCHEDULED
