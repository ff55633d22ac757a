"""CE Broker roster export (docs/cebroker.md): an activity's credited completions by learners with a
licence CE Broker tracks, in CE Broker's Excel upload format (.xls, "Creating Excel Files (Full /
Partial Course Credit)"), one row per certificate and licence.

Columns (no header row): A provider tracking number (without "50-"), B course tracking number
(without "20-"), C own course ID (empty: B is used), D publishing number (empty), E licence number,
F completion date (an Excel date, m/d/yyyy), G "State=XX", H "Profession=CODE", and for partial
credit only I subject area code and J hours.

Hours are the credit the licence's profession gets from the certificate: ANCC contact hours for
nurses, ACPE contact hours for pharmacists, AAPA Category 1 credits for PAs, AMA PRA Category 1
credits for physicians. A learner without such a licence, or whose certificate carries no credit of
that type, is listed as not exported with the reason.
"""

import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import xlwt
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Licence, Profession, User
from audit.services import audit_record

from .audit_actions import CreditAction
from .errors import CreditError
from .models import Activity, Certificate, CreditKind, CreditType, Provider
from .selectors import credited_certificates
from .us_states import STATES

# Our profession -> (CE Broker profession code, the credit type that profession's hours come from).
# Only "RN" is confirmed by CE Broker's help article (its example); the others must be checked against
# CE Broker's "Profession Codes" list for the state (docs/cebroker.md).
PROFESSIONS: dict[str, tuple[str, str]] = {
    Profession.NURSE: ("RN", CreditKind.ANCC),
    Profession.PHARMACIST: ("RPH", CreditKind.ACPE),
    Profession.PA: ("PA", CreditKind.AAPA),
    Profession.PHYSICIAN: ("MD", "ama"),
}
CREDIT_NAMES = {
    CreditKind.ANCC: "ANCC contact hours",
    CreditKind.ACPE: "ACPE contact hours",
    CreditKind.AAPA: "AAPA Category 1 credits",
    "ama": "AMA PRA Category 1 credits",
}

_STATE_NAMES = {name.lower(): code for code, name in STATES.items()}
DIGITS = re.compile(r"\d{1,12}")


def state_code(raw: str) -> str | None:
    """The two-letter code of a licence's state as the learner wrote it ("FL", "Florida"), or None."""
    text = re.sub(r"\s+", " ", raw or "").strip().rstrip(".")
    if text.upper() in STATES:
        return text.upper()
    return _STATE_NAMES.get(text.lower())


# --- The numbers CE Broker gave ---------------------------------------------------------------------


def _clean_number(raw: str, prefix: str, what: str) -> str:
    value = (raw or "").strip()
    if value.startswith(prefix):
        raise CreditError(
            _(
                'Enter the %(what)s without the "%(prefix)s" in front: '
                "CE Broker's upload wants the digits only."
            )
            % {"what": what, "prefix": prefix},
            code="cebroker_number",
        )
    if value and not DIGITS.fullmatch(value):
        raise CreditError(
            _("The %(what)s is digits only (at most 12).") % {"what": what}, code="cebroker_number"
        )
    return value


@transaction.atomic
def numbers_set(
    *, activity: Activity, actor: User, provider_number: str, course_number: str, subject_area: str
) -> list[str]:
    """Set the provider's CE Broker provider tracking number and the activity's course tracking number
    and subject area code; returns the fields changed (audited with old and new values)."""
    provider_value = _clean_number(provider_number, "50-", _("provider tracking number"))
    course_value = _clean_number(course_number, "20-", _("course tracking number"))
    subject = (subject_area or "").strip()
    if len(subject) > 20 or re.search(r"[^A-Za-z0-9._-]", subject):
        raise CreditError(
            _("The subject area code is CE Broker's code (letters, digits, at most 20)."),
            code="cebroker_subject",
        )
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    provider = Provider.objects.select_for_update().get(pk=activity.provider_id)
    changed: dict[str, list[str]] = {}
    if provider.cebroker_provider_number != provider_value:
        changed["provider.cebroker_provider_number"] = [provider.cebroker_provider_number, provider_value]
        provider.cebroker_provider_number = provider_value
        provider.save(update_fields=["cebroker_provider_number"])
    for name, value in [("cebroker_course_number", course_value), ("cebroker_subject_area", subject)]:
        if getattr(activity, name) != value:
            changed[name] = [getattr(activity, name), value]
            setattr(activity, name, value)
    if any(not k.startswith("provider.") for k in changed):
        activity.save(update_fields=["cebroker_course_number", "cebroker_subject_area"])
    if changed:
        audit_record(
            actor=actor, action=CreditAction.CEBROKER_NUMBERS_CHANGED, obj=activity, data={"changed": changed}
        )
    return sorted(changed)


# --- The roster -----------------------------------------------------------------------------------------


@dataclass
class RosterRow:
    certificate: Certificate
    licence: Licence
    learner: str
    cells: list[Any]  # A..H, or A..J for partial credit (F is a date)
    partial: bool


@dataclass
class Skipped:
    learner: str
    certificate: Certificate
    reason: str


@dataclass
class Roster:
    rows: list[RosterRow] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _earned(certificate: Certificate, credit: str) -> Decimal | None:
    if credit == "ama":
        if certificate.credit_type != CreditType.AMA_PRA_1:
            return None
        return certificate.credits
    for line in certificate.other_credits or []:
        if line.get("kind") == credit:
            return Decimal(str(line["amount"]))
    return None


def _designated(certificate: Certificate, credit: str) -> Decimal | None:
    if credit == "ama":
        return certificate.version.designated_credits
    for offer in certificate.version.content.get("credits") or []:
        if offer.get("kind") == credit:
            return Decimal(str(offer["amount"]))
    return None


def _number(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def roster(
    activity: Activity, *, start: datetime.date | None = None, end: datetime.date | None = None
) -> Roster:
    """The activity's roster: a row per credited certificate and licence CE Broker tracks; every
    learner not exported, with the reason. ``start``/``end``: completion dates (inclusive), so that a
    coordinator uploads each period once (CE Broker wants no licensee reported twice)."""
    provider = activity.provider
    result = Roster()
    certificates = credited_certificates().filter(claim__activity=activity)
    if start is not None:
        certificates = certificates.filter(completion_date__gte=start)
    if end is not None:
        certificates = certificates.filter(completion_date__lte=end)
    certificates = (
        certificates.select_related("claim__learner__profile", "version")
        .prefetch_related("claim__learner__licences")
        .order_by("completion_date", "claim__claimed_at", "id")
    )
    for certificate in certificates:
        learner = certificate.claim.learner
        profile = getattr(learner, "profile", None)
        name = profile.display_name if profile else certificate.learner_name
        licences = list(learner.licences.all())
        if not licences:
            result.skipped.append(Skipped(name, certificate, _("no licence recorded in their profile")))
            continue
        exported = False
        reasons = []
        for licence in licences:
            label = f"{licence.state} {licence.get_profession_display()}"
            if licence.profession not in PROFESSIONS:
                reasons.append(
                    _("%(licence)s: not a profession CE Broker reporting covers here") % {"licence": label}
                )
                continue
            code, credit = PROFESSIONS[licence.profession]
            earned = _earned(certificate, credit)
            if earned is None:
                reasons.append(
                    _("%(licence)s: the certificate carries no %(credit)s")
                    % {"licence": label, "credit": CREDIT_NAMES[credit]}
                )
                continue
            number = licence.number.strip()
            if not number:
                reasons.append(_("%(licence)s: licence number missing") % {"licence": label})
                continue
            state = state_code(licence.state)
            if state is None:
                reasons.append(
                    _("%(licence)s: “%(state)s” is not a US state or territory CE Broker knows")
                    % {"licence": label, "state": licence.state[:40]}
                )
                continue
            designated = _designated(certificate, credit)
            partial = designated is not None and earned < designated
            if partial and not activity.cebroker_subject_area:
                reasons.append(
                    _(
                        "%(licence)s: partial credit (%(hours)s of %(full)s) needs the course's CE Broker "
                        "subject area code"
                    )
                    % {"licence": label, "hours": earned, "full": designated}
                )
                continue
            cells: list[Any] = [
                provider.cebroker_provider_number,
                activity.cebroker_course_number,
                "",
                "",
                number,
                certificate.completion_date,
                f"State={state}",
                f"Profession={code}",
            ]
            if partial:
                cells += [activity.cebroker_subject_area, _number(earned)]
            result.rows.append(RosterRow(certificate, licence, name, cells, partial))
            exported = True
        if not exported:
            result.skipped.append(Skipped(name, certificate, "; ".join(reasons)))
    return result


def export_problems(activity: Activity, result: Roster) -> list[str]:
    """Why the roster file cannot be made (empty: it can)."""
    return export_problems_for(activity, rows=len(result.rows))


def export_problems_for(activity: Activity, *, rows: int) -> list[str]:
    """The same from the number of rows (the page's snapshot keeps the count, credits/cpe_snapshot.py)."""
    problems = []
    if not activity.provider.cebroker_provider_number:
        problems.append(_("Enter the provider's CE Broker provider tracking number first."))
    if not activity.cebroker_course_number:
        problems.append(_("Enter the activity's CE Broker course tracking number first."))
    if not rows:
        problems.append(
            _(
                "No learner of this activity has a licence CE Broker tracks with the matching credit: "
                "nothing to export."
            )
        )
    return problems


def roster_xls(result: Roster) -> bytes:
    """The .xls file: one sheet, no header row, columns A-H (A-J for partial credit)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Roster")
    date_style = xlwt.easyxf(num_format_str="M/D/YYYY")
    for r, row in enumerate(result.rows):
        for c, value in enumerate(row.cells):
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
