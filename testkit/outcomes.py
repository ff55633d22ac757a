"""Follow-up rows for outcome report tests, written straight to the tables (many learners in seconds):
the rows followups.services writes when a plan is saved, a follow-up sent and answered."""

import datetime
import uuid

from django.utils import timezone

from credits.models import Attempt, CreditClaim
from followups.models import (
    FollowUp,
    FollowUpAnswer,
    FollowUpKind,
    FollowUpPlan,
    FollowUpQuestion,
    FollowUpStatus,
    PracticeChangeAnswer,
)


def make_plan(activity, *, new_question: bool = False) -> FollowUpPlan:
    """The plan rows as followups.services.plan_save writes them (the post-test questions reused)."""
    plan = FollowUpPlan.objects.create(activity=activity)
    for n, q in enumerate(activity.questions.prefetch_related("options"), start=1):
        FollowUpQuestion.objects.create(
            plan=plan,
            position=n,
            source=q,
            text=q.text,
            options=[{"id": o.pk, "text": o.text, "correct": o.is_correct} for o in q.options.all()],
        )
    if new_question:
        FollowUpQuestion.objects.create(
            plan=plan,
            position=9,
            text="A question written for the follow-up",
            options=[
                {"id": 1, "text": "Right", "correct": True},
                {"id": 2, "text": "Wrong", "correct": False},
            ],
        )
    return plan


def follow_up(claim, *, days: int, kind=FollowUpKind.KNOWLEDGE, status=FollowUpStatus.ANSWERED) -> FollowUp:
    now = timezone.now()
    return FollowUp.objects.create(
        claim=claim,
        learner_id=claim.learner_id,
        activity_id=claim.activity_id,
        kind=kind,
        interval_days=days,
        due_at=claim.claimed_at + datetime.timedelta(days=days),
        status=status,
        nonce=uuid.uuid4().hex,
        sent_at=None if status == FollowUpStatus.SCHEDULED else now,
        answered_at=now if status == FollowUpStatus.ANSWERED else None,
    )


def answer(claim, *, days: int, correct: list[bool]) -> FollowUp:
    """An answered knowledge follow-up: one answer per plan question, in plan order, right or wrong."""
    f = follow_up(claim, days=days)
    questions = list(FollowUpQuestion.objects.filter(plan__activity_id=claim.activity_id))
    for question, right in zip(questions, correct, strict=False):
        options = question.options
        chosen = next(o["id"] for o in options if bool(o.get("correct")) == right)
        FollowUpAnswer.objects.create(follow_up=f, question=question, chosen_option=chosen, correct=right)
    f.score = round(100 * sum(correct) / len(correct))
    f.save(update_fields=["score"])
    return f


def practice(claim, *, changed: str, barriers=(), other: str = "") -> PracticeChangeAnswer:
    f = follow_up(claim, days=60, kind=FollowUpKind.PRACTICE)
    return PracticeChangeAnswer.objects.create(
        follow_up=f, changed=changed, barriers=list(barriers), barrier_other=other
    )


def claims_of(activity) -> list[CreditClaim]:
    return list(CreditClaim.objects.filter(activity=activity).order_by("pk"))


def set_baseline(claim, correct: list[bool]) -> None:
    """The claim's passing attempt's results, question by question in post-test order."""
    attempt = Attempt.objects.get(pk=claim.attempt_id)
    qids = [str(q.pk) for q in claim.activity.questions.all()]
    results = {
        qid: {**attempt.results[qid], "correct": right} for qid, right in zip(qids, correct, strict=True)
    }
    Attempt.objects.filter(pk=attempt.pk).update(results=results)
