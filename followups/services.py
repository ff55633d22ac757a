"""Writes of spaced follow-up: a coordinator's plan and questions, a learner's consent, the follow-ups
scheduled for a claim (and cancelled), and the answers, each audited.

Locks: the learner's row first (accounts.locks, the project's one lock order), then the follow-up's.
Sending is in followups/scheduler.py (batches); reads are in followups/selectors.py.
"""

import datetime
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import lock_learner
from audit.services import audit_record, audit_record_many
from credits.models import Activity, Certificate, CreditClaim, Question

from .audit_actions import FollowUpAction
from .errors import FollowUpError
from .models import (
    Barrier,
    FollowUp,
    FollowUpAnswer,
    FollowUpConsent,
    FollowUpKind,
    FollowUpPlan,
    FollowUpQuestion,
    FollowUpStatus,
    PracticeChange,
    PracticeChangeAnswer,
)

MAX_INTERVALS = 5
MIN_DAY, MAX_DAY = 1, 365
PRACTICE_MIN_DAY, PRACTICE_MAX_DAY = 60, 90
MIN_OPTIONS, MAX_OPTIONS = 2, 6
MAX_QUESTION_CHARS, MAX_OPTION_CHARS, MAX_RATIONALE_CHARS = 2000, 500, 4000
MAX_BARRIER_OTHER_CHARS = 2000
OPEN = (FollowUpStatus.SCHEDULED, FollowUpStatus.SENT)


def new_nonce() -> str:
    return secrets.token_hex(16)


# --- The plan (coordinator) -----------------------------------------------------------------------


def intervals_clean(intervals: Iterable[Any]) -> list[int]:
    """The knowledge intervals as stored: whole days 1-365, each once, at most five, sorted.

    Raises FollowUpError naming the rule broken (the form shows it beside the field)."""
    days: list[int] = []
    for value in intervals:
        try:
            day = int(str(value).strip())
        except (TypeError, ValueError):
            raise FollowUpError(_("Each interval is a whole number of days, like 7."), "intervals") from None
        if not MIN_DAY <= day <= MAX_DAY:
            raise FollowUpError(
                _("Each interval is between %(min)d and %(max)d days after the claim.")
                % {"min": MIN_DAY, "max": MAX_DAY},
                "intervals",
            )
        if day in days:
            raise FollowUpError(_("Day %(day)d is listed twice.") % {"day": day}, "intervals")
        days.append(day)
    if not days:
        raise FollowUpError(_("Give at least one interval (for example 7, 30, 90)."), "intervals")
    if len(days) > MAX_INTERVALS:
        raise FollowUpError(
            _("At most %(n)d intervals: more follow-ups tire learners out.") % {"n": MAX_INTERVALS},
            "intervals",
        )
    return sorted(days)


def _plan_state(plan: FollowUpPlan) -> dict[str, Any]:
    return {
        "enabled": plan.enabled,
        "intervals_days": list(plan.intervals_days),
        "practice_change_days": plan.practice_change_days,
        "reused": sorted(q.source_id for q in plan.questions.all() if q.active and q.source_id is not None),
    }


def _reused_options(question: Question) -> list[dict[str, Any]]:
    # The post-test option ids are kept: the claim's attempt answered the same ids (the baseline).
    return [{"id": o.pk, "text": o.text, "correct": o.is_correct} for o in question.options.all()]


@transaction.atomic
def plan_save(
    *,
    activity: Activity,
    actor,
    enabled: bool,
    intervals_days: Sequence[Any],
    practice_change_days: int,
    reused_question_ids: Iterable[int] = (),
    at: datetime.datetime | None = None,
) -> FollowUpPlan:
    """Create or change the activity's plan: on or off, the intervals, the practice-change day and
    which post-test questions are asked again (copied with their options; one not chosen any more is
    kept inactive, for the report). Turning the plan off cancels the follow-ups not sent yet."""
    at = at or timezone.now()
    days = intervals_clean(intervals_days)
    try:
        practice_day = int(practice_change_days)
    except (TypeError, ValueError):
        raise FollowUpError(_("The practice-change day is a whole number."), "practice_change_days") from None
    if not PRACTICE_MIN_DAY <= practice_day <= PRACTICE_MAX_DAY:
        raise FollowUpError(
            _("Ask about practice change between day %(min)d and day %(max)d.")
            % {"min": PRACTICE_MIN_DAY, "max": PRACTICE_MAX_DAY},
            "practice_change_days",
        )
    wanted = set(reused_question_ids)
    sources = {q.pk: q for q in Question.objects.filter(activity=activity).prefetch_related("options")}
    if wanted - set(sources):
        raise FollowUpError(_("Choose questions from this activity's post-test."), "questions")
    plan, created = FollowUpPlan.objects.select_for_update().get_or_create(activity=activity)
    old = None if created else _plan_state(plan)
    plan.enabled = bool(enabled)
    plan.intervals_days = days
    plan.practice_change_days = practice_day
    plan.updated_at = at
    plan.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    plan.full_clean()
    plan.save()
    reused = plan.questions.filter(source__isnull=False)
    existing = {q.source_id: q for q in reused if q.source_id is not None}
    top = max((q.position for q in plan.questions.all()), default=0)
    for source_id, question in existing.items():
        active = source_id in wanted
        if question.active != active:
            question.active = active
            if active:  # chosen again: what the post-test says now
                question.text = sources[source_id].text
                question.options = _reused_options(sources[source_id])
                question.rationale = sources[source_id].rationale
            question.save()
    for source_id in sorted(wanted - set(existing), key=lambda pk: (sources[pk].position, pk)):
        top += 1
        source = sources[source_id]
        FollowUpQuestion.objects.create(
            plan=plan,
            position=top,
            source=source,
            text=source.text,
            options=_reused_options(source),
            rationale=source.rationale,
        )
    cancelled = 0
    moved: dict[str, int] = {}
    if not plan.enabled:
        not_sent = FollowUp.objects.filter(activity=activity, status=FollowUpStatus.SCHEDULED)
        cancelled = _cancel(not_sent, actor, reason="plan_off")
    elif old is not None and old["enabled"]:
        moved = _follow_ups_move(
            plan, actor, old_days=old["intervals_days"], old_practice=old["practice_change_days"], at=at
        )
    new = _plan_state(plan)
    audit_record(
        actor=actor,
        action=FollowUpAction.PLAN_SAVED,
        obj=plan,
        data={"old": old, "new": new, "cancelled": cancelled + moved.get("cancelled", 0), **moved},
    )
    return plan


def _interval_moves(old_days: Sequence[int], new_days: Sequence[int]) -> tuple[dict[int, int], list, list]:
    """How a change of intervals moves the follow-ups: (moved {old day: new day}, removed, added).

    A day in both lists stays. The days taken out and the days put in are paired in order (the
    coordinator who writes 7, 14, 90 instead of 7, 30, 90 moved the 30-day check to day 14);
    taken out beyond the pairs are removed, put in beyond them are added."""
    gone = sorted(set(old_days) - set(new_days))
    came = sorted(set(new_days) - set(old_days))
    pairs = dict(zip(gone, came, strict=False))
    return pairs, gone[len(pairs) :], came[len(pairs) :]


def _follow_ups_move(
    plan: FollowUpPlan, actor, *, old_days: Sequence[int], old_practice: int, at: datetime.datetime
) -> dict[str, int]:
    """Bring the activity's follow-ups not sent yet to the plan's new schedule (the plan was on and
    stays on). Sent, answered, expired and cancelled ones never change: they are what happened.

    - a day moved: its SCHEDULED follow-ups take the new day, due ``claimed_at + new day``; a new due
      date already past is simply due: the next sweep sends it (nothing is lost);
    - a day removed: its SCHEDULED follow-ups are cancelled (reason ``interval_removed``);
    - a day added: scheduled for the claims still inside the follow-up window (see ``_add_interval``).
    The practice-change day moves the same way. Each follow-up changed is audited.

    No learner lock (a plan touches many learners; the lock order is learner first): the rows are
    taken FOR UPDATE, and a learner who opts out meanwhile is cancelled by the sender at send time."""
    pairs, removed, added = _interval_moves(old_days, plan.intervals_days)
    counts = {"moved": 0, "cancelled": 0, "scheduled": 0}
    moves = [(FollowUpKind.KNOWLEDGE.value, old, new) for old, new in pairs.items()]
    if old_practice != plan.practice_change_days:
        moves.append((FollowUpKind.PRACTICE.value, old_practice, plan.practice_change_days))
    for kind, old_day, new_day in moves:
        moved, cancelled = _move_day(plan.activity_id, actor, kind=kind, old_day=old_day, new_day=new_day)
        counts["moved"] += moved
        counts["cancelled"] += cancelled
    if removed:
        not_sent = FollowUp.objects.filter(
            activity_id=plan.activity_id,
            status=FollowUpStatus.SCHEDULED,
            kind=FollowUpKind.KNOWLEDGE,
            interval_days__in=removed,
        )
        counts["cancelled"] += _cancel(not_sent, actor, reason="interval_removed")
    for day in added:
        counts["scheduled"] += _add_interval(plan, day, actor, at=at)
    return counts


def _move_day(activity_id: int, actor, *, kind: str, old_day: int, new_day: int) -> tuple[int, int]:
    """Move the SCHEDULED follow-ups of one day to another: (moved, cancelled). A claim that already
    has a follow-up at the new day keeps that one (sent or answered under an earlier plan: it stays;
    cancelled before it was sent: it is scheduled again) and its scheduled one at the old day is
    cancelled (reason ``interval_moved``): the learner is never asked twice at one day."""
    rows = list(
        FollowUp.objects.select_for_update(of=("self",))  # the follow-ups only, not their claims
        .filter(activity_id=activity_id, status=FollowUpStatus.SCHEDULED, kind=kind, interval_days=old_day)
        .select_related("claim")
        .only("pk", "kind", "status", "interval_days", "due_at", "claim__claimed_at")
    )
    if not rows:
        return 0, 0
    at_new_day = {
        f.claim_id: f
        for f in FollowUp.objects.filter(
            claim_id__in=[f.claim_id for f in rows], kind=kind, interval_days=new_day
        ).only("pk", "claim_id", "status", "sent_at")
    }
    # One cancelled before it was sent (the day removed earlier) comes back instead of the moved one.
    revive = [f.pk for f in at_new_day.values() if f.status == FollowUpStatus.CANCELLED and f.sent_at is None]
    clash = [f for f in rows if f.claim_id in at_new_day]
    move = [f for f in rows if f.claim_id not in at_new_day]
    audit_rows = []
    for f in move:
        due = f.claim.claimed_at + datetime.timedelta(days=new_day)
        audit_rows.append(
            (actor, FollowUpAction.RESCHEDULED, f,
             {"kind": kind, "from_day": old_day, "to_day": new_day,
              "from_due": f.due_at.isoformat(), "to_due": due.isoformat()})
        )  # fmt: skip
        f.interval_days, f.due_at = new_day, due
    FollowUp.objects.bulk_update(move, ["interval_days", "due_at"], batch_size=500)
    audit_record_many(audit_rows)
    cancelled = _cancel(FollowUp.objects.filter(pk__in=[f.pk for f in clash]), actor, reason="interval_moved")
    if revive:
        FollowUp.objects.filter(pk__in=revive).update(status=FollowUpStatus.SCHEDULED)
        data = {"kind": kind, "to_day": new_day, "revived": True}
        audit_record_many([(actor, FollowUpAction.RESCHEDULED, FollowUp(pk=pk), data) for pk in revive])
    return len(move) + len(revive), cancelled


def _add_interval(plan: FollowUpPlan, day: int, actor, *, at: datetime.datetime) -> int:
    """Schedule a day added to the plan for the claims the plan follows still inside its window:
    opted-in learners, at least one follow-up of the claim not cancelled (a claim made while the plan
    was off, or one whose learner opted in after all its dates had passed, is not followed: a day
    added does not reach back to it, as turning a plan on does not), certificate not revoked, and
    the new due date ahead or passed less than FOLLOW_UP_ANSWER_DAYS ago (a check sent later than a
    link stays open would measure another interval and mislabel the report). One passed is due at
    once: the next sweep sends it. A follow-up of that day cancelled before it was sent (the day
    removed earlier) comes back. Audited with the coordinator as actor. Returns how many."""
    earliest = at - datetime.timedelta(days=day + settings.FOLLOW_UP_ANSWER_DAYS)
    followed = FollowUp.objects.filter(claim_id=OuterRef("pk")).exclude(status=FollowUpStatus.CANCELLED)
    claims = list(
        CreditClaim.objects.filter(
            activity_id=plan.activity_id, claimed_at__gt=earliest, learner__follow_up_consent__opted_in=True
        )
        .filter(Exists(followed))
        .exclude(certificate__status=Certificate.Status.REVOKED)
        .only("pk", "learner_id", "activity_id", "claimed_at")
    )
    existing = {
        f.claim_id: f
        for f in FollowUp.objects.filter(
            claim__in=claims, kind=FollowUpKind.KNOWLEDGE, interval_days=day
        ).only("pk", "claim_id", "status", "sent_at")
    }
    new = [
        FollowUp(
            claim=claim,
            learner_id=claim.learner_id,
            activity_id=claim.activity_id,
            kind=FollowUpKind.KNOWLEDGE,
            interval_days=day,
            due_at=claim.claimed_at + datetime.timedelta(days=day),
            nonce=new_nonce(),
            created_at=at,
        )
        for claim in claims
        if claim.pk not in existing
    ]
    revived = [f.pk for f in existing.values() if f.status == FollowUpStatus.CANCELLED and f.sent_at is None]
    FollowUp.objects.bulk_create(new, batch_size=500)
    if revived:
        FollowUp.objects.filter(pk__in=revived, status=FollowUpStatus.CANCELLED).update(
            status=FollowUpStatus.SCHEDULED
        )
    revived_claims = {f.claim_id for f in existing.values() if f.pk in revived}
    audit_record_many(
        [
            (
                actor,
                FollowUpAction.SCHEDULED,
                claim,
                {"follow_ups": [f"knowledge:{day}"], "reason": "interval_added"},
            )
            for claim in claims
            if claim.pk not in existing or claim.pk in revived_claims
        ]
    )
    return len(new) + len(revived)


def question_options_clean(options: Sequence[Any], correct: Any) -> list[dict[str, Any]]:
    texts = [str(t).strip() for t in options if str(t).strip()]
    if not MIN_OPTIONS <= len(texts) <= MAX_OPTIONS:
        raise FollowUpError(
            _("Give between %(min)d and %(max)d options.") % {"min": MIN_OPTIONS, "max": MAX_OPTIONS},
            "options",
        )
    if any(len(t) > MAX_OPTION_CHARS for t in texts):
        raise FollowUpError(_("An option is at most %(n)d characters.") % {"n": MAX_OPTION_CHARS}, "options")
    if len({t.casefold() for t in texts}) != len(texts):
        raise FollowUpError(_("Two options say the same."), "options")
    try:
        right = int(correct)
    except (TypeError, ValueError):
        raise FollowUpError(_("Mark the one correct option."), "correct") from None
    if not 1 <= right <= len(texts):
        raise FollowUpError(_("Mark the one correct option (among those filled in)."), "correct")
    return [{"id": n, "text": t, "correct": n == right} for n, t in enumerate(texts, start=1)]


@transaction.atomic
def question_add(
    *, activity: Activity, actor, text: str, options: Sequence[Any], correct: Any, rationale: str = ""
) -> FollowUpQuestion:
    """A question written for the follow-up (no post-test baseline): 2-6 options, one correct."""
    text = (text or "").strip()
    rationale = (rationale or "").strip()
    if not text:
        raise FollowUpError(_("Write the question."), "text")
    if len(text) > MAX_QUESTION_CHARS:
        raise FollowUpError(
            _("The question is at most %(n)d characters.") % {"n": MAX_QUESTION_CHARS}, "text"
        )
    if len(rationale) > MAX_RATIONALE_CHARS:
        raise FollowUpError(
            _("The rationale is at most %(n)d characters.") % {"n": MAX_RATIONALE_CHARS}, "rationale"
        )
    cleaned = question_options_clean(options, correct)
    plan, _created = FollowUpPlan.objects.select_for_update().get_or_create(
        activity=activity,
        defaults={"updated_by": actor if getattr(actor, "is_authenticated", False) else None},
    )
    top = max(plan.questions.values_list("position", flat=True), default=0)
    question = FollowUpQuestion.objects.create(
        plan=plan, position=top + 1, text=text, options=cleaned, rationale=rationale
    )
    audit_record(
        actor=actor,
        action=FollowUpAction.QUESTION_ADDED,
        obj=plan,
        data={"question": question.pk, "text": text, "options": cleaned, "rationale": rationale},
    )
    return question


@transaction.atomic
def question_remove(*, question: FollowUpQuestion, actor) -> FollowUpQuestion:
    """Stop asking a question (kept, inactive: answers already given still point at it)."""
    question = FollowUpQuestion.objects.select_for_update().get(pk=question.pk)
    if not question.active:
        return question
    question.active = False
    question.save(update_fields=["active"])
    audit_record(
        actor=actor,
        action=FollowUpAction.QUESTION_REMOVED,
        obj=question.plan,
        data={"question": question.pk, "text": question.text},
    )
    return question


# --- Consent (learner) ----------------------------------------------------------------------------


def is_opted_in(learner) -> bool:
    return FollowUpConsent.objects.filter(learner=learner, opted_in=True).exists()


def consent_set(
    *, learner, opted_in: bool, where: str, at: datetime.datetime | None = None
) -> FollowUpConsent:
    """Record the learner's choice. Opting in schedules follow-ups for their claims whose dates are
    still ahead; opting out cancels every follow-up not yet answered (scheduled, or sent and open)."""
    at = at or timezone.now()
    with transaction.atomic():
        lock_learner(learner.pk)
        consent, _created = FollowUpConsent.objects.get_or_create(learner=learner)
        changed = consent.opted_in != opted_in or _created
        consent.opted_in = opted_in
        consent.changed_at = at
        consent.save()
        scheduled = cancelled = 0
        if opted_in:
            _lock_plans(CreditClaim.objects.filter(learner=learner))
            claims = CreditClaim.objects.filter(
                learner=learner, activity__follow_up_plan__enabled=True
            ).select_related("activity__follow_up_plan", "evaluation")
            for claim in claims:
                scheduled += len(_schedule(claim, at=at))
        else:
            cancelled = _cancel(FollowUp.objects.filter(learner=learner, status__in=OPEN), learner,
                                reason="opted_out")  # fmt: skip
        if changed or scheduled or cancelled:
            audit_record(
                actor=learner,
                action=FollowUpAction.CONSENT_CHANGED,
                obj=consent,
                data={"opted_in": opted_in, "where": where, "scheduled": scheduled, "cancelled": cancelled},
            )
    return consent


# --- Scheduling -----------------------------------------------------------------------------------


def _lock_plans(claims) -> None:
    """Take the plans of ``claims``' activities FOR UPDATE (in id order), after the learner's lock:
    scheduling then reads the days a concurrent plan_save committed, never the old ones after that
    change moved the rest."""
    plans = FollowUpPlan.objects.filter(activity_id__in=claims.values("activity_id"))
    list(plans.select_for_update().order_by("pk").values_list("pk", flat=True))


def _claim_is_revoked(claim: CreditClaim) -> bool:
    return Certificate.objects.filter(claim=claim, status=Certificate.Status.REVOKED).exists()


def _schedule(claim: CreditClaim, *, at: datetime.datetime) -> list[FollowUp]:
    """The follow-ups of ``claim`` whose dates are after ``at`` and that do not exist yet (or were
    cancelled by an opt-out: those come back); the caller checked consent and holds the learner lock."""
    plan = getattr(claim.activity, "follow_up_plan", None)
    if plan is None or not plan.enabled or _claim_is_revoked(claim):
        return []
    wanted = [(FollowUpKind.KNOWLEDGE.value, day) for day in plan.intervals_days]
    if claim.evaluation.intends_change:
        wanted.append((FollowUpKind.PRACTICE.value, plan.practice_change_days))
    wanted = [(kind, day) for kind, day in wanted if claim.claimed_at + datetime.timedelta(days=day) > at]
    if not wanted:
        return []
    existing = {(f.kind, f.interval_days): f for f in FollowUp.objects.filter(claim=claim)}
    new = [
        FollowUp(
            claim=claim,
            learner_id=claim.learner_id,
            activity_id=claim.activity_id,
            kind=kind,
            interval_days=day,
            due_at=claim.claimed_at + datetime.timedelta(days=day),
            nonce=new_nonce(),
            created_at=at,
        )
        for kind, day in wanted
        if (kind, day) not in existing
    ]
    revived = [
        f
        for key, f in existing.items()
        if key in wanted and f.status == FollowUpStatus.CANCELLED and f.sent_at is None
    ]
    FollowUp.objects.bulk_create(new)
    if revived:
        FollowUp.objects.filter(pk__in=[f.pk for f in revived]).update(status=FollowUpStatus.SCHEDULED)
    done = new + revived
    if done:
        audit_record(
            actor=None,
            action=FollowUpAction.SCHEDULED,
            obj=claim,
            data={"follow_ups": sorted([f"{f.kind}:{f.interval_days}" for f in done])},
        )
    return done


def follow_ups_schedule_for_claim(
    claim: CreditClaim, *, at: datetime.datetime | None = None
) -> list[FollowUp]:
    """Schedule the claim's follow-ups when its activity's plan is on and its learner opted in:
    a knowledge check at each interval and, when the evaluation stated an intent to change, the
    practice-change question; each due ``claimed_at + days``. Idempotent."""
    at = at or timezone.now()
    with transaction.atomic():
        lock_learner(claim.learner_id)
        if not is_opted_in(claim.learner_id):
            return []
        # The plan's row too (learner first, then plan: plan_save takes no learner lock): a change of
        # its days waits for this claim's follow-ups to exist and moves them, or this reads its new days.
        _lock_plans(CreditClaim.objects.filter(pk=claim.pk))
        claim = CreditClaim.objects.select_related("activity__follow_up_plan", "evaluation").get(pk=claim.pk)
        return _schedule(claim, at=at)


def _cancel(follow_ups, actor, *, reason: str) -> int:
    rows = list(follow_ups.select_for_update().only("pk", "kind", "interval_days", "status"))
    if not rows:
        return 0
    FollowUp.objects.filter(pk__in=[f.pk for f in rows]).update(status=FollowUpStatus.CANCELLED)
    audit_record_many(
        [(actor, FollowUpAction.CANCELLED, f, {"reason": reason, "was": f.status}) for f in rows]
    )
    return len(rows)


def follow_ups_cancel_for_claim(claim_id: int, *, reason: str) -> int:
    """Cancel the claim's follow-ups not answered yet (its certificate was revoked)."""
    claim = CreditClaim.objects.filter(pk=claim_id).only("pk", "learner_id").first()
    if claim is None:
        return 0
    with transaction.atomic():
        lock_learner(claim.learner_id)
        return _cancel(FollowUp.objects.filter(claim_id=claim_id, status__in=OPEN), None, reason=reason)


# --- Answers --------------------------------------------------------------------------------------


def _locked_open(follow_up: FollowUp, kind: str, at: datetime.datetime) -> FollowUp:
    """The follow-up locked, if it can be answered now; else FollowUpError (status for the view)."""
    locked = (
        FollowUp.objects.select_for_update()
        .select_related("claim__evaluation", "learner")
        .get(pk=follow_up.pk)
    )
    if locked.kind != kind:
        raise FollowUpError(_("This is not that kind of follow-up."), "kind")
    if locked.status == FollowUpStatus.ANSWERED:
        raise FollowUpError(_("You already answered this follow-up."), "answered", status=409)
    if locked.status == FollowUpStatus.CANCELLED:
        raise FollowUpError(_("This follow-up was cancelled."), "cancelled", status=410)
    if locked.status == FollowUpStatus.EXPIRED or (locked.expires_at is not None and at > locked.expires_at):
        raise FollowUpError(_("This follow-up has closed: its link was open for a limited time."), "expired",
                            status=410)  # fmt: skip
    if locked.status != FollowUpStatus.SENT:
        raise FollowUpError(_("This follow-up is not open yet."), "not_sent", status=404)
    return locked


def follow_up_answer_knowledge(
    *, follow_up: FollowUp, answers: dict[int, int], at: datetime.datetime | None = None
) -> FollowUp:
    """Score and store a knowledge follow-up's answers (``{question id: option id}``, every question
    as sent, each option one of that question's): FollowUpAnswer rows, the score in percent, ANSWERED.
    Once only: the row is locked, a second answer is refused (409) and writes nothing."""
    at = at or timezone.now()
    with transaction.atomic():
        lock_learner(follow_up.learner_id)
        locked = _locked_open(follow_up, FollowUpKind.KNOWLEDGE, at)
        asked = {int(q["id"]): {int(o["id"]) for o in q["options"]} for q in locked.questions}
        try:
            given = {int(q): int(o) for q, o in answers.items()}
        except (TypeError, ValueError):
            raise FollowUpError(_("Choose one of the options for each question."), "options") from None
        missing = set(asked) - set(given)
        if missing:
            raise FollowUpError(_("Answer every question."), "missing")
        if set(given) - set(asked) or any(given[q] not in asked[q] for q in asked):
            raise FollowUpError(_("Choose one of the options shown for each question."), "options")
        questions = {q.pk: q for q in FollowUpQuestion.objects.filter(pk__in=asked)}
        rows = []
        for qid in asked:
            correct_ids = {int(o["id"]) for o in questions[qid].options if o.get("correct")}
            rows.append(
                FollowUpAnswer(
                    follow_up=locked,
                    question_id=qid,
                    chosen_option=given[qid],
                    correct=given[qid] in correct_ids,
                    answered_at=at,
                )
            )
        FollowUpAnswer.objects.bulk_create(rows)
        right = sum(1 for r in rows if r.correct)
        locked.score = round(100 * right / len(rows)) if rows else 0
        locked.status = FollowUpStatus.ANSWERED
        locked.answered_at = at
        locked.save(update_fields=["score", "status", "answered_at"])
        audit_record(
            actor=locked.learner,
            action=FollowUpAction.ANSWERED,
            obj=locked,
            data={"kind": locked.kind, "score": locked.score, "right": right, "asked": len(rows)},
        )
    return locked


def follow_up_answer_practice(
    *,
    follow_up: FollowUp,
    changed: str,
    barriers: Sequence[str],
    barrier_other: str = "",
    at: datetime.datetime | None = None,
) -> PracticeChangeAnswer:
    """Store the practice-change answer: did the learner change what they said they would (their
    evaluation's words are kept with the answer), and what got in the way. Once only."""
    at = at or timezone.now()
    if changed not in PracticeChange.values:
        raise FollowUpError(_("Say whether you changed your practice."), "changed")
    barriers = list(dict.fromkeys(barriers))
    if any(b not in Barrier.values for b in barriers):
        raise FollowUpError(_("Choose barriers from the list."), "barriers")
    barrier_other = (barrier_other or "").strip()
    if len(barrier_other) > MAX_BARRIER_OTHER_CHARS:
        raise FollowUpError(
            _("Keep it under %(n)d characters.") % {"n": MAX_BARRIER_OTHER_CHARS}, "barrier_other"
        )
    if barrier_other and Barrier.OTHER not in barriers:
        barriers.append(Barrier.OTHER.value)
    with transaction.atomic():
        lock_learner(follow_up.learner_id)
        locked = _locked_open(follow_up, FollowUpKind.PRACTICE, at)
        answer = PracticeChangeAnswer.objects.create(
            follow_up=locked,
            intended_change=locked.claim.evaluation.change_description,
            changed=changed,
            barriers=barriers,
            barrier_other=barrier_other,
            answered_at=at,
        )
        locked.status = FollowUpStatus.ANSWERED
        locked.answered_at = at
        locked.save(update_fields=["status", "answered_at"])
        audit_record(
            actor=locked.learner,
            action=FollowUpAction.ANSWERED,
            obj=locked,
            data={"kind": locked.kind, "changed": changed, "barriers": barriers},
        )
    return answer
