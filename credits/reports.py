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

from .models import AccreditationType, Activity, ActivityVersion, Attempt, Certificate, CreditType, Provider
from .provider_time import provider_zone
from .selectors import credited_certificates, evaluation_summary
from .statements import format_credits

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
    # Certificates of this activity that were revoked: not in any figure above, counted for the record.
    revoked: int = 0

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

    # Credit is what the current revision of each valid certificate says (selectors.credited_certificates).
    credited = credited_certificates().filter(claim__activity=activity).order_by()
    type_labels = dict(CreditType.choices)
    by_type = [
        {"credit_type": row["credit_type"], "label": type_labels.get(row["credit_type"], ""), **row}
        for row in credited.values("credit_type")
        .annotate(n=Count("id"), total=Sum("credits"))
        .order_by("credit_type")
    ]
    # The completion date was decided at issue, in the provider's zone: months follow it as printed.
    months = dict(
        credited.annotate(month=TruncMonth("completion_date"))
        .values_list("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    per_month = {_as_date(month, zone): n for month, n in months.items()}
    claims_by_month = (
        [(m, per_month.get(m, 0)) for m in _month_range(min(per_month), max(per_month))] if per_month else []
    )
    revoked = Certificate.objects.filter(claim__activity=activity, status=Certificate.Status.REVOKED).count()
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
        revoked=revoked,
    )


def _as_date(value: datetime.date | datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(zone)
        return value.date().replace(day=1)
    return value.replace(day=1)


def activity_certificates(activity: Activity) -> QuerySet[Certificate]:
    """The activity's credited certificates (current revisions) with what a CSV row needs, one query."""
    return (
        credited_certificates()
        .filter(claim__activity=activity)
        .select_related("claim__learner", "claim__attempt", "version")
        .order_by("completion_date", "claim__claimed_at", "id")
    )


# --- The board report (ACCME PARS) -------------------------------------------------------------------

MAX_BOARD_RANGE_YEARS = 2


@dataclass
class BoardRecord:
    """One learner completion as PARS wants it; a learner with IDs at several boards has one per board.

    Its figures (date, credits, credit type, title) are the certificate's current revision."""

    certificate: Certificate
    given_name: str
    family_name: str
    birth: str
    board: str
    board_id: str
    npi: str
    licence_state: str
    licence_number: str
    missing: list[str] = field(default_factory=list)

    @property
    def completion_date(self) -> datetime.date:
        return self.certificate.completion_date

    @property
    def email(self) -> str:
        return self.certificate.claim.learner.email


@dataclass
class BoardReport:
    provider: Provider
    start: datetime.date
    end: datetime.date
    records: list[BoardRecord]
    incomplete: list[BoardRecord]
    not_consented: int
    # Certificates completed in the range and revoked since: never in the file; if one was already
    # sent to PARS, the coordinator sends PARS a deletion (listed on the page for that).
    revoked: list[Certificate] = field(default_factory=list)

    @property
    def ready(self) -> int:
        """Completions ready to report (``records`` has one row per board, so it may be longer)."""
        return len({r.certificate.pk for r in self.records})

    @property
    def consented(self) -> int:
        return self.ready + len(self.incomplete)

    @property
    def total(self) -> int:
        return self.consented + self.not_consented


def _text(value: str | None) -> str:
    return (value or "").strip()


def _board_records(certificate: Certificate) -> list[BoardRecord]:
    profile = certificate.claim.learner.profile
    has_birth = profile.birth_month is not None and profile.birth_day is not None
    licence_state, licence_number = _text(profile.state_province), _text(profile.licence_number)
    boards = profile.board_ids
    given_name, family_name, npi = _text(profile.given_name), _text(profile.family_name), _text(profile.npi)

    def record(board: str, board_id: str, missing: list[str] | None = None) -> BoardRecord:
        return BoardRecord(
            certificate=certificate,
            given_name=given_name,
            family_name=family_name,
            birth=f"{profile.birth_month:02d}/{profile.birth_day:02d}" if has_birth else "",
            npi=npi,
            licence_state=licence_state,
            licence_number=licence_number,
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
    """Completions of the provider's activities from ``start`` to ``end`` (inclusive): those whose
    learners consented, split into reportable and incomplete, a count of the rest, and the revoked
    ones. The completion date is the certificate's (decided at issue in the provider's time zone, or
    corrected since). A fixed number of queries, however many completions."""
    in_range = Q(claim__activity__provider=provider, completion_date__gte=start, completion_date__lte=end)
    credited = credited_certificates().filter(in_range)
    consent = Q(claim__learner__profile__board_sharing_consent=True)
    # Learners who did not consent (or whose profile is gone) are counted, never read.
    not_consented = credited.exclude(consent).count()
    reportable = (
        credited.filter(consent)
        .select_related("claim__learner__profile", "claim__activity__provider", "version")
        .order_by("completion_date", "claim__claimed_at", "id")
    )
    records: list[BoardRecord] = []
    incomplete: list[BoardRecord] = []
    for certificate in reportable:
        for record in _board_records(certificate):
            (incomplete if record.missing else records).append(record)
    revoked = list(
        Certificate.objects.filter(in_range, consent, status=Certificate.Status.REVOKED)
        .only("pk", "number", "completion_date", "revoked_at", "activity_title")
        .order_by("completion_date", "id")
    )
    return BoardReport(
        provider=provider,
        start=start,
        end=end,
        records=records,
        incomplete=incomplete,
        not_consented=not_consented,
        revoked=revoked,
    )


def version_pars_fields(version: ActivityVersion) -> dict[str, str]:
    """The activity data PARS asks for alongside each learner record, as that learner's version of
    the activity had it (credits/versions.py): an edit after they finished does not change their row."""
    content = version.content
    return {
        "title": version.title,
        "format": PARS_FORMAT,
        "start": version.release_date.strftime("%m/%d/%Y"),
        "end": version.expiry_date.strftime("%m/%d/%Y"),
        "designated_credits": format_credits(version.designated_credits),
        "providership": "Joint" if content.get("providership") == AccreditationType.JOINT else "Direct",
        "commercial_support": "Yes" if content.get("commercial_support") else "No",
    }
