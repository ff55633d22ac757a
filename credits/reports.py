"""Reads for provider reports: one activity's results, and the ACCME PARS board report of completions."""

import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AccreditationType, Activity, Attempt, CompletionRecord, CreditClaim, CreditType, Provider
from .provider_time import provider_zone
from .selectors import evaluation_summary

LIKERT_ITEMS = ("objectives_met", "relevant_to_practice", "free_of_bias")
SCORE_BINS = [(low, low + 9) for low in range(0, 90, 10)] + [(90, 100)]
PARS_FORMAT = "Enduring Material"


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


def activity_report(activity: Activity) -> ActivityReport:
    """Results of one activity in a fixed number of queries, however many learners took it."""
    zone = provider_zone(activity.provider)
    submitted = Attempt.objects.filter(activity=activity, submitted_at__isnull=False)
    stats = submitted.aggregate(
        attempts=Count("id"),
        learners=Count("learner", distinct=True),
        learners_passed=Count("learner", filter=Q(passed=True), distinct=True),
        first_attempts=Count("id", filter=Q(number=1)),
        first_attempts_passed=Count("id", filter=Q(number=1, passed=True)),
        mean_score=Avg("score"),
    )
    by_score = submitted.order_by().values_list("score").annotate(n=Count("id"))
    bins = [0] * len(SCORE_BINS)
    for score, n in by_score:
        bins[min(score // 10, len(SCORE_BINS) - 1)] += n
    score_bins = [(f"{low}–{high}", n) for (low, high), n in zip(SCORE_BINS, bins, strict=True)]

    summary = evaluation_summary(activity)
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

    claims = CreditClaim.objects.filter(activity=activity).order_by()
    type_labels = dict(CreditType.choices)
    by_type = [
        {"credit_type": row["credit_type"], "label": type_labels.get(row["credit_type"], ""), **row}
        for row in claims.values("credit_type")
        .annotate(n=Count("id"), total=Sum("credits"))
        .order_by("credit_type")
    ]
    months = dict(
        claims.annotate(month=TruncMonth("claimed_at", tzinfo=zone))
        .values_list("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    per_month = {_as_date(month, zone): n for month, n in months.items()}
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
        claims=sum(row["n"] for row in by_type),
        credits_total=sum((row["total"] for row in by_type), Decimal("0")),
        by_credit_type=by_type,
        claims_by_month=claims_by_month,
    )


def _as_date(value: datetime.date | datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(zone)
        return value.date().replace(day=1)
    return value.replace(day=1)


def activity_claims(activity: Activity) -> QuerySet[CreditClaim]:
    """Every claim of the activity with what its CSV row needs, in one query."""
    return (
        CreditClaim.objects.filter(activity=activity)
        .select_related("learner__profile", "attempt")
        .order_by("claimed_at", "id")
    )


# --- The board report (ACCME PARS) -------------------------------------------------------------------

MAX_BOARD_RANGE_YEARS = 2


@dataclass
class BoardRecord:
    """One learner completion as PARS wants it; a learner with IDs at several boards has one per board."""

    completion: CompletionRecord
    given_name: str
    family_name: str
    birth: str
    board: str
    board_id: str
    npi: str
    licence_state: str
    licence_number: str
    completion_date: datetime.date
    missing: list[str] = field(default_factory=list)


@dataclass
class BoardReport:
    provider: Provider
    start: datetime.date
    end: datetime.date
    records: list[BoardRecord]
    incomplete: list[BoardRecord]
    not_consented: int

    @property
    def ready(self) -> int:
        """Completions ready to report (``records`` has one row per board, so it may be longer)."""
        return len({r.completion.pk for r in self.records})

    @property
    def consented(self) -> int:
        return self.ready + len(self.incomplete)

    @property
    def total(self) -> int:
        return self.consented + self.not_consented


def _text(value: str | None) -> str:
    return (value or "").strip()


def _board_records(completion: CompletionRecord, zone: zoneinfo.ZoneInfo) -> list[BoardRecord]:
    profile = completion.learner.profile
    has_birth = profile.birth_month is not None and profile.birth_day is not None
    licence_state, licence_number = _text(profile.state_province), _text(profile.licence_number)
    boards = profile.board_ids
    given_name, family_name, npi = _text(profile.given_name), _text(profile.family_name), _text(profile.npi)

    def record(board: str, board_id: str, missing: list[str] | None = None) -> BoardRecord:
        return BoardRecord(
            completion=completion,
            given_name=given_name,
            family_name=family_name,
            birth=f"{profile.birth_month:02d}/{profile.birth_day:02d}" if has_birth else "",
            npi=npi,
            licence_state=licence_state,
            licence_number=licence_number,
            completion_date=timezone.localtime(completion.completed_at, zone).date(),
            board=board,
            board_id=board_id,
            missing=missing or [],
        )

    missing = []
    if not given_name:
        missing.append(_("given name"))
    if not family_name:
        missing.append(_("family name"))
    if not has_birth:
        missing.append(_("birth month and day"))
    if not (boards or npi or (licence_state and licence_number)):
        if licence_number and not licence_state:
            missing.append(_("board ID, NPI or state licence (the licence has no state)"))
        else:
            missing.append(_("board ID, NPI or state licence"))
    if missing:
        board, board_id = next(iter(boards.items()), ("", ""))
        return [record(board, board_id, missing)]
    if not boards:
        return [record("", "")]
    return [record(board, board_id) for board, board_id in boards.items()]


def board_report(*, provider: Provider, start: datetime.date, end: datetime.date) -> BoardReport:
    """Completions of the provider's activities from ``start`` to ``end`` (inclusive, provider's time
    zone): those whose learners consented, split into reportable and incomplete, and a count of the
    rest. Two queries, however many completions."""
    zone = provider_zone(provider)
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    in_range = CompletionRecord.objects.filter(
        activity__provider=provider, completed_at__gte=since, completed_at__lt=until
    )
    consent = Q(learner__profile__board_sharing_consent=True)
    # Learners who did not consent (or whose profile is gone) are counted, never read.
    not_consented = in_range.exclude(consent).count()
    completions = (
        in_range.filter(consent)
        .select_related("learner__profile", "activity__provider")
        .order_by("completed_at", "id")
    )
    records: list[BoardRecord] = []
    incomplete: list[BoardRecord] = []
    for completion in completions:
        for record in _board_records(completion, zone):
            (incomplete if record.missing else records).append(record)
    return BoardReport(
        provider=provider,
        start=start,
        end=end,
        records=records,
        incomplete=incomplete,
        not_consented=not_consented,
    )


def activity_pars_fields(activity: Activity) -> dict[str, str]:
    """The activity data PARS asks for alongside each learner record."""
    provider = activity.provider
    return {
        "title": activity.title,
        "format": PARS_FORMAT,
        "start": activity.release_date.strftime("%m/%d/%Y"),
        "end": activity.expiry_date.strftime("%m/%d/%Y"),
        "designated_credits": str(activity.designated_credits),
        "providership": "Joint" if provider.accreditation_type == AccreditationType.JOINT else "Direct",
        "commercial_support": "Yes" if activity.commercial_support.strip() else "No",
    }
