"""Reads of spaced follow-up: a plan for its setup page, a learner's retention and open follow-ups
(My learning, the personal feed), and the review shown after answering. A learner's reads always
filter on the learner: nobody sees another learner's follow-ups."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils import timezone

from credits.models import Activity

from . import links
from .models import FollowUp, FollowUpConsent, FollowUpKind, FollowUpPlan, FollowUpQuestion, FollowUpStatus


def plan_for(activity: Activity) -> FollowUpPlan | None:
    return FollowUpPlan.objects.filter(activity=activity).first()


def plan_questions(plan: FollowUpPlan | None) -> list[FollowUpQuestion]:
    if plan is None:
        return []
    return list(plan.questions.filter(active=True).select_related("source"))


def consent_of(learner) -> FollowUpConsent | None:
    return FollowUpConsent.objects.filter(learner=learner).first()


def open_follow_ups(*, learner, now: datetime.datetime | None = None, show=None) -> list[FollowUp]:
    """The learner's sent follow-ups whose link is still open, soonest to close first."""
    now = now or timezone.now()
    rows = FollowUp.objects.filter(learner=learner, status=FollowUpStatus.SENT, expires_at__gt=now)
    if show is not None:
        rows = rows.filter(activity__episode__show=show)
    return list(rows.select_related("activity__episode").order_by("expires_at", "id"))


@dataclass
class Retention:
    """One activity the learner was followed up on: the score at the claim and each answered check."""

    activity: Activity
    score_at_claim: int | None
    checks: list[FollowUp] = field(default_factory=list)  # answered knowledge checks, by day
    practice: FollowUp | None = None  # the answered practice-change follow-up, if any
    pending: list[FollowUp] = field(default_factory=list)  # sent and open (a link to answer)
    scheduled: list[FollowUp] = field(default_factory=list)  # not sent yet


def learner_retention(*, learner, now: datetime.datetime | None = None) -> list[Retention]:
    """Per activity followed up, newest claim first: one query."""
    now = now or timezone.now()
    rows = (
        FollowUp.objects.filter(learner=learner)
        .exclude(status=FollowUpStatus.CANCELLED)
        .select_related("activity", "claim__attempt", "practice_answer")
        .order_by("-claim__claimed_at", "claim_id", "interval_days", "kind")
    )
    by_claim: dict[int, Retention] = {}
    for f in rows:
        item = by_claim.get(f.claim_id)
        if item is None:
            item = by_claim[f.claim_id] = Retention(activity=f.activity, score_at_claim=f.claim.attempt.score)
        if f.status == FollowUpStatus.ANSWERED:
            if f.kind == FollowUpKind.KNOWLEDGE:
                item.checks.append(f)
            else:
                item.practice = f
        elif f.status == FollowUpStatus.SENT and f.expires_at and f.expires_at > now:
            f.token = links.follow_up_token(f)  # type: ignore[attr-defined]
            item.pending.append(f)
        elif f.status == FollowUpStatus.SCHEDULED:
            item.scheduled.append(f)
    return list(by_claim.values())


def knowledge_review(follow_up: FollowUp) -> list[dict[str, Any]]:
    """Each question as sent with the learner's answer, the correct option and the rationale."""
    answers = {a.question_id: a for a in follow_up.answers.all()}
    plan_questions = {
        q.pk: q for q in FollowUpQuestion.objects.filter(pk__in=[q["id"] for q in follow_up.questions])
    }
    review = []
    for asked in follow_up.questions:
        question = plan_questions[asked["id"]]
        texts = {o["id"]: o["text"] for o in asked["options"]}
        correct_ids = [o["id"] for o in question.options if o.get("correct")]
        answer = answers.get(asked["id"])
        review.append(
            {
                "text": asked["text"],
                "chosen": texts.get(answer.chosen_option, "") if answer else "",
                "correct": bool(answer and answer.correct),
                "correct_text": texts.get(correct_ids[0], "") if correct_ids else "",
                "rationale": question.rationale,
            }
        )
    return review


def activity_counts(activity: Activity) -> dict[str, int]:
    """The activity's follow-ups by status (the setup page's summary): one query."""
    counts = {status.value: 0 for status in FollowUpStatus}
    for row in FollowUp.objects.filter(activity=activity).values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
