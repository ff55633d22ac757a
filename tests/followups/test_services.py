"""The follow-up services: scheduling on a claim, consent, cancelling on revocation, answering once."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from followups import scheduler, services
from followups.errors import FollowUpError
from followups.models import FollowUp, FollowUpAnswer, FollowUpStatus, PracticeChangeAnswer


def _sent(claim, kind="knowledge", day=7):
    follow_up = FollowUp.objects.get(claim=claim, kind=kind, interval_days=day)
    scheduler.follow_ups_send_due(now=follow_up.due_at)
    follow_up.refresh_from_db()
    return follow_up


def test_a_claim_schedules_each_interval_and_the_practice_change_question(claim):
    rows = FollowUp.objects.filter(claim=claim).order_by("due_at")
    assert [(f.kind, f.interval_days) for f in rows] == [
        ("knowledge", 7), ("knowledge", 30), ("practice", 60), ("knowledge", 90)
    ]  # fmt: skip
    assert all(f.due_at == claim.claimed_at + datetime.timedelta(days=f.interval_days) for f in rows)
    assert len({f.nonce for f in rows}) == 4
    assert all(f.status == FollowUpStatus.SCHEDULED for f in rows)
    assert AuditEvent.objects.filter(action="follow_up.scheduled", object_id=str(claim.pk)).count() == 1


def test_no_practice_question_without_an_intent_to_change(
    learner, activity, plan, opted_in, django_capture_on_commit_callbacks
):
    from testkit import factories

    factories.pass_post_test(learner, activity)
    factories.evaluate(learner, activity, intends_change=False, change_description="")
    claim = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks).claim
    assert sorted(FollowUp.objects.filter(claim=claim).values_list("kind", flat=True)) == ["knowledge"] * 3


def test_nothing_is_scheduled_for_a_learner_who_did_not_opt_in(
    learner, activity, evaluated, plan, django_capture_on_commit_callbacks
):
    from testkit import factories

    claim = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks).claim
    assert not FollowUp.objects.filter(claim=claim).exists()
    # Opting in later schedules the dates still ahead (all of them, the claim being new).
    services.consent_set(learner=learner, opted_in=True, where="my_learning")
    assert FollowUp.objects.filter(claim=claim).count() == 4


def test_opting_in_late_schedules_only_dates_ahead(
    learner, activity, evaluated, plan, django_capture_on_commit_callbacks
):
    from testkit import factories

    claim = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks).claim
    later = claim.claimed_at + datetime.timedelta(days=40)
    services.consent_set(learner=learner, opted_in=True, where="my_learning", at=later)
    assert sorted(FollowUp.objects.filter(claim=claim).values_list("interval_days", flat=True)) == [60, 90]


def test_opting_out_cancels_what_is_not_answered_and_opting_in_again_brings_it_back(learner, claim):
    services.consent_set(learner=learner, opted_in=False, where="email")
    assert set(FollowUp.objects.filter(claim=claim).values_list("status", flat=True)) == {"cancelled"}
    assert AuditEvent.objects.filter(action="follow_up_consent.changed", data__opted_in=False).exists()
    services.consent_set(learner=learner, opted_in=True, where="my_learning")
    assert set(FollowUp.objects.filter(claim=claim).values_list("status", flat=True)) == {"scheduled"}


def test_a_revoked_certificate_cancels_its_claims_follow_ups(
    claim, coordinator, django_capture_on_commit_callbacks
):
    from credits.certificates import certificate_revoke

    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(certificate=claim.certificate, actor=coordinator, reason="Attestation was false")
    assert set(FollowUp.objects.filter(claim=claim).values_list("status", flat=True)) == {"cancelled"}


def test_knowledge_answers_are_scored_and_stored_once(claim):
    follow_up = _sent(claim)
    right = {q["id"]: next(o["id"] for o in q["options"]) for q in follow_up.questions}
    from followups.models import FollowUpQuestion

    for q in FollowUpQuestion.objects.filter(plan__activity=claim.activity):
        right[q.pk] = next(o["id"] for o in q.options if o["correct"])
    first = next(iter(right))
    wrong_option = next(o["id"] for o in FollowUpQuestion.objects.get(pk=first).options if not o["correct"])
    answers = {**right, first: wrong_option}
    done = services.follow_up_answer_knowledge(follow_up=follow_up, answers=answers)
    assert done.status == FollowUpStatus.ANSWERED and done.score == 67
    assert FollowUpAnswer.objects.filter(follow_up=follow_up, correct=True).count() == 2
    with pytest.raises(FollowUpError) as refused:
        services.follow_up_answer_knowledge(follow_up=follow_up, answers=right)
    assert refused.value.code == "answered"
    assert FollowUpAnswer.objects.filter(follow_up=follow_up).count() == 3


@pytest.mark.parametrize(
    "change, code",
    [
        (lambda a: dict(list(a.items())[:-1]), "missing"),
        (lambda a: {**a, next(iter(a)): 999999}, "options"),
        (lambda a: {**a, 999999: 1}, "options"),
        (lambda a: {**a, next(iter(a)): "x"}, "options"),
    ],
)
def test_bad_knowledge_answers_are_refused_and_write_nothing(claim, change, code):
    follow_up = _sent(claim)
    answers = {q["id"]: q["options"][0]["id"] for q in follow_up.questions}
    with pytest.raises(FollowUpError) as refused:
        services.follow_up_answer_knowledge(follow_up=follow_up, answers=change(answers))
    assert refused.value.code == code
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.SENT and not FollowUpAnswer.objects.exists()


def test_an_expired_follow_up_cannot_be_answered(claim):
    follow_up = _sent(claim)
    answers = {q["id"]: q["options"][0]["id"] for q in follow_up.questions}
    with pytest.raises(FollowUpError) as refused:
        services.follow_up_answer_knowledge(
            follow_up=follow_up, answers=answers, at=follow_up.expires_at + datetime.timedelta(seconds=1)
        )
    assert refused.value.code == "expired" and refused.value.status == 410


def test_practice_change_answer_keeps_the_stated_intent(claim):
    follow_up = _sent(claim, kind="practice", day=60)
    answer = services.follow_up_answer_practice(
        follow_up=follow_up, changed="partly", barriers=["time", "cost"], barrier_other=""
    )
    assert answer.intended_change == "Use a supraglottic airway earlier"
    assert answer.barriers == ["time", "cost"]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.ANSWERED
    assert AuditEvent.objects.filter(action="follow_up.answered", object_id=str(follow_up.pk)).exists()


@pytest.mark.parametrize(
    "changed, barriers, other, code",
    [
        ("maybe", [], "", "changed"),
        ("no", ["boredom"], "", "barriers"),
        ("no", [], "x" * 2001, "barrier_other"),
    ],
)
def test_bad_practice_answers_are_refused(claim, changed, barriers, other, code):
    follow_up = _sent(claim, kind="practice", day=60)
    with pytest.raises(FollowUpError) as refused:
        services.follow_up_answer_practice(
            follow_up=follow_up, changed=changed, barriers=barriers, barrier_other=other
        )
    assert refused.value.code == code
    assert not PracticeChangeAnswer.objects.exists()


def test_a_follow_up_not_sent_yet_cannot_be_answered(claim):
    follow_up = FollowUp.objects.get(claim=claim, kind="knowledge", interval_days=7)
    with pytest.raises(FollowUpError) as refused:
        services.follow_up_answer_knowledge(follow_up=follow_up, answers={}, at=timezone.now())
    assert refused.value.code == "not_sent"
