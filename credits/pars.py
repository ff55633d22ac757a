"""ACCME PARS activity reporting (issue 13, item 1): the PARS fields of an activity, their edit
service, and the activity upload file (tab-delimited .txt) with its pre-validation.

The format and its sources are in docs/pars.md and tests/credits/fixtures/pars_activity_columns.json.
PARS keeps one record per activity and reporting year: an enduring material active over several
years is reported once for each year, with that year's learners only (ACCME FAQ, accme.org/faq/8471).
So a row here is one activity in one reporting year, read from the activity's current version
(what learners are offered) and the credited certificates completed in that year; the PARS fields the
coordinator enters (PARS activity ID, description, CME Finder, outcome measures) are reporting data
kept on the activity, not in a version: entering them never changes what a learner was offered.
"""

import dataclasses
import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record

from .audit_actions import CreditAction
from .models import Activity, CommercialSupport, CreditType, Provider
from .outcome_evidence import evidence_suggestions, outcome_evidence
from .provider_time import provider_date
from .selectors import credited_certificates

SPEC_TITLE = "ACCME PARS Activity Tab-Delimited File Upload Instructions (2016 and Greater)"
SPEC_VERSION = "634_20190204"
SPEC_DATE = "2019-02-04"

# PARS's outcome measures (an activity to be closed in PARS needs at least one).
OUTCOME_MEASURES: list[tuple[str, Any]] = [
    ("learner_knowledge", gettext_lazy("Learner knowledge")),
    ("learner_competence", gettext_lazy("Learner competence")),
    ("learner_performance", gettext_lazy("Learner performance")),
    ("patient_health", gettext_lazy("Patient health")),
    ("community_health", gettext_lazy("Community/population health")),
]
OUTCOME_CODES = [code for code, _label in OUTCOME_MEASURES]

# The number PARS shows for an activity registered there: digits only.
PARS_ID_RE = re.compile(r"[0-9]{5,12}")
PARS_FIELDS = ("pars_activity_id", "pars_description", "pars_cme_finder", "pars_outcome_measures")

ACTIVITY_TYPE = "IEM"  # Internet enduring material: ACCME's FAQ names the podcast among its examples
BASE_FIELDS = 35  # fields 1-35, then fields 36-43 once per commercial supporter (at least once)
SUPPORTER_FIELDS = 8
MIN_FIELDS = BASE_FIELDS + SUPPORTER_FIELDS  # "at least 43 fields" in every record
LINE_END = "\r\n"
ENCODING = "utf-8"

# The columns in file order (no header row is written: PARS reads the first line as data).
COLUMNS: list[str] = [
    "Provider Activity ID",
    "PARS Activity ID",
    "Activity Title",
    "Activity Type",
    "Start Date",
    "End Date",
    "City",
    "State",
    "Country",
    "Providership",
    "Joint Provider Name",
    "Hours of Instruction",
    "AMA PRA Category 1 Credits Designated",
    "CME Finder",
    "Activity URL",
    "Activity Description",
    "Outcome Measured: Learner Knowledge",
    "Outcome Measured: Learner Competence",
    "Outcome Measured: Learner Performance",
    "Outcome Measured: Patient Health",
    "Outcome Measured: Community/Population Health",
    "Physician Learners",
    "Other Learners",
    "Commercial Support Received",
    "Number of Commercial Supporters",
    "Total Monetary Commercial Support",
    *[f"Not mapped (field {n})" for n in range(27, BASE_FIELDS + 1)],
]
SUPPORTER_COLUMNS: list[str] = [
    "Commercial Supporter Name",
    "Monetary Support",
    "Monetary Amount",
    "In-Kind Support",
    "In-Kind Description",
    *[f"Not mapped (supporter field {n})" for n in range(6, SUPPORTER_FIELDS + 1)],
]
assert len(COLUMNS) == BASE_FIELDS and len(SUPPORTER_COLUMNS) == SUPPORTER_FIELDS


# --- The coordinator's PARS fields ---------------------------------------------------------------


def pars_problems_in(data: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with the PARS fields a coordinator entered, by field (empty: fine)."""
    errors: dict[str, str] = {}
    pars_id = str(data.get("pars_activity_id") or "").strip()
    if pars_id and not PARS_ID_RE.fullmatch(pars_id):
        errors["pars_activity_id"] = _(
            "A PARS activity ID is the number PARS shows for the activity: digits only, 5 to 12 of "
            "them (e.g. 201912345). Leave it empty until the activity is registered in PARS."
        )
    outcomes = data.get("pars_outcome_measures") or []
    if not isinstance(outcomes, list | tuple) or any(code not in OUTCOME_CODES for code in outcomes):
        errors["pars_outcome_measures"] = _("Choose the outcome measures from the list.")
    if len(str(data.get("pars_description") or "")) > 2000:
        errors["pars_description"] = _("Keep the description under 2,000 characters.")
    return errors


@transaction.atomic
def pars_update(*, activity: Activity, actor: User | None, data: Mapping[str, Any]) -> Activity:
    """Record the activity's PARS fields (audited, old and new values). Reporting data only: no
    version is made, and a show that revoked the provider does not stop the provider reporting."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    errors = pars_problems_in(data)
    pars_id = str(data.get("pars_activity_id") or "").strip()
    if (
        "pars_activity_id" not in errors
        and pars_id
        and Activity.objects.filter(provider_id=activity.provider_id, pars_activity_id=pars_id)
        .exclude(pk=activity.pk)
        .exists()
    ):
        errors["pars_activity_id"] = _("Another of your activities already has PARS activity ID %(id)s.") % {
            "id": pars_id
        }
    if errors:
        raise ValidationError(errors)
    new = {
        "pars_activity_id": pars_id,
        "pars_description": str(data.get("pars_description") or "").strip(),
        "pars_cme_finder": bool(data.get("pars_cme_finder")),
        "pars_outcome_measures": [c for c in OUTCOME_CODES if c in (data.get("pars_outcome_measures") or [])],
    }
    changed = {
        field: [getattr(activity, field), value]
        for field, value in new.items()
        if getattr(activity, field) != value
    }
    if not changed:
        return activity
    for field, value in new.items():
        setattr(activity, field, value)
    activity.save(update_fields=[*PARS_FIELDS, "updated_at"])
    audit_record(
        actor=actor, action=CreditAction.ACTIVITY_PARS_UPDATED, obj=activity, data={"changed": changed}
    )
    return activity


# --- The reporting year's rows --------------------------------------------------------------------


@dataclasses.dataclass
class ParsRow:
    activity: Activity
    values: list[str]  # the record's fields in file order
    problems: list[str]
    # What follow-ups measured, by outcome measure code (credits/outcome_evidence.py), and the
    # measures with evidence the coordinator has not ticked: shown, never blocking the export.
    evidence: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    suggestions: list[str] = dataclasses.field(default_factory=list)

    @property
    def evidence_named(self) -> list[tuple[str, list[str]]]:
        return [
            (str(label), self.evidence[code]) for code, label in OUTCOME_MEASURES if code in self.evidence
        ]

    @property
    def named(self) -> list[tuple[str, str]]:
        """(column, value) pairs, for the pre-validation page."""
        names = COLUMNS + SUPPORTER_COLUMNS * ((len(self.values) - BASE_FIELDS) // SUPPORTER_FIELDS)
        return list(zip(names, self.values, strict=True))


@dataclasses.dataclass
class ParsExport:
    provider: Provider
    year: int
    rows: list[ParsRow]

    @property
    def problems(self) -> list[tuple[Activity, list[str]]]:
        return [(row.activity, row.problems) for row in self.rows if row.problems]

    @property
    def suggestions(self) -> list[tuple[Activity, list[str]]]:
        return [(row.activity, row.suggestions) for row in self.rows if row.suggestions]

    @property
    def ready(self) -> bool:
        return bool(self.rows) and not self.problems

    @property
    def filename(self) -> str:
        return f"pars-activities-{self.provider.slug}-{self.year}.txt"


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def provider_activity_id(activity: Activity, year: int) -> str:
    """PARS's "Provider Activity ID": ours, stable, and one per reporting year (PARS updates the
    record with the same ID, so an activity reported again for its year replaces its row)."""
    return f"PCME-{activity.pk}-{year}"


def _clean(value: object) -> str:
    """One field: no tab or line break inside (they would split the record), no surrounding spaces."""
    text = "" if value is None else str(value)
    return re.sub(r"[\t\r\n]+", " ", text).strip()


def _yes_no(value: bool) -> str:
    return "Y" if value else "N"


def _date(day: datetime.date) -> str:
    return day.strftime("%m/%d/%Y")


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def _version_date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _row(activity: Activity, year: int, counts: Mapping[str, int]) -> ParsRow:
    start, end = year_bounds(year)
    version = activity.current_version
    content: dict[str, Any] = version.content if version is not None else {}
    release = _version_date(content.get("release_date")) or activity.release_date
    expiry = _version_date(content.get("expiry_date")) or activity.expiry_date
    if activity.withdrawn_at is not None:
        expiry = min(expiry, provider_date(activity.withdrawn_at, activity.provider))
    row_start, row_end = max(release, start), min(expiry, end)
    credits = Decimal(content.get("designated_credits") or activity.designated_credits)
    joint = content.get("providership", activity.providership) == "joint"
    supports = content.get("commercial_support", [])
    monetary = [s for s in supports if s["kind"] == CommercialSupport.Kind.MONETARY]
    total = sum((Decimal(s["amount"]) for s in monetary if s["amount"]), Decimal("0"))
    description = activity.pars_description.strip() or "; ".join(content.get("objectives", []))
    url = f"{settings.SITE_URL}{activity.episode.get_absolute_url()}" if activity.pars_cme_finder else ""
    outcomes = activity.pars_outcome_measures or []
    base: list[object] = [
        provider_activity_id(activity, year),
        activity.pars_activity_id,
        content.get("title", activity.title),
        ACTIVITY_TYPE,
        _date(row_start),
        _date(row_end),
        "",
        "",
        "",
        "Joint" if joint else "Direct",
        content.get("joint_provider_name", "") if joint else "",
        credits,  # hours of instruction: the time a learner needs, of which the designation is made
        credits,
        _yes_no(activity.pars_cme_finder),
        url,
        description,
        *[_yes_no(code in outcomes) for code in OUTCOME_CODES],
        counts.get(CreditType.AMA_PRA_1, 0),
        counts.get(CreditType.PARTICIPATION, 0),
        _yes_no(bool(supports)),
        len(supports),
        _money(total) if monetary else "",
    ]
    base += [""] * (BASE_FIELDS - len(base))
    blocks: list[object] = []
    for support in supports or [None]:
        if support is None:  # the supporter fields are there, empty, when there is no supporter
            blocks += [""] * SUPPORTER_FIELDS
            continue
        is_money = support["kind"] == CommercialSupport.Kind.MONETARY
        block: list[object] = [
            support["supporter"],
            _yes_no(is_money),
            _money(Decimal(support["amount"])) if is_money and support["amount"] else "",
            _yes_no(not is_money),
            support.get("in_kind_description", "") if not is_money else "",
        ]
        blocks += block + [""] * (SUPPORTER_FIELDS - len(block))
    problems: list[str] = []
    if not activity.pars_activity_id:
        problems.append(
            _("No PARS activity ID: register the activity in PARS, then enter the number PARS gives it.")
        )
    if not outcomes:
        problems.append(_("No PARS outcome measure: choose at least one (PARS closes no activity without)."))
    if version is None:
        problems.append(_("No published version: publish the activity before reporting it."))
    return ParsRow(activity=activity, values=[_clean(v) for v in base + blocks], problems=problems)


def pars_export(*, provider: Provider, year: int) -> ParsExport:
    """The provider's activities active in ``year`` (released on or before 31 December and not
    expired before 1 January; drafts are never reported), one row each, with their learners of that
    year: physicians are credited AMA PRA Category 1 certificates, other learners credited
    certificates of participation (a revoked certificate is not credit). Two queries, whatever the
    number of activities, and the registered outcome evidence's own fixed few."""
    start, end = year_bounds(year)
    activities = list(
        Activity.objects.filter(provider=provider, release_date__lte=end, expiry_date__gte=start)
        .exclude(status=Activity.Status.DRAFT)
        .select_related("provider", "current_version", "episode__show")
        .order_by("release_date", "pk")
    )
    counts: dict[int, dict[str, int]] = {activity.pk: {} for activity in activities}
    tallies = (
        credited_certificates()
        .filter(claim__activity__in=[a.pk for a in activities], completion_date__range=(start, end))
        .values_list("claim__activity_id", "credit_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    for activity_id, credit_type, n in tallies if activities else []:
        counts[activity_id][credit_type] = n
    rows = [_row(activity, year, counts[activity.pk]) for activity in activities]
    evidence = outcome_evidence(activities)
    for row in rows:
        row.evidence = evidence.get(row.activity.pk, {})
        row.suggestions = evidence_suggestions(row.activity, row.evidence, dict(OUTCOME_MEASURES))
    return ParsExport(provider=provider, year=year, rows=rows)


def export_text(rows: Iterable[ParsRow]) -> str:
    """The upload file: one record per line, fields separated by tabs, no header row."""
    return "".join("\t".join(row.values) + LINE_END for row in rows)


def export_bytes(export: ParsExport) -> bytes:
    """The file's bytes; refuses (ValueError with the problems) when a row is not ready."""
    if export.problems:
        raise ValueError(export.problems)
    return export_text(export.rows).encode(ENCODING)


def problem_lines(problems: Sequence[tuple[Activity, list[str]]]) -> list[str]:
    return [f"{activity.title}: {problem}" for activity, items in problems for problem in items]
