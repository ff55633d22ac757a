"""The demo's follow-up (issue 18, "done when"): after seed_demo and seed_demo_follow_ups the demo
activity has a plan, follow-ups with answers and an outcomes report with figures; seeding again
changes nothing. The demo's history lies in the past: its claims were made about 100 days before the
seeding and the follow-ups sent and answered on their days since."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.demo import DEMO_COORDINATOR, DEMO_LEARNER, DEMO_NURSE, DEMO_PHARMACIST
from accounts.models import OutgoingEmail, User
from audit.models import AuditEvent
from credits import services as credit_services
from credits.audit_actions import CreditAction
from credits.demo import backdate_demo_activity_setup, backdate_demo_claim, demo_audit_redate
from credits.models import (
    Activity,
    ActivityCredit,
    ActivityVersion,
    Attempt,
    Certificate,
    CompletionRecord,
    ContentPerson,
    CreditClaim,
    DisclosureForm,
    DisclosureRequest,
    Evaluation,
    MocRegistration,
    ProviderPerson,
    RelevanceDecision,
    ShowProviderGrant,
    SpeakerMatch,
)
from credits.outcome_evidence import outcome_evidence
from credits.provider_time import provider_zone
from followups.audit_actions import FollowUpAction
from followups.demo import CLAIMED_DAYS_AGO, seed_demo_follow_ups
from followups.models import FollowUp, FollowUpAnswer, FollowUpQuestion, FollowUpStatus, PracticeChangeAnswer
from followups.outcomes import outcomes_report
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        CreditClaim.objects.count(),
        FollowUpQuestion.objects.count(),
        FollowUp.objects.count(),
        FollowUpAnswer.objects.count(),
        PracticeChangeAnswer.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_demo_activity_has_follow_ups_answers_and_an_outcomes_report(client):
    call_command("seed_demo")
    activity = Activity.objects.get(episode__slug="pocus-for-the-airway")
    # Only the follow-ups still open got an email (in the outbox) at the seeding; the history
    # (answered or closed) was sent without one, audited so.
    emails = OutgoingEmail.objects.filter(kind="followups/email/follow_up")
    still_open = FollowUp.objects.filter(activity=activity, status=FollowUpStatus.SENT)
    assert emails.count() == still_open.count() == 3
    assert sorted(e.to[0] for e in emails) == sorted(f.learner.email for f in still_open)
    assert all(e.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for e in emails)
    history = FollowUp.objects.filter(activity=activity, sent_at__isnull=False).exclude(
        status=FollowUpStatus.SENT
    )
    assert history.count() == 35
    assert AuditEvent.objects.filter(action=FollowUpAction.SENT, data__email=False).count() == 35
    learners = list(User.objects.filter(email__in=[DEMO_LEARNER, DEMO_NURSE, DEMO_PHARMACIST]).order_by("pk"))

    seed_demo_follow_ups(activity=activity, learners=learners)

    # The plan: the three post-test questions again, and one written for the follow-up.
    questions = list(FollowUpQuestion.objects.filter(plan__activity=activity))
    assert sum(q.source_id is not None for q in questions) == 3
    assert sum(q.source_id is None for q in questions) == 1
    # Ten learners claimed it; each answered through the services (audited).
    report = outcomes_report(activity)
    assert report.claims == 10
    by_days = {row.days: row for row in report.intervals}
    assert [by_days[d].overall.learners for d in (7, 30, 90)] == [9, 8, 7]
    assert all(by_days[d].overall.learners >= 5 for d in (7, 30, 90))
    assert by_days[7].expired == 1 and by_days[90].open == 3
    # Retention falls with time, against the same learners' 100% at the claim.
    assert by_days[7].overall.at_claim.percent == 100.0
    assert by_days[7].overall.at_follow_up.percent > by_days[90].overall.at_follow_up.percent
    assert report.practice.answered >= 5 and report.practice.barrier_other
    answered = FollowUp.objects.filter(activity=activity, status=FollowUpStatus.ANSWERED).count()
    assert AuditEvent.objects.filter(action=FollowUpAction.ANSWERED).count() == answered
    assert set(outcome_evidence([activity])[activity.pk]) == {"learner_knowledge", "learner_performance"}

    before = _counts()
    seed_demo_follow_ups(activity=activity, learners=learners)
    assert _counts() == before  # idempotent

    coordinator = User.objects.get(email=DEMO_COORDINATOR)
    mfa_login(client, coordinator)
    page = client.get(reverse("followups:outcomes", args=[activity.pk])).content.decode()
    assert "Day 7 (n=9)" in page and "Day 90 (n=7)" in page
    assert 'id="outcomes-empty"' not in page
    assert "shared with the ICU" in page


def _dated_rows() -> list[tuple[str, int, object]]:
    """Every timestamp the demo's claims and follow-ups carry, to compare two seedings."""
    rows: list[tuple[str, int, object]] = []
    for model, fields in (
        (CreditClaim, ["claimed_at"]),
        (Attempt, ["started_at", "submitted_at"]),
        (Evaluation, ["submitted_at"]),
        (Certificate, ["issued_at", "completion_date", "number"]),
        (CompletionRecord, ["completed_at"]),
        (FollowUp, ["created_at", "due_at", "sent_at", "answered_at", "expires_at", "status"]),
        (Activity, ["created_at", "updated_at", "published_at"]),
        (ActivityVersion, ["created_at"]),
        (DisclosureRequest, ["created_at", "expires_at", "used_at"]),
        (DisclosureForm, ["submitted_at", "collected_on"]),
        (RelevanceDecision, ["decided_at", "mitigated_at"]),
        (ContentPerson, ["added_at"]),
        (SpeakerMatch, ["decided_at"]),
        (ShowProviderGrant, ["requested_at", "accepted_at"]),
    ):
        for row in model.objects.order_by("pk").values("pk", *fields):
            rows += [(f"{model.__name__}.{field}", row["pk"], row[field]) for field in fields]
    return rows


def test_the_demo_history_lies_in_the_past_and_seeding_again_moves_nothing():
    call_command("seed_demo")
    now = timezone.now()
    activity = Activity.objects.get(episode__slug="pocus-for-the-airway")
    claims = list(
        CreditClaim.objects.filter(activity=activity).select_related("learner", "attempt", "evaluation")
    )
    assert len(claims) == 10

    # Nothing the demo wrote is dated after now.
    assert not FollowUp.objects.filter(
        Q(created_at__gt=now) | Q(due_at__gt=now) | Q(sent_at__gt=now) | Q(answered_at__gt=now)
    ).exists()
    assert not FollowUpAnswer.objects.filter(answered_at__gt=now).exists()
    assert not PracticeChangeAnswer.objects.filter(answered_at__gt=now).exists()
    assert not CreditClaim.objects.filter(claimed_at__gt=now).exists()
    assert not Certificate.objects.filter(Q(issued_at__gt=now) | Q(completion_date__gt=now.date())).exists()
    assert not AuditEvent.objects.filter(created_at__gt=now).exists()

    # The first activity's claims (the demo learner's, nurse's and pharmacist's too) were made about
    # 100 days ago, after the activity's release and its episode's publication; each learner's steps
    # in order, the certificate issued with the claim, its number in the year of its date.
    demo_claims = [c for c in claims if c.learner.email in {DEMO_LEARNER, DEMO_NURSE, DEMO_PHARMACIST}]
    assert len(demo_claims) == 3
    for claim in claims:
        assert CLAIMED_DAYS_AGO - 3 < (now - claim.claimed_at).days < CLAIMED_DAYS_AGO + 1
        assert activity.episode.publish_at < claim.attempt.started_at < claim.attempt.submitted_at
        assert activity.release_date <= claim.claimed_at.date()
        assert claim.attempt.submitted_at < claim.evaluation.submitted_at < claim.claimed_at
        certificate = Certificate.objects.get(claim=claim)
        assert certificate.issued_at == claim.claimed_at
        zone = provider_zone(activity.provider)
        assert certificate.completion_date == timezone.localtime(claim.claimed_at, zone).date()
        assert f"-{timezone.localtime(claim.claimed_at, zone).year}-" in certificate.number
        assert CompletionRecord.objects.get(claim=claim).completed_at == claim.claimed_at
        # The audit rows about the claim and its certificate's issue say when they happened.
        created = AuditEvent.objects.for_object(claim).get(action=CreditAction.CLAIM_CREATED)
        assert created.created_at == claim.claimed_at
        assert not AuditEvent.objects.for_object(claim).filter(created_at__lt=claim.claimed_at).exists()
        issued = AuditEvent.objects.for_object(certificate).get(action=CreditAction.CERTIFICATE_ISSUED)
        assert issued.created_at == claim.claimed_at

    # The activity was set up before any claim, in a CME office's order: its grant, its creation, its
    # people's disclosures collected, the relevant relationship mitigated and the speakers matched,
    # then publication, before its release; each of these audit rows dated with its step.
    first_claim = min(c.claimed_at for c in claims)
    activity.refresh_from_db()
    grant = ShowProviderGrant.objects.get(show=activity.episode.show, provider=activity.provider)
    assert grant.requested_at < grant.accepted_at < activity.created_at
    people = ContentPerson.objects.filter(activity=activity)
    person_ids = people.values_list("person_id", flat=True)
    assert people.count() == 5
    assert all(p.added_at == activity.created_at for p in people)
    assert all(p.created_at <= activity.created_at for p in ProviderPerson.objects.filter(pk__in=person_ids))
    requests = DisclosureRequest.objects.filter(activity=activity)
    forms = DisclosureForm.objects.filter(person_id__in=person_ids)
    assert requests.count() == 5 and forms.count() == 5
    for request in requests:
        assert activity.created_at <= request.created_at < request.used_at < request.expires_at
    collected = max(f.submitted_at for f in forms)
    assert all(f.collected_on == timezone.localtime(f.submitted_at, zone).date() for f in forms)
    decisions = RelevanceDecision.objects.filter(content_person__activity=activity)
    assert decisions.exists()
    for decision in decisions:
        assert collected < decision.decided_at and decision.mitigated_at == decision.decided_at
        assert decision.decided_at < activity.published_at
    assert all(m.decided_at < activity.published_at for m in SpeakerMatch.objects.filter(activity=activity))
    assert all(c.created_at < activity.published_at for c in ActivityCredit.objects.filter(activity=activity))
    assert all(
        r.created_at < activity.published_at for r in MocRegistration.objects.filter(activity=activity)
    )
    version = ActivityVersion.objects.get(activity=activity)
    assert version.created_at == activity.published_at
    assert activity.updated_at < first_claim
    assert activity.published_at.date() < activity.release_date < first_claim.date()
    setup_rows = AuditEvent.objects.for_object(activity).filter(
        action__in=[
            "activity.created",
            "activity.person_added",
            "disclosure.requested",
            "disclosure.collected",
            "disclosure.relevance_decided",
            "activity.speaker_matched",
            "activity.published",
        ]
    )
    assert setup_rows.count() == 1 + 5 + 5 + 5 + 1 + 3 + 1
    assert all(row.created_at < activity.published_at + datetime.timedelta(minutes=1) for row in setup_rows)
    assert setup_rows.get(action="activity.created").created_at == activity.created_at
    assert setup_rows.get(action="activity.published").created_at >= activity.published_at
    assert all(row.created_at < collected for row in setup_rows.filter(action="disclosure.requested"))
    for action in ("disclosure.collected", "disclosure.relevance_decided", "activity.speaker_matched"):
        assert all(row.created_at < activity.published_at for row in setup_rows.filter(action=action))
    for row in AuditEvent.objects.for_object(grant):
        assert row.created_at < activity.created_at
    assert (
        not AuditEvent.objects.for_object(activity)
        .filter(created_at__gte=first_claim - datetime.timedelta(days=1))
        .exclude(action__startswith="followup")
        .exists()
    )

    # Each follow-up was sent on its due day and answered the next; some expired, the last still open.
    for follow_up in FollowUp.objects.filter(activity=activity).select_related("claim"):
        assert follow_up.due_at == follow_up.claim.claimed_at + datetime.timedelta(
            days=follow_up.interval_days
        )
        assert follow_up.sent_at == follow_up.due_at
        if follow_up.status == FollowUpStatus.ANSWERED:
            assert follow_up.answered_at == follow_up.sent_at + datetime.timedelta(days=1)
    statuses = {
        (f.interval_days, f.status)
        for f in FollowUp.objects.filter(activity=activity).exclude(status=FollowUpStatus.ANSWERED)
    }
    assert (7, FollowUpStatus.EXPIRED) in statuses and (90, FollowUpStatus.SENT) in statuses
    for event in AuditEvent.objects.filter(action=FollowUpAction.ANSWERED):
        assert FollowUp.objects.get(pk=event.object_id).answered_at == event.created_at

    # The outcomes report still has figures.
    report = outcomes_report(activity)
    assert report.claims == 10
    assert [row.overall.learners for row in report.intervals] == [9, 8, 7]
    assert report.practice.answered >= 5

    before, dated = _counts(), _dated_rows()
    call_command("seed_demo")
    assert _counts() == before
    assert _dated_rows() == dated  # nothing moved twice


def test_moving_a_claim_in_time_is_refused_outside_a_demo_site(settings, learner, activity, evaluated):
    claim = credit_services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    settings.PODCASTCME_DEMO_ALLOWED = False
    with pytest.raises(ImproperlyConfigured):
        backdate_demo_claim(claim=claim, at=timezone.now() - datetime.timedelta(days=100))
    with pytest.raises(ImproperlyConfigured):
        demo_audit_redate(after_id=0, at=timezone.now() - datetime.timedelta(days=100))
    with pytest.raises(ImproperlyConfigured):
        backdate_demo_activity_setup(
            activity=activity, published_at=timezone.now() - datetime.timedelta(days=125), after_id=0
        )
    claim.refresh_from_db()
    assert claim.claimed_at > timezone.now() - datetime.timedelta(minutes=5)
    assert not AuditEvent.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(days=1)).exists()


def test_a_claim_moved_into_the_previous_year_gets_that_year_s_certificate_number(
    learner, activity, evaluated
):
    claim = credit_services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    certificate = Certificate.objects.get(claim=claim)
    last_year = timezone.now().replace(year=timezone.now().year - 1, month=6, day=15)

    assert backdate_demo_claim(claim=claim, at=last_year) is True
    assert backdate_demo_claim(claim=claim, at=last_year) is False  # once only

    certificate.refresh_from_db()
    assert certificate.issued_at == last_year
    assert (
        certificate.completion_date == timezone.localtime(last_year, provider_zone(activity.provider)).date()
    )
    assert f"-{last_year.year}-" in certificate.number
    assert CreditClaim.objects.get(pk=claim.pk).claimed_at == last_year
