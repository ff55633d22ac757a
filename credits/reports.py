"""Reads for provider reports: one activity's results, split by credit type and by profession.

Reporting to the boards lives in credits/pars.py (the PARS activity file) and credits/moc.py (the PARS
learner file and its batches); the old "board report" CSV of our own columns is retired (issue 13).
"""

import datetime
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Profession, degree_profession

from .credit_lines import certificate_lines, order_key, type_labels
from .models import Activity, Attempt, Certificate, CreditType, Evaluation
from .provider_time import provider_zone
from .selectors import credited_certificates

LIKERT_ITEMS = ("objectives_met", "relevant_to_practice", "free_of_bias")
SCORE_BINS = [(low, low + 9) for low in range(0, 90, 10)] + [(90, 100)]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# --- One activity -----------------------------------------------------------------------------------


@dataclass
class ActivityReport:
    activity: Activity
    learners: int
    attempts: int
    learners_passed: int
    first_attempts: int
    first_attempts_passed: int
    mean_score: float | None
    score_bins: list[tuple[str, int]]
    evaluation: dict[str, Any]
    likert: list[dict[str, Any]]
    claims: int
    credits_total: Decimal
    by_credit_type: list[dict[str, Any]]
    claims_by_month: list[tuple[datetime.date, int]]
    # Certificates of this activity that were revoked: not in any figure above, counted for the record.
    revoked: int = 0
    # Completions (credited certificates) per profession: [{"profession", "label", "n"}], largest first.
    by_profession: list[dict[str, Any]] = field(default_factory=list)

    @property
    def learners_never_passed(self) -> int:
        return self.learners - self.learners_passed

    @property
    def pass_rate(self) -> float | None:
        """Learners who passed (at any attempt) out of those who submitted at least one attempt."""
        return _rate(self.learners_passed, self.learners)

    @property
    def first_attempt_pass_rate(self) -> float | None:
        return _rate(self.first_attempts_passed, self.first_attempts)


def _month_range(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + datetime.timedelta(days=32)).replace(day=1)
    return months


def _evaluation_summary(activity: Activity) -> dict[str, Any]:
    """Evaluation totals and the 1-5 distribution of each Likert item in one query (the learners'
    own words are listed a page at a time: ``evaluation_texts``)."""
    counts = {
        f"{item}_{score}": Count("id", filter=Q(**{item: score}))
        for item in LIKERT_ITEMS
        for score in range(1, 6)
    }
    row = Evaluation.objects.filter(activity=activity).aggregate(
        n=Count("id"),
        intends_change=Count("id", filter=Q(intends_change=True)),
        **{f"mean_{item}": Avg(item) for item in LIKERT_ITEMS},
        **counts,
    )
    return {
        "totals": {
            "n": row["n"],
            "intends_change": row["intends_change"],
            **{item: row[f"mean_{item}"] for item in LIKERT_ITEMS},
        },
        "distribution": {item: [row[f"{item}_{score}"] for score in range(1, 6)] for item in LIKERT_ITEMS},
    }


def activity_report(activity: Activity) -> ActivityReport:
    """Results of one activity in three queries (attempts, evaluations, certificates), however many
    learners took it: every figure is aggregated or grouped in the database."""
    zone = provider_zone(activity.provider)
    bins = {
        f"bin_{index}": Count("id", filter=Q(score__gte=low) & (Q(score__lte=high) if high < 100 else Q()))
        for index, (low, high) in enumerate(SCORE_BINS)
    }
    stats = Attempt.objects.filter(activity=activity, submitted_at__isnull=False).aggregate(
        attempts=Count("id"),
        learners=Count("learner", distinct=True),
        learners_passed=Count("learner", filter=Q(passed=True), distinct=True),
        first_attempts=Count("id", filter=Q(number=1)),
        first_attempts_passed=Count("id", filter=Q(number=1, passed=True)),
        mean_score=Avg("score"),
        **bins,
    )
    score_bins = [(f"{low}–{high}", stats[f"bin_{index}"]) for index, (low, high) in enumerate(SCORE_BINS)]

    summary = _evaluation_summary(activity)
    n_evaluations = summary["totals"]["n"] or 0
    likert = []
    for item in LIKERT_ITEMS:
        counts = summary["distribution"][item]
        likert.append(
            {
                "item": item,
                "mean": summary["totals"][item],
                "counts": counts,
                "percents": [_rate(c, n_evaluations) or 0 for c in counts],
            }
        )

    # Credit is what the current revision of each valid certificate says (selectors.credited_certificates):
    # one grouped read of the activity's certificates gives the split, the months and the revoked.
    groups = list(
        Certificate.objects.filter(claim__activity=activity)
        .order_by()
        .annotate(month=TruncMonth("completion_date"))
        .values_list("status", "credit_type", "degree", "other_credits", "month")
        .annotate(n=Count("id"), total=Sum("credits"))
        .values_list("status", "credit_type", "degree", "other_credits", "month", "n", "total")
    )
    revoked = sum(g[5] for g in groups if g[0] == Certificate.Status.REVOKED)
    credited = [g[1:] for g in groups if g[0] != Certificate.Status.REVOKED]
    by_type, by_profession, claims, main_total = _split(
        [(t, d, o, n, total) for t, d, o, _m, n, total in credited]
    )
    # The completion date was decided at issue, in the provider's zone: months follow it as printed.
    per_month: dict[datetime.date, int] = {}
    for _t, _d, _o, month, n, _total in credited:
        key = _as_date(month, zone)
        per_month[key] = per_month.get(key, 0) + n
    claims_by_month = (
        [(m, per_month.get(m, 0)) for m in _month_range(min(per_month), max(per_month))] if per_month else []
    )
    return ActivityReport(
        activity=activity,
        learners=stats["learners"],
        attempts=stats["attempts"],
        learners_passed=stats["learners_passed"],
        first_attempts=stats["first_attempts"],
        first_attempts_passed=stats["first_attempts_passed"],
        mean_score=stats["mean_score"],
        score_bins=score_bins,
        evaluation=summary,
        likert=likert,
        claims=claims,
        credits_total=main_total,
        by_credit_type=by_type,
        by_profession=by_profession,
        claims_by_month=claims_by_month,
        revoked=revoked,
    )


def certificate_profession(*, credit_type: str, degree: str) -> str:
    """The learner's profession as the certificate records it: AMA credit went to a physician;
    otherwise the degree printed on it (frozen at issue, so a later profile edit changes nothing)."""
    if credit_type == CreditType.AMA_PRA_1:
        return Profession.PHYSICIAN
    return degree_profession(degree, equivalence_attested=False)


def _split(
    groups: list[tuple[str, str, Any, int, Decimal]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int, Decimal]:
    """(per credit type: claims and credits; per profession: completions; completions; main-line
    credits) from the credited certificates grouped by (credit type, degree, further credit) with
    their count and main-line sum. A certificate counts once in each credit type it carries
    (credits/credit_lines.py): its main line (AMA or participation) and each further type."""
    labels = type_labels()
    types: dict[str, list[Any]] = {}
    professions: dict[str, int] = {}
    claims, main_total = 0, Decimal("0")
    for credit_type, degree, other_credits, n, total in groups:
        claims += n
        main_total += total
        for line in certificate_lines(credit_type=credit_type, credits=total, other_credits=other_credits):
            entry = types.setdefault(line.code, [0, Decimal("0")])
            entry[0] += n
            entry[1] += line.credits if line.main else line.credits * n
        profession = certificate_profession(credit_type=credit_type, degree=degree)
        professions[profession] = professions.get(profession, 0) + n
    by_type = [
        {"credit_type": code, "label": labels.get(code, code), "n": n, "total": total}
        for code, (n, total) in sorted(types.items(), key=lambda item: order_key(item[0]))
    ]
    profession_labels = dict(Profession.choices)
    order = list(Profession.values)
    by_profession = [
        {"profession": code, "label": str(profession_labels.get(code, code)), "n": n}
        for code, n in sorted(professions.items(), key=lambda item: (-item[1], order.index(item[0])))
    ]
    return by_type, by_profession, claims, main_total


def _as_date(value: datetime.date | datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(zone)
        return value.date().replace(day=1)
    return value.replace(day=1)


# The columns of the activity CSV read straight from the database (one tuple per certificate, no model
# instances): the export streams them from the database cursor, however many claims there are.
CSV_FIELDS = (
    "learner_name",
    "degree",
    "claim__learner__email",
    "completion_date",
    "credits",
    "credit_type",
    "claim__attempt__number",
    "claim__attempt__score",
    "number",
    "revision",
    "version__number",
    "version__title",
    "version__designated_credits",
    "other_credits",
)


def activity_certificate_rows(activity: Activity, *, chunk_size: int = 2000) -> Iterator[tuple[Any, ...]]:
    """The activity CSV's raw rows (``CSV_FIELDS``), by completion date, claim time and id,
    read from a server-side cursor in chunks (memory stays flat at 10,000 claims)."""
    return (
        credited_certificates()
        .filter(claim__activity=activity)
        .order_by("completion_date", "claim__claimed_at", "id")
        .values_list(*CSV_FIELDS)
        .iterator(chunk_size=chunk_size)
    )


# The comments and intended changes on the report page come a page at a time (the figures above them
# are aggregates): the page costs the same with 100 claims or 10,000.
TEXT_PAGE_SIZE = 50


def evaluation_texts(activity: Activity, *, kind: str) -> QuerySet[Evaluation]:
    """The activity's evaluations with a comment (``kind`` "comments") or an intended change
    ("changes"), newest first, for a paginated list."""
    evaluations = Evaluation.objects.filter(activity=activity)
    if kind == "changes":
        evaluations = evaluations.filter(intends_change=True).exclude(change_description="")
    else:
        evaluations = evaluations.exclude(comments="")
    return evaluations.order_by("-id")
