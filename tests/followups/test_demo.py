"""The demo's follow-up (issue 18, "done when"): after seed_demo and seed_demo_follow_ups the demo
activity has a plan, follow-ups with answers and an outcomes report with figures; seeding again
changes nothing."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.demo import DEMO_COORDINATOR, DEMO_LEARNER, DEMO_NURSE, DEMO_PHARMACIST
from accounts.models import User
from audit.models import AuditEvent
from credits.models import Activity, CreditClaim
from credits.outcome_evidence import outcome_evidence
from followups.audit_actions import FollowUpAction
from followups.demo import seed_demo_follow_ups
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
