"""The outcomes report of an activity (issue 18, item 3): knowledge at the claim against knowledge at
each follow-up interval (per question and overall, with counts), response rates per interval, and
practice change reported against intended, with the barriers named. Reads only (selectors).

Decisions (docs/outcomes.md):

- **Paired comparison.** A follow-up interval counts only the learners who answered that interval's
  follow-up, and the "at claim" figure beside it is computed from the *same* learners: for each
  (claim, question) answered at the follow-up, the claim's own post-test answer to the question the
  follow-up question repeats (``FollowUpQuestion.baseline_question_id``, which outlives a
  replaced post-test), read from the passing attempt the claim
  rests on (``claim.attempt.results``). A pair counts only when both answers exist (a claim made on a
  version without that question has no baseline for it). So a drop is a drop in the same people, not
  a different mix of people. The all-claims figure at the claim is shown too, for context, labelled.
- **The baseline is the passing attempt**, not the first: it is the knowledge the credit was given
  for. Earlier failed attempts are not counted.
- **Revoked credit leaves the report** (as it leaves every total): a claim whose certificate was
  revoked counts nowhere, neither at the claim nor at its follow-ups.
- A question written for the follow-up (no ``baseline_question_id``) has follow-up figures and no
  baseline; it is not in the paired overall figure.

A fixed number of queries, whatever the number of learners (tests/followups/test_outcomes.py).
"""

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from credits.models import Activity, Certificate, CreditClaim

from .models import (
    Barrier,
    FollowUp,
    FollowUpAnswer,
    FollowUpKind,
    FollowUpPlan,
    FollowUpQuestion,
    FollowUpStatus,
    PracticeChange,
    PracticeChangeAnswer,
)

# Below this many learners a figure is shown with a caution: one answer moves it a lot.
SMALL_SAMPLE = 5

_REVOKED = Q(claim__certificate__status=Certificate.Status.REVOKED)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclasses.dataclass
class Tally:
    """Correct answers out of answers."""

    correct: int = 0
    n: int = 0

    def add(self, correct: bool) -> None:
        self.n += 1
        self.correct += bool(correct)

    @property
    def percent(self) -> float | None:
        return percent(self.correct, self.n)


@dataclasses.dataclass
class Paired:
    """One comparison: the same (claim, question) pairs at the claim and at the follow-up."""

    at_claim: Tally = dataclasses.field(default_factory=Tally)
    at_follow_up: Tally = dataclasses.field(default_factory=Tally)
    # Answers at the follow-up with no baseline (a question written for the follow-up, or a claim
    # whose attempt did not have the question): they count in ``follow_up_all`` only.
    follow_up_all: Tally = dataclasses.field(default_factory=Tally)
    learners: int = 0  # learners who answered this follow-up (the interval's n)

    @property
    def change(self) -> float | None:
        """Percentage points from the claim to the follow-up (paired)."""
        before, after = self.at_claim.percent, self.at_follow_up.percent
        return None if before is None or after is None else round(after - before, 1)


@dataclasses.dataclass
class QuestionRow:
    question: FollowUpQuestion
    # All claims' answers at the claim (context: not paired).
    all_claims: Tally
    by_interval: dict[int, Paired]


@dataclasses.dataclass
class IntervalRow:
    days: int
    scheduled: int = 0
    sent: int = 0  # sent so far, whatever happened next (answered, expired or still open)
    open: int = 0  # sent and not yet answered or expired
    answered: int = 0
    expired: int = 0
    cancelled: int = 0
    overall: Paired = dataclasses.field(default_factory=Paired)

    @property
    def response_rate(self) -> float | None:
        """Answered out of those whose chance to answer is over (answered or expired)."""
        return percent(self.answered, self.answered + self.expired)

    @property
    def answered_of_sent(self) -> float | None:
        return percent(self.answered, self.sent)


@dataclasses.dataclass
class PracticeSummary:
    days: list[int]
    claims: int = 0  # claims counted in the report (revoked credit left out)
    intended: int = 0  # of which the evaluation said "I intend to change my practice"
    rates: IntervalRow | None = None  # practice-change follow-ups: sent, answered, expired
    # changed (yes/partly/no/na) by whether the learner had said they intended to change
    by_intent: dict[bool, Counter] = dataclasses.field(
        default_factory=lambda: {True: Counter(), False: Counter()}
    )
    barriers: Counter = dataclasses.field(default_factory=Counter)
    barrier_other: list[str] = dataclasses.field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(self.by_intent[True].values()) + sum(self.by_intent[False].values())

    @property
    def changed(self) -> Counter:
        return self.by_intent[True] + self.by_intent[False]

    @property
    def changed_rows(self) -> list[tuple[str, str, int, float | None, int, int]]:
        """(code, label, learners, percent of answers, of whom intended, of whom did not)."""
        total = self.answered
        return [
            (
                code,
                str(label),
                self.changed[code],
                percent(self.changed[code], total),
                self.by_intent[True][code],
                self.by_intent[False][code],
            )
            for code, label in PracticeChange.choices
        ]

    @property
    def changed_some(self) -> int:
        """Reported a change, in full or in part."""
        return self.changed[PracticeChange.YES] + self.changed[PracticeChange.PARTLY]

    @property
    def barrier_rows(self) -> list[tuple[str, str, int, float | None]]:
        total = self.answered
        return [
            (code, str(label), self.barriers[code], percent(self.barriers[code], total))
            for code, label in Barrier.choices
        ]


@dataclasses.dataclass
class OutcomesReport:
    activity: Activity
    plan: FollowUpPlan | None
    claims: int  # claims counted (revoked credit left out)
    questions: list[QuestionRow]
    intervals: list[IntervalRow]
    practice: PracticeSummary
    small_sample: int = SMALL_SAMPLE

    @property
    def has_answers(self) -> bool:
        return any(row.answered for row in self.intervals) or self.practice.answered > 0

    @property
    def answered_intervals(self) -> list[IntervalRow]:
        return [row for row in self.intervals if row.overall.learners]


# --- Reading --------------------------------------------------------------------------------------


def _baselines(claim_results: Iterable[tuple[int, dict | None]]) -> dict[int, dict[str, bool]]:
    """{claim id: {"<post-test question id>": correct at the claim}} from the passing attempts."""
    out: dict[int, dict[str, bool]] = {}
    for claim_id, results in claim_results:
        out[claim_id] = {
            qid: bool(r.get("correct")) for qid, r in (results or {}).items() if isinstance(r, dict)
        }
    return out


def _status_counts(activity_ids: Sequence[int]) -> dict[int, dict[tuple[str, int], Counter]]:
    """{activity: {(kind, days): Counter(status -> follow-ups)}} (one grouped query)."""
    out: dict[int, dict[tuple[str, int], Counter]] = defaultdict(lambda: defaultdict(Counter))
    rows = (
        FollowUp.objects.filter(activity_id__in=activity_ids)
        .exclude(_REVOKED)
        .values_list("activity_id", "kind", "interval_days", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for activity_id, kind, days, status, n in rows:
        out[activity_id][(kind, days)][status] += n
    return out


def _interval_row(days: int, statuses: Counter) -> IntervalRow:
    return IntervalRow(
        days=days,
        scheduled=statuses[FollowUpStatus.SCHEDULED],
        sent=statuses[FollowUpStatus.SENT]
        + statuses[FollowUpStatus.ANSWERED]
        + statuses[FollowUpStatus.EXPIRED],
        open=statuses[FollowUpStatus.SENT],
        answered=statuses[FollowUpStatus.ANSWERED],
        expired=statuses[FollowUpStatus.EXPIRED],
        cancelled=statuses[FollowUpStatus.CANCELLED],
    )


def _knowledge_answers(activity_ids: Sequence[int]):
    """Every answer to an answered knowledge follow-up of these activities, with what pairing needs:
    (activity, claim, days, follow-up question, its source post-test question, correct)."""
    return (
        FollowUpAnswer.objects.filter(
            follow_up__activity_id__in=activity_ids,
            follow_up__kind=FollowUpKind.KNOWLEDGE,
            follow_up__status=FollowUpStatus.ANSWERED,
        )
        .exclude(Q(follow_up__claim__certificate__status=Certificate.Status.REVOKED))
        .values_list(
            "follow_up__activity_id",
            "follow_up__claim_id",
            "follow_up__interval_days",
            "question_id",
            "question__baseline_question_id",
            "correct",
        )
        .order_by()
    )


def _pair(
    answers, baselines: dict[int, dict[str, bool]]
) -> tuple[dict[int, dict[int, Paired]], dict[int, dict[tuple[int, int], Paired]]]:
    """({activity: {days: overall}}, {activity: {(question, days): per question}})."""
    overall: dict[int, dict[int, Paired]] = defaultdict(lambda: defaultdict(Paired))
    per_question: dict[int, dict[tuple[int, int], Paired]] = defaultdict(lambda: defaultdict(Paired))
    learners: dict[tuple[int, int], set[int]] = defaultdict(set)
    question_learners: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for activity_id, claim_id, days, question_id, source_id, correct in answers:
        learners[(activity_id, days)].add(claim_id)
        question_learners[(activity_id, question_id, days)].add(claim_id)
        at_claim = baselines.get(claim_id, {}).get(str(source_id)) if source_id else None
        for paired in (overall[activity_id][days], per_question[activity_id][(question_id, days)]):
            paired.follow_up_all.add(correct)
            if at_claim is not None:
                paired.at_claim.add(at_claim)
                paired.at_follow_up.add(correct)
    for (activity_id, days), claims in learners.items():
        overall[activity_id][days].learners = len(claims)
    for (activity_id, question_id, days), claims in question_learners.items():
        per_question[activity_id][(question_id, days)].learners = len(claims)
    return overall, per_question


def _practice_rows(activity_ids: Sequence[int]):
    return (
        PracticeChangeAnswer.objects.filter(
            follow_up__activity_id__in=activity_ids, follow_up__status=FollowUpStatus.ANSWERED
        )
        .exclude(Q(follow_up__claim__certificate__status=Certificate.Status.REVOKED))
        .values_list(
            "follow_up__activity_id",
            "follow_up__claim__evaluation__intends_change",
            "changed",
            "barriers",
            "barrier_other",
        )
        .order_by("follow_up__answered_at", "pk")
    )


def _add_practice(summary: PracticeSummary, intended: bool, changed: str, barriers, other: str) -> None:
    summary.by_intent[bool(intended)][changed] += 1
    for code in set(barriers or []):
        if code in Barrier.values:
            summary.barriers[code] += 1
    if other.strip():
        summary.barrier_other.append(other.strip())


def outcomes_report(activity: Activity) -> OutcomesReport:
    """The activity's outcomes report; six queries whatever the number of learners."""
    plan = FollowUpPlan.objects.filter(activity=activity).first()
    questions = list(FollowUpQuestion.objects.filter(plan=plan)) if plan is not None else []
    ids = [activity.pk]
    claims = list(
        CreditClaim.objects.filter(activity=activity)
        .exclude(certificate__status=Certificate.Status.REVOKED)
        .values_list("pk", "attempt__results", "evaluation__intends_change")
    )
    baselines = _baselines((pk, results) for pk, results, _intended in claims)
    statuses = _status_counts(ids)[activity.pk]
    overall_all, per_question = _pair(_knowledge_answers(ids), baselines)
    overall, per_question_here = overall_all[activity.pk], per_question[activity.pk]

    knowledge_days = sorted(
        {days for kind, days in statuses if kind == FollowUpKind.KNOWLEDGE}
        | set(overall)
        | set(plan.intervals_days if plan is not None else [])
    )
    intervals = []
    for days in knowledge_days:
        row = _interval_row(days, statuses.get((FollowUpKind.KNOWLEDGE, days), Counter()))
        row.overall = overall.get(days, Paired())
        intervals.append(row)

    rows = []
    for question in questions:
        all_claims = Tally()
        if question.baseline_question_id is not None:
            for baseline in baselines.values():
                value = baseline.get(str(question.baseline_question_id))
                if value is not None:
                    all_claims.add(value)
        by_interval = {days: per_question_here.get((question.pk, days), Paired()) for days in knowledge_days}
        if question.active or any(p.follow_up_all.n for p in by_interval.values()):
            rows.append(QuestionRow(question=question, all_claims=all_claims, by_interval=by_interval))

    practice_days = sorted(days for kind, days in statuses if kind == FollowUpKind.PRACTICE)
    practice = PracticeSummary(
        days=practice_days,
        claims=len(claims),
        intended=sum(1 for _pk, _results, intended in claims if intended),
    )
    if practice_days:
        practice.rates = _interval_row(
            practice_days[0],
            sum((statuses[(FollowUpKind.PRACTICE, d)] for d in practice_days), Counter()),
        )
    for _activity_id, intended, changed, barriers, other in _practice_rows(ids):
        _add_practice(practice, intended, changed, barriers, other)
    return OutcomesReport(
        activity=activity,
        plan=plan,
        claims=len(claims),
        questions=rows,
        intervals=intervals,
        practice=practice,
    )


# --- Evidence for PARS (credits/outcome_evidence.py) ---------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:g}%"


def outcome_evidence(activities: Sequence[Activity]) -> dict[int, dict[str, str]]:
    """What the follow-ups measured, per activity, as PARS outcome measures: learner knowledge (the
    paired knowledge figures at each interval answered) and learner performance (reported practice
    change). Three queries for any number of activities (the PARS year page lists them all)."""
    ids = [activity.pk for activity in activities]
    if not ids:
        return {}
    answers = list(_knowledge_answers(ids))
    answered_claims = {claim_id for _a, claim_id, *_rest in answers}
    baselines = _baselines(
        CreditClaim.objects.filter(pk__in=answered_claims).values_list("pk", "attempt__results")
        if answered_claims
        else []
    )
    overall, _per_question = _pair(answers, baselines)
    practice: dict[int, PracticeSummary] = defaultdict(lambda: PracticeSummary(days=[]))
    for activity_id, intended, changed, barriers, other in _practice_rows(ids):
        _add_practice(practice[activity_id], intended, changed, barriers, other)
    evidence: dict[int, dict[str, str]] = {}
    for activity_id in ids:
        found: dict[str, str] = {}
        measured = [(days, p) for days, p in sorted(overall.get(activity_id, {}).items()) if p.at_follow_up.n]
        if measured:
            parts = [
                _("%(days)d days, n=%(n)d, %(before)s → %(after)s")
                % {
                    "days": days,
                    "n": p.learners,
                    "before": _pct(p.at_claim.percent),
                    "after": _pct(p.at_follow_up.percent),
                }
                for days, p in measured
            ]
            found["learner_knowledge"] = _(
                "Measured by follow-up (correct at the claim → at the follow-up, same learners): %(figures)s"
            ) % {"figures": "; ".join(parts)}
        summary = practice.get(activity_id)
        if summary is not None and summary.answered:
            changed = summary.changed
            found["learner_performance"] = _(
                "Measured by the practice-change follow-up, n=%(n)d: %(yes)d changed, %(partly)d partly, "
                "%(no)d not yet, %(na)d not applicable"
            ) % {
                "n": summary.answered,
                "yes": changed[PracticeChange.YES],
                "partly": changed[PracticeChange.PARTLY],
                "no": changed[PracticeChange.NO],
                "na": changed[PracticeChange.NOT_APPLICABLE],
            }
        if found:
            evidence[activity_id] = found
    return evidence
