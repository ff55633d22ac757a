"""MOC through ACCME PARS: board registrations per activity, the learner's opt-in at claim time, and
the learner completion export (PARS "Learner Template B", tab-delimited; docs/pars-learners.md).

The rules (docs/cme-rules.md "Reporting to boards"):
- only the eight PARS boards (``MocBoard``); ABFM, ABEM and NCCPA are refused with a message;
- PARS takes physicians only: a non-physician cannot opt in, and is never a row;
- ABP takes full credit only: an ABP opt-in with a partial claim is refused;
- each opt-in needs the learner's board id in that board's format (ABS: optional) and their birth
  month and day; the consent (board, time, board id used) is stored with the claim (``MocOptIn``).

What an activity is registered for is frozen in each version (content key ``moc``): a learner is
offered, and reported under, the registration of their own version.
"""

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import LearnerProfile, User
from audit.services import audit_record

from . import versions
from .audit_actions import CreditAction
from .errors import CreditError
from .models import (
    Activity,
    ActivityVersion,
    Certificate,
    CreditClaim,
    MocBoard,
    MocOptIn,
    MocRegistration,
    ParsLearnerBatch,
    ParsLearnerReport,
    Provider,
    ProviderCoordinator,
)
from .selectors import credited_certificates

BOARDS: list[str] = list(MocBoard.values)  # the template's order
NOT_PARS_BOARDS = {"ABFM", "ABEM", "NCCPA"}
FULL_CREDIT_ONLY = {MocBoard.ABP.value}
# The MOC credit types PARS registers, per board (code -> name); see the fixture and docs.
CREDIT_TYPES: dict[str, dict[str, str]] = {
    "ABA": {"LL": "Lifelong Learning", "PS": "Patient Safety"},
    "ABIM": {"MK": "Medical Knowledge", "PS": "Patient Safety", "PA": "Practice Assessment"},
    "ABOS": {"LL": "Lifelong Learning", "SA": "Self-Assessment"},
    "ABOHNS": {"SA": "Self-Assessment", "PS": "Patient Safety"},
    "ABPath": {"LL": "Lifelong Learning", "SA": "Self-Assessment"},
    "ABP": {"LLSA": "Lifelong Learning and Self-Assessment", "IPP": "Improving Professional Practice"},
    "ABS": {"AC": "Accredited CME", "SA": "Self-Assessment"},
    "ABTS": {"AC": "Accredited CME", "SA": "Self-Assessment"},
}
# Board id formats we can justify: ABIM ids are 6 digits; the others are numeric ids of at most 10
# digits (PARS matches them with name and birth month/day). ABS lets the board id be left out.
BOARD_ID_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    board: (re.compile(r"\d{1,10}"), _("digits only, at most 10")) for board in BOARDS
}
BOARD_ID_FORMATS["ABIM"] = (re.compile(r"\d{6}"), _("exactly 6 digits"))
BOARD_ID_OPTIONAL = {MocBoard.ABS.value}
# Profile fields that hold a board id (accounts.LearnerProfile.board_ids): used to prefill the form.
MAX_POINTS = Decimal("100")


# --- Registration per activity -----------------------------------------------------------------


def board_name(board: str) -> str:
    return str(dict(MocBoard.choices).get(board, board))


def refuse_unknown_board(board: str) -> None:
    if board in NOT_PARS_BOARDS:
        raise CreditError(
            _(
                "%(board)s does not take MOC data through PARS: only ABA, ABIM, ABOS, ABOHNS, ABPath, ABP, "
                "ABS and ABTS do."
            )
            % {"board": board},
            code="not_pars_board",
        )
    if board not in BOARDS:
        raise CreditError(
            _("“%(board)s” is not a PARS board: choose ABA, ABIM, ABOS, ABOHNS, ABPath, ABP, ABS or ABTS.")
            % {"board": board[:20]},
            code="not_pars_board",
        )


def clean_registration(board: str, credit_type: str, points: object) -> tuple[str, str, Decimal]:
    refuse_unknown_board(board)
    if credit_type not in CREDIT_TYPES[board]:
        raise CreditError(
            _("%(board)s: choose an MOC credit type (%(types)s).")
            % {"board": board, "types": ", ".join(f"{c} {n}" for c, n in CREDIT_TYPES[board].items())},
            code="moc_credit_type",
        )
    try:
        value = Decimal(str(points).strip())
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0 or value > MAX_POINTS or value != value.quantize(Decimal("0.01")):
        raise CreditError(
            _("%(board)s: MOC points must be a positive number with at most 2 decimals (e.g. 1.25).")
            % {"board": board},
            code="moc_points",
        )
    return board, credit_type, value


def registration_snapshot(activity: Activity) -> list[dict[str, str]]:
    """The activity's MOC registration as frozen in a version (``version_content["moc"]``)."""
    return [
        {"board": r.board, "credit_type": r.credit_type, "points": str(r.points)}
        for r in MocRegistration.objects.filter(activity=activity).order_by("board")
    ]


def version_registrations(version: ActivityVersion) -> list[dict[str, str]]:
    return list(version.content.get("moc") or [])


@transaction.atomic
def moc_register(
    *, activity: Activity, actor: User, rows: Iterable[tuple[str, str, object]]
) -> list[MocRegistration]:
    """Set the boards ``activity`` is registered with (each: board, credit type, points), replacing the
    previous set; the audit row keeps old and new; a published activity gets a new version if
    learners already started the current one (versions.activity_changed)."""
    clean: dict[str, tuple[str, Decimal]] = {}
    for board, credit_type, points in rows:
        b, t, p = clean_registration(board, credit_type, points)
        if b in clean:
            raise CreditError(_("%(board)s is listed twice.") % {"board": b}, code="moc_duplicate")
        clean[b] = (t, p)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    old = registration_snapshot(activity)
    MocRegistration.objects.filter(activity=activity).exclude(board__in=list(clean)).delete()
    for board, (credit_type, points) in clean.items():
        MocRegistration.objects.update_or_create(
            activity=activity, board=board, defaults={"credit_type": credit_type, "points": points}
        )
    new = registration_snapshot(activity)
    if old != new:
        audit_record(
            actor=actor,
            action=CreditAction.MOC_REGISTRATION_CHANGED,
            obj=activity,
            data={"old": old, "new": new},
        )
        versions.activity_changed(activity=activity, actor=actor, what="moc")
    return list(MocRegistration.objects.filter(activity=activity).order_by("board"))


# --- The learner's opt-in at claim time -----------------------------------------------------------


@dataclass(frozen=True)
class OptIn:
    board: str
    board_id: str
    birth_month: int
    birth_day: int
    credit_type: str
    points: Decimal


def points_for(registration: Mapping[str, str], credits: Decimal, designated: Decimal) -> Decimal:
    """MOC points for a claim: the registered points in proportion to the credit claimed (down to a
    quarter point); the full registered points for the full designated credit."""
    points = Decimal(registration["points"])
    if credits >= designated:
        return points
    share = points * credits / designated
    return (share * 4).quantize(Decimal(1), rounding=ROUND_DOWN) / 4


def check_optins(
    *, profile: LearnerProfile, version: ActivityVersion, credits: Decimal, optins: Mapping[str, str]
) -> list[OptIn]:
    """The opt-ins ``{board: board id}`` as they would be stored, or CreditError with the reason."""
    if not optins:
        return []
    registered = {r["board"]: r for r in version_registrations(version)}
    for board in optins:
        refuse_unknown_board(board)
        if board not in registered:
            raise CreditError(
                _("This activity is not registered for %(board)s MOC.") % {"board": board},
                code="moc_not_registered",
            )
    if not profile.is_physician:
        raise CreditError(
            _(
                "Only physicians can have completions reported to a certifying board for MOC "
                "(PARS takes physicians only)."
            ),
            code="moc_not_physician",
        )
    if profile.birth_month is None or profile.birth_day is None:
        raise CreditError(
            _("Add your birth month and day to your profile: the boards use them to match your record."),
            code="moc_birth",
        )
    result = []
    for board in BOARDS:
        if board not in optins:
            continue
        board_id = (optins[board] or "").strip()
        pattern, described = BOARD_ID_FORMATS[board]
        if board_id or board not in BOARD_ID_OPTIONAL:
            if not pattern.fullmatch(board_id):
                raise CreditError(
                    _("Your %(board)s ID must be %(format)s.") % {"board": board, "format": described},
                    code="moc_board_id",
                )
        if board in FULL_CREDIT_ONLY and credits < version.designated_credits:
            raise CreditError(
                _(
                    "%(board)s accepts full credit only: to report to %(board)s, claim the full %(full)s "
                    "credit(s), "
                    "or untick %(board)s."
                )
                % {"board": board, "full": version.designated_credits},
                code="moc_full_credit_only",
            )
        registration = registered[board]
        result.append(
            OptIn(
                board=board,
                board_id=board_id,
                birth_month=profile.birth_month,
                birth_day=profile.birth_day,
                credit_type=registration["credit_type"],
                points=points_for(registration, credits, version.designated_credits),
            )
        )
    return result


def optins_record(
    *,
    claim: CreditClaim,
    learner: User,
    optins: Iterable[OptIn],
    consented_at: datetime.datetime | None = None,
) -> list[dict[str, Any]]:
    """Store the consents with the claim (in claim_credit's transaction); returns them for its audit row.

    ``consented_at``: when the learner gave the consent, if not now (a paid claim: at checkout, while
    the claim is made when the payment is confirmed); never later than now.
    """
    now = timezone.now() if consented_at is None else min(consented_at, timezone.now())
    stored = []
    for o in optins:
        MocOptIn.objects.create(
            claim=claim,
            learner=learner,
            board=o.board,
            board_id=o.board_id,
            birth_month=o.birth_month,
            birth_day=o.birth_day,
            credit_type=o.credit_type,
            points=o.points,
            consented_at=now,
        )
        stored.append(
            {"board": o.board, "board_id": o.board_id, "credit_type": o.credit_type, "points": str(o.points),
             "consented_at": now.isoformat()}
        )  # fmt: skip
    return stored


# --- The learner completion export (Learner Template B) ------------------------------------------


@dataclass
class LearnerRow:
    certificate: Certificate
    cells: list[str]
    learner: str
    problems: list[str] = field(default_factory=list)


def _header() -> list[str]:
    head = [
        "Action",
        "PARS Activity ID",
        "Learner First Name",
        "Learner Last Name",
        "Learner DOB Month",
        "Learner DOB Day",
        "Learner NPI",
        "Completion Date",
        "CME Credits",
    ]
    for board in BOARDS:
        head += [f"{board} Board ID", f"{board} MOC Points", f"{board} Credit Type"]
    return [*head, "Learner Permission"]


HEADER = _header()


def _credits(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():f}"


def _cell(value: str) -> str:
    """A tab-delimited cell: tabs and line breaks would split the record; they become spaces."""
    return re.sub(r"[\t\r\n]+", " ", value).strip()


def learner_rows(
    *, provider: Provider, start: datetime.date, end: datetime.date, also: Iterable[int] = ()
) -> list[LearnerRow]:
    """One row per credited completion by a physician of the provider's activities from ``start`` to
    ``end`` (the certificate's completion date, inclusive) who opted into MOC for it or consented in
    their profile to share completions with boards; revoked credit is never a row. MOC boards:
    the learner's opt-ins, which are always among their version's registrations. Each row lists what
    is missing or malformed (``problems``). ``also``: certificate ids to include whatever their date
    (those already reported, to see whether they changed)."""
    in_range = Q(completion_date__gte=start, completion_date__lte=end) | Q(pk__in=list(also))
    certificates = (
        credited_certificates()
        .filter(in_range, claim__activity__provider=provider)
        .select_related("claim__learner__profile", "claim__activity", "version")
        .prefetch_related("claim__moc_optins")
        .order_by("completion_date", "claim__claimed_at", "id")
    )
    rows = []
    for certificate in certificates:
        claim = certificate.claim
        profile = getattr(claim.learner, "profile", None)
        if profile is None or not profile.is_physician:
            continue  # PARS takes physicians only
        optins = {o.board: o for o in claim.moc_optins.all()}
        if not optins and not profile.board_sharing_consent:
            continue  # neither an MOC opt-in nor the profile's consent to share with boards
        problems = []
        pars_id = (claim.activity.pars_activity_id or "").strip()
        if not pars_id:
            problems.append(_("the activity has no PARS activity ID"))
        elif not pars_id.isdigit():
            problems.append(_("the PARS activity ID is not digits only"))
        first, last = profile.given_name.strip(), profile.family_name.strip()
        if not first:
            problems.append(_("first name missing"))
        if not last:
            problems.append(_("last name missing"))
        month = profile.birth_month
        day = profile.birth_day
        if optins:  # the birth month/day the learner gave when opting in
            some = next(iter(optins.values()))
            month, day = some.birth_month, some.birth_day
        if month is None or day is None:
            problems.append(_("birth month and day missing"))
        else:
            try:
                datetime.date(2000, month, day)  # a leap year: 29 February is a birth date
            except ValueError:
                problems.append(_("birth month and day are not a date"))
        npi = profile.npi.strip()
        if npi and not re.fullmatch(r"\d{10}", npi):
            problems.append(_("the NPI is not 10 digits"))
        cells = [
            "Add",
            pars_id,
            _cell(first),
            _cell(last),
            f"{month:02d}" if month else "",
            f"{day:02d}" if day else "",
            npi,
            certificate.completion_date.strftime("%m/%d/%Y"),
            _credits(certificate.credits),
        ]
        for board in BOARDS:
            optin = optins.get(board)
            if optin is None:
                cells += ["", "", ""]
                continue
            pattern, described = BOARD_ID_FORMATS[board]
            if (optin.board_id or board not in BOARD_ID_OPTIONAL) and not pattern.fullmatch(optin.board_id):
                problems.append(_("%(board)s ID must be %(format)s") % {"board": board, "format": described})
            if board in FULL_CREDIT_ONLY and certificate.credits < certificate.version.designated_credits:
                problems.append(_("%(board)s takes full credit only") % {"board": board})
            cells += [optin.board_id, _credits(optin.points), optin.credit_type]
        cells.append("Y")  # every row has the learner's permission (opt-in or profile consent)
        rows.append(
            LearnerRow(certificate=certificate, cells=cells, learner=profile.display_name, problems=problems)
        )
    return rows


def learner_file(rows: Iterable[LearnerRow]) -> str:
    """The upload file: no header row, tab-delimited, CRLF line ends, every field present."""
    return "".join("\t".join(row.cells) + "\r\n" for row in rows)


# --- Reporting state: batches ---------------------------------------------------------------------


@dataclass
class BatchPlan:
    """What the next batch holds: (certificate, action, cells) in file order, and the rows held back."""

    lines: list[tuple[Certificate, str, list[str]]]
    held_back: list[LearnerRow]


def _last_reports(provider: Provider) -> dict[int, ParsLearnerReport]:
    """Each certificate's last row sent to PARS (of this provider's batches)."""
    last: dict[int, ParsLearnerReport] = {}
    reports = ParsLearnerReport.objects.filter(batch__provider=provider).select_related("certificate__claim")
    for report in reports.order_by("batch__created_at", "batch_id", "id"):
        last[report.certificate_id] = report
    return last


@dataclass
class Reporting:
    """The rows of a range and of every completion in PARS now, read once (``reporting``): what
    the page's list, ``batch_plan`` and ``activity_states`` are computed from."""

    rows: list[LearnerRow]  # the range's rows and the rows of the completions in PARS (``also``)
    in_pars: dict[int, ParsLearnerReport]  # certificate id -> the Add last sent to PARS
    start: datetime.date
    end: datetime.date

    def in_range(self) -> list[LearnerRow]:
        """The range's rows (what ``learner_rows`` without ``also`` returns), in the same order."""
        return [r for r in self.rows if self.start <= r.certificate.completion_date <= self.end]


def reporting(*, provider: Provider, start: datetime.date, end: datetime.date) -> Reporting:
    last = _last_reports(provider)
    in_pars = {pk: r for pk, r in last.items() if r.action == ParsLearnerReport.Action.ADD}
    rows = learner_rows(provider=provider, start=start, end=end, also=in_pars)
    return Reporting(rows=rows, in_pars=in_pars, start=start, end=end)


def batch_plan(
    *, provider: Provider, start: datetime.date, end: datetime.date, read: Reporting | None = None
) -> BatchPlan:
    """The next batch: an Add for each valid row never sent (or deleted since); a Delete of the row as
    sent for credit that is no longer reportable (revoked, or the learner no longer a physician who
    consented); a Delete of the old row and an Add of the new one for a corrected completion (any
    cell changed). Rows with problems are held back (listed) and stay pending. ``read``: the rows
    already read for this range (``reporting``), not read again."""
    read = read or reporting(provider=provider, start=start, end=end)
    rows, in_pars = read.rows, read.in_pars
    current = {row.certificate.pk: row for row in rows}
    lines: list[tuple[Certificate, str, list[str]]] = []
    held_back = [row for row in rows if row.problems]
    for pk, sent in in_pars.items():
        row = current.get(pk)
        if row is not None and row.problems:
            continue  # a correction that is not valid yet waits; the old row stays in PARS
        if row is None or row.cells != sent.cells:
            lines.append((sent.certificate, ParsLearnerReport.Action.DELETE, ["Delete", *sent.cells[1:]]))
    for row in rows:
        if row.problems:
            continue
        previous = in_pars.get(row.certificate.pk)
        if previous is None or previous.cells != row.cells:
            lines.append((row.certificate, ParsLearnerReport.Action.ADD, row.cells))
    return BatchPlan(lines=lines, held_back=held_back)


@transaction.atomic
def batch_create(
    *, provider: Provider, actor: User, start: datetime.date, end: datetime.date
) -> ParsLearnerBatch:
    """Record the next batch (the rows of ``batch_plan``) as sent; refused when there is nothing new."""
    if not ProviderCoordinator.objects.filter(provider=provider, user=actor).exists():
        raise CreditError(_("Only the provider's coordinators can report its learners."), code="forbidden")
    plan = batch_plan(provider=provider, start=start, end=end)
    if not plan.lines:
        raise CreditError(
            _("Nothing new to report: every valid completion is already in PARS."), "empty_batch"
        )
    batch = ParsLearnerBatch.objects.create(provider=provider, created_by=actor, start=start, end=end)
    ParsLearnerReport.objects.bulk_create(
        ParsLearnerReport(batch=batch, certificate=certificate, action=action, cells=cells)
        for certificate, action, cells in plan.lines
    )
    audit_record(
        actor=actor,
        action=CreditAction.PARS_LEARNER_BATCH_CREATED,
        obj=batch,
        data={
            "start": start.isoformat(),
            "end": end.isoformat(),
            "adds": [c.pk for c, a, _cells in plan.lines if a == ParsLearnerReport.Action.ADD],
            "deletes": [c.pk for c, a, _cells in plan.lines if a == ParsLearnerReport.Action.DELETE],
        },
    )
    return batch


def batch_file(batch: ParsLearnerBatch) -> str:
    return "".join("\t".join(r.cells) + "\r\n" for r in batch.reports.order_by("id"))


@dataclass
class ActivityState:
    title: str
    reported: int = 0
    pending: int = 0
    needs_correction: int = 0


def activity_states(
    *, provider: Provider, start: datetime.date, end: datetime.date, read: Reporting | None = None
) -> list[ActivityState]:
    """Per activity: completions reported (in PARS as they are now), pending (never sent, or held back
    by a problem) and needing a correction (revoked or changed since they were sent)."""
    read = read or reporting(provider=provider, start=start, end=end)
    rows, in_pars = read.rows, read.in_pars
    current = {row.certificate.pk: row for row in rows}
    states: dict[int, ActivityState] = {}

    def state(certificate: Certificate) -> ActivityState:
        return states.setdefault(
            certificate.claim.activity_id, ActivityState(title=certificate.activity_title)
        )

    for pk, sent in in_pars.items():
        row = current.get(pk)
        if row is None or row.cells != sent.cells:
            state(sent.certificate).needs_correction += 1
        else:
            state(sent.certificate).reported += 1
    for row in rows:
        if row.certificate.pk not in in_pars:
            state(row.certificate).pending += 1
    return sorted(states.values(), key=lambda s: s.title)


def moc_deadline(year: int) -> datetime.date:
    """Completions of a year must reach the boards by 31 December of that year (PARS stays open until
    31 March for the year's data)."""
    return datetime.date(year, 12, 31)
