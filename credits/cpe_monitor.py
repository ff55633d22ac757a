"""ACPE credit reported to CPE Monitor (docs/cpe-monitor.md): per provider, each credited certificate
that carries ACPE contact hours, with the pharmacist's NABP e-Profile ID and birth month and day, the
UAN of the learner's own version, the participation (completion) date and the hours.

The rules (ACPE / NABP, see the doc for the sources):
- providers must transmit a completion within 60 days of the participation date; after that ACPE
  takes no transmission, change or edit. The page shows each pending completion's deadline;
- the batch file adds records only: we found no delete or change record in what we could read of the
  specification, and NABP says only the provider can change an ACPE record, with ACPE. So revoked
  credit and corrected completions are listed for the coordinator to correct in CPE Monitor by hand
  within the 60 days, and recorded here as done ("manual" batches) when they have;
- pre-validation: a row whose learner lacks a well-formed NABP e-Profile ID (6 or 7 digits) or a real
  birth month and day is held back and listed; an activity whose version has no valid UAN refuses the
  export (it cannot be reported at all).

What CPE Monitor holds for a certificate is its last row (``CpeMonitorReport``): "add" and "corrected"
rows hold the cells as they are there; "removed" means nothing is.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from xml.etree import ElementTree

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record

from .audit_actions import CreditAction
from .credit_types import UAN_PATTERN
from .errors import CreditError
from .models import Certificate, CpeMonitorBatch, CpeMonitorReport, CreditKind, Provider, ProviderCoordinator
from .selectors import credited_certificates

# The fields of one record, in file order (docs/cpe-monitor.md; the fixture cpe_monitor_fields.json).
FIELDS = ["UAN", "ePID", "DOB", "ParticipationDate", "ParticipantType", "ContactHours"]
FIELD_LABELS = {
    "UAN": "UAN",
    "ePID": "NABP e-Profile ID",
    "DOB": "Birth MMDD",
    "ParticipationDate": "Participation date",
    "ParticipantType": "Participant type",
    "ContactHours": "Contact hours",
}
WINDOW_DAYS = 60  # ACPE accepts a completion, or a change to it, within 60 days of participation
NEAR_DAYS = 14  # the page highlights deadlines this close
EPID = re.compile(r"\d{6,7}")


def deadline(participation: datetime.date) -> datetime.date:
    return participation + datetime.timedelta(days=WINDOW_DAYS)


@dataclass
class CpeRow:
    certificate: Certificate
    learner: str
    cells: dict[str, str]
    problems: list[str] = field(default_factory=list)  # the learner's (held back until fixed)
    uan_problem: str = ""  # the activity's (refuses the export)

    @property
    def deadline(self) -> datetime.date:
        return deadline(self.certificate.completion_date)


def _acpe_amount(certificate: Certificate) -> Decimal | None:
    for line in certificate.other_credits or []:
        if line.get("kind") == CreditKind.ACPE:
            return Decimal(str(line["amount"]))
    return None


def _uan(certificate: Certificate) -> str:
    for offer in certificate.version.content.get("credits") or []:
        if offer.get("kind") == CreditKind.ACPE:
            return str(offer.get("uan") or "").strip()
    return ""


def _hours(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')).normalize():f}"


def rows(provider: Provider) -> list[CpeRow]:
    """One row per credited certificate of the provider's activities that carries ACPE contact hours
    (the certificate's current revision: ``other_credits``); revoked credit is never a row."""
    certificates = (
        credited_certificates()
        .filter(claim__activity__provider=provider, claim__other_credits__kind=CreditKind.ACPE)
        .select_related("claim__learner__profile", "version")
        .order_by("completion_date", "claim__claimed_at", "id")
    )
    result = []
    for certificate in certificates:
        amount = _acpe_amount(certificate)
        if amount is None:
            continue  # corrected away from ACPE credit: not (or no longer) reportable
        profile = getattr(certificate.claim.learner, "profile", None)
        epid = (profile.nabp_eprofile_id if profile else "").strip()
        month = profile.birth_month if profile else None
        day = profile.birth_day if profile else None
        problems = []
        if not epid:
            problems.append(_("NABP e-Profile ID missing"))
        elif not EPID.fullmatch(epid):
            problems.append(_("the NABP e-Profile ID must be 6 or 7 digits"))
        dob = ""
        if month is None or day is None:
            problems.append(_("birth month and day missing"))
        else:
            try:
                datetime.date(2000, month, day)  # a leap year: 29 February is a birth date
            except ValueError:
                problems.append(_("birth month and day are not a date"))
            else:
                dob = f"{month:02d}{day:02d}"
        uan = _uan(certificate)
        uan_problem = ""
        if not uan:
            uan_problem = _("“%(title)s” has no UAN in the version learners took") % {
                "title": certificate.activity_title
            }
        elif not UAN_PATTERN.fullmatch(uan):
            uan_problem = _("“%(title)s”: the UAN %(uan)s is not a valid UAN") % {
                "title": certificate.activity_title,
                "uan": uan,
            }
        cells = {
            "UAN": uan,
            "ePID": epid,
            "DOB": dob,
            "ParticipationDate": certificate.completion_date.strftime("%m/%d/%Y"),
            "ParticipantType": "P",  # pharmacist: UANs ending in -T (technicians) are refused upstream
            "ContactHours": _hours(amount),
        }
        name = profile.display_name if profile else certificate.learner_name
        result.append(
            CpeRow(
                certificate=certificate, learner=name, cells=cells, problems=problems, uan_problem=uan_problem
            )
        )
    return result


# --- Reporting state ----------------------------------------------------------------------------------


def _held(provider: Provider) -> dict[int, CpeMonitorReport]:
    """What CPE Monitor holds per certificate: its last row, unless that row removed it."""
    last: dict[int, CpeMonitorReport] = {}
    reports = CpeMonitorReport.objects.filter(batch__provider=provider).select_related("certificate")
    for report in reports.order_by("batch__created_at", "batch_id", "id"):
        last[report.certificate_id] = report
    return {pk: r for pk, r in last.items() if r.action != CpeMonitorReport.Action.REMOVED}


@dataclass
class Correction:
    """A record in CPE Monitor that no longer matches our credit: remove it (``new`` None) or change
    the fields that differ, by hand in CPE Monitor, before ``deadline``."""

    certificate: Certificate
    learner: str
    old: dict[str, str]
    new: dict[str, str] | None

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        if self.new is None:
            return []
        return [
            (FIELD_LABELS[f], self.old.get(f, ""), self.new.get(f, ""))
            for f in FIELDS
            if self.old.get(f) != self.new.get(f)
        ]

    @property
    def deadline(self) -> datetime.date:
        month, day, year = (int(part) for part in self.old["ParticipationDate"].split("/"))
        sent = datetime.date(year, month, day)
        return deadline(sent)


@dataclass
class Plan:
    adds: list[CpeRow]  # the next file
    held_back: list[CpeRow]  # the learner's data is missing or malformed
    blocked: list[CpeRow]  # the activity has no valid UAN: the export is refused
    corrections: list[Correction]  # to correct in CPE Monitor by hand
    reported: list[CpeRow]  # in CPE Monitor as they are now


def plan(provider: Provider) -> Plan:
    held = _held(provider)
    current = rows(provider)
    by_pk = {row.certificate.pk: row for row in current}
    result = Plan(adds=[], held_back=[], blocked=[], corrections=[], reported=[])
    for row in current:
        sent = held.get(row.certificate.pk)
        if sent is not None:
            # As sent; or changed into something not valid (a malformed profile edit): the record sent
            # stays as it is in CPE Monitor rather than be "corrected" into what ACPE would refuse.
            if sent.cells == row.cells or row.problems or row.uan_problem:
                result.reported.append(row)
            continue
        if row.uan_problem:
            result.blocked.append(row)
        elif row.problems:
            result.held_back.append(row)
        else:
            result.adds.append(row)
    for pk, sent in held.items():
        now = by_pk.get(pk)
        if now is None:
            learner = sent.certificate.learner_name
            result.corrections.append(
                Correction(certificate=sent.certificate, learner=learner, old=sent.cells, new=None)
            )
        elif now.cells != sent.cells and not (now.problems or now.uan_problem):
            result.corrections.append(
                Correction(certificate=now.certificate, learner=now.learner, old=sent.cells, new=now.cells)
            )
    result.corrections.sort(key=lambda c: (c.deadline, c.certificate.pk))
    return result


def _check_coordinator(provider: Provider, actor: User) -> None:
    if not ProviderCoordinator.objects.filter(provider=provider, user=actor).exists():
        raise CreditError(_("Only the provider's coordinators can report its learners."), code="forbidden")


def _refuse_blocked(next_plan: Plan) -> None:
    if next_plan.blocked:
        problems = sorted({row.uan_problem for row in next_plan.blocked})
        raise CreditError(
            _(
                "The CPE Monitor file cannot be made: %(problems)s. CPE Monitor files every completion under "
                "its activity's Universal Activity Number; give the activity its UAN (a new version) first."
            )
            % {"problems": "; ".join(problems)},
            code="no_uan",
        )


@transaction.atomic
def batch_create(*, provider: Provider, actor: User) -> CpeMonitorBatch:
    """Record the next file as sent: every valid completion not yet in CPE Monitor. Refused when an
    activity has no valid UAN, and when there is nothing new (nothing is written then)."""
    _check_coordinator(provider, actor)
    next_plan = plan(provider)
    _refuse_blocked(next_plan)
    if not next_plan.adds:
        raise CreditError(
            _("Nothing new to send: every valid ACPE completion is already in CPE Monitor."),
            code="empty_batch",
        )
    batch = CpeMonitorBatch.objects.create(
        provider=provider, created_by=actor, kind=CpeMonitorBatch.Kind.FILE
    )
    CpeMonitorReport.objects.bulk_create(
        CpeMonitorReport(
            batch=batch, certificate=row.certificate, action=CpeMonitorReport.Action.ADD, cells=row.cells
        )
        for row in next_plan.adds
    )
    audit_record(
        actor=actor,
        action=CreditAction.CPE_MONITOR_BATCH_CREATED,
        obj=batch,
        data={"adds": [row.certificate.pk for row in next_plan.adds]},
    )
    return batch


@transaction.atomic
def corrections_record(*, provider: Provider, actor: User, certificate_ids: Iterable[int]) -> CpeMonitorBatch:
    """Record that the coordinator made these corrections by hand in CPE Monitor (each: removed, or
    changed to the current fields). Refused for a certificate that needs no correction."""
    _check_coordinator(provider, actor)
    wanted = set(certificate_ids)
    pending = {c.certificate.pk: c for c in plan(provider).corrections}
    if not wanted:
        raise CreditError(_("Tick the corrections you made in CPE Monitor."), code="no_corrections")
    unknown = wanted - set(pending)
    if unknown:
        raise CreditError(
            _("These completions need no correction in CPE Monitor (reload the page): %(ids)s.")
            % {"ids": ", ".join(str(pk) for pk in sorted(unknown))},
            code="not_a_correction",
        )
    batch = CpeMonitorBatch.objects.create(
        provider=provider, created_by=actor, kind=CpeMonitorBatch.Kind.MANUAL
    )
    removed, corrected = [], []
    for pk in sorted(wanted):
        correction = pending[pk]
        if correction.new is None:
            action, cells = CpeMonitorReport.Action.REMOVED, correction.old
            removed.append(pk)
        else:
            action, cells = CpeMonitorReport.Action.CORRECTED, correction.new
            corrected.append(pk)
        CpeMonitorReport.objects.create(
            batch=batch, certificate=correction.certificate, action=action, cells=cells
        )
    audit_record(
        actor=actor,
        action=CreditAction.CPE_MONITOR_CORRECTIONS_RECORDED,
        obj=batch,
        data={"removed": removed, "corrected": corrected},
    )
    return batch


def batch_file(batch: CpeMonitorBatch) -> bytes:
    """The batch's XML file: the provider's ACPE number, then one record per completion, fields in the
    documented order (docs/cpe-monitor.md: the element names are ours where the spec was unreadable)."""
    root = ElementTree.Element("CPEMonitorBatch")
    ElementTree.SubElement(root, "ProviderID").text = batch.provider.acpe_provider_number
    ElementTree.SubElement(root, "BatchID").text = str(batch.pk)
    records = ElementTree.SubElement(root, "Records")
    for report in batch.reports.order_by("id"):
        record = ElementTree.SubElement(records, "Record")
        for name in FIELDS:
            ElementTree.SubElement(record, name).text = str(report.cells.get(name, ""))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def batch_file_name(batch: CpeMonitorBatch) -> str:
    number = re.sub(r"[^A-Za-z0-9]", "", batch.provider.acpe_provider_number) or batch.provider.slug
    return f"{number}_{timezone.localtime(batch.created_at).strftime('%Y%m%d')}_{batch.pk}.xml"


# --- Per activity --------------------------------------------------------------------------------------


@dataclass
class ActivityState:
    title: str
    activity_id: int
    reported: int = 0
    pending: int = 0
    needs_correction: int = 0
    oldest_deadline: datetime.date | None = None  # of the pending completions and corrections

    def urgency(self, today: datetime.date) -> str:
        if self.oldest_deadline is None:
            return ""
        if self.oldest_deadline < today:
            return "past"
        if (self.oldest_deadline - today).days <= NEAR_DAYS:
            return "near"
        return ""


def activity_states(next_plan: Plan) -> list[ActivityState]:
    states: dict[int, ActivityState] = {}

    def state(certificate: Certificate) -> ActivityState:
        activity_id = certificate.claim.activity_id
        return states.setdefault(
            activity_id, ActivityState(title=certificate.activity_title, activity_id=activity_id)
        )

    def due(st: ActivityState, day: datetime.date) -> None:
        if st.oldest_deadline is None or day < st.oldest_deadline:
            st.oldest_deadline = day

    for row in next_plan.reported:
        state(row.certificate).reported += 1
    for row in [*next_plan.adds, *next_plan.held_back, *next_plan.blocked]:
        st = state(row.certificate)
        st.pending += 1
        due(st, row.deadline)
    for correction in next_plan.corrections:
        st = state(correction.certificate)
        st.needs_correction += 1
        due(st, correction.deadline)
    return sorted(states.values(), key=lambda s: (s.title, s.activity_id))
