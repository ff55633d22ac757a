"""Credit for every profession: the credit types an activity offers besides AMA PRA Category 1
Credit™, who may claim which, their statements, and what a claim awards (docs/credit-types.md).

The rules (docs/cme-rules.md "Credit"):
- a provider offers a type only with the accreditation behind it (``Provider`` flags): ANCC nursing
  contact hours need ANCC accreditation, ACPE pharmacy CE needs ACPE's, AAPA Category 1 CME needs
  AAPA's authorisation; Joint Accreditation covers all three and is the only way to IPCE credit;
- each type has its own designated amount (quarter hours, at least 0.25, and no more than the time
  needed unless the activity records why) and its own statement; ACPE also needs a Universal
  Activity Number for home study ("H") aimed at pharmacists ("P") and a knowledge / application type;
- the learner's profession decides what they may claim: nurses ANCC, pharmacists ACPE (with their
  NABP e-Profile ID and birth month and day, which CPE Monitor needs), PAs AAPA, everyone IPCE;
  physicians receive AMA credit and everyone else a certificate of participation as before;
- the amount claimed is the learner's own time, rounded to the quarter hour and capped at each
  type's designation in the learner's version (what the learner was offered).

What an activity offers is frozen in each version (content key ``credits``, present only when it
offers a further type, so older versions read the same).
"""

import datetime
import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import LearnerProfile, Profession

from .designation import credits_for_minutes, minutes_needed
from .errors import CreditError
from .models import (
    AcpeActivityType,
    Activity,
    ActivityCredit,
    ActivityVersion,
    ClaimedCredit,
    CreditKind,
    Provider,
)
from .statements import format_credits, provider_name_in_statements


@dataclass(frozen=True)
class Kind:
    code: str
    label: str  # as printed on certificates and transcripts
    short: str  # table headings, CSV columns
    professions: frozenset[str]
    audience: str  # "Nurses", ... (the prefix a jointly accredited provider's statement uses)


KINDS: dict[str, Kind] = {
    CreditKind.ANCC: Kind(
        "ancc", "ANCC nursing contact hours", "ANCC", frozenset({Profession.NURSE}), "Nurses"
    ),
    CreditKind.ACPE: Kind(
        "acpe", "ACPE pharmacy CE contact hours", "ACPE", frozenset({Profession.PHARMACIST}), "Pharmacists"
    ),
    CreditKind.AAPA: Kind("aapa", "AAPA Category 1 CME credits", "AAPA", frozenset({Profession.PA}), "PAs"),
    CreditKind.IPCE: Kind(
        "ipce", "IPCE credits", "IPCE", frozenset(Profession.values), "The healthcare team"
    ),
}

# "... cannot be awarded to a <noun>" (the Profession labels are the licence form's).
PROFESSION_NOUNS: dict[str, str] = {
    Profession.PHYSICIAN: "physician",
    Profession.PA: "physician assistant",
    Profession.NURSE: "nurse",
    Profession.PHARMACIST: "pharmacist",
    Profession.OTHER: "health professional of another profession",
}

# UAN: provider number (4 digits, or JA + 7 digits) - joint provider (0000 none, 9999 joint
# providership) - year (2 digits) - sequence (3 digits) - H (home study: an enduring material) and
# the topic designator (01-08) - P (pharmacists).
UAN_PATTERN = re.compile(
    r"(?P<provider>JA\d{7}|\d{4})-(?P<joint>\d{4})-(?P<year>\d{2})-(?P<sequence>\d{3})-"
    r"(?P<format>[LHB])(?P<topic>0[1-8])-(?P<audience>[PT])"
)
ACPE_TOPICS = {
    "01": "Disease state management / drug therapy",
    "02": "HIV / AIDS therapy",
    "03": "Law related to pharmacy practice",
    "04": "General pharmacy",
    "05": "Patient safety",
    "06": "Immunizations",
    "07": "Compounding",
    "08": "Pain management / opioids",
}


def kind_label(kind: str) -> str:
    return KINDS[kind].label if kind in KINDS else kind


def provider_kinds(provider: Provider) -> list[str]:
    """The further credit types the provider's accreditations allow, in a fixed order."""
    allowed = {
        CreditKind.ANCC: provider.joint_accreditation or provider.ancc_accredited,
        CreditKind.ACPE: provider.joint_accreditation or provider.acpe_accredited,
        CreditKind.AAPA: provider.joint_accreditation or provider.aapa_authorized,
        CreditKind.IPCE: provider.joint_accreditation,
    }
    return [str(kind) for kind, ok in allowed.items() if ok]


def accreditation_needed(kind: str) -> str:
    needed: dict[str, str] = {
        CreditKind.ANCC: _("ANCC accreditation (or Joint Accreditation)"),
        CreditKind.ACPE: _("ACPE accreditation (or Joint Accreditation)"),
        CreditKind.AAPA: _("AAPA's authorisation (or Joint Accreditation)"),
        CreditKind.IPCE: _("Joint Accreditation"),
    }
    return needed[kind]


# --- Statements --------------------------------------------------------------------------------------


IPCE_UNIT = "Interprofessional Continuing Education (IPCE) credit"


def _hours(amount: Decimal, singular: str, plural: str) -> str:
    return f"{format_credits(amount)} {singular if amount == 1 else plural}"


def statement(*, kind: str, provider: Provider, amount: Decimal, uan: str = "", acpe_type: str = "") -> str:
    """The statement printed for one credit type (plain text), in the accrediting body's wording."""
    subject = provider_name_in_statements(provider)
    joint = provider.joint_accreditation
    if kind == CreditKind.ANCC:
        if joint:
            return (
                f"Nurses: {subject} designates this activity for a maximum of "
                f"{_hours(amount, 'ANCC contact hour', 'ANCC contact hours')}. Nurses should claim only the "
                "credit commensurate with the extent of their participation in the activity."
            )
        return (
            f"{subject} is accredited as a provider of nursing continuing professional development by the "
            "American Nurses Credentialing Center's Commission on Accreditation. This activity provides "
            f"{_hours(amount, 'nursing contact hour', 'nursing contact hours')}."
        )
    if kind == CreditKind.ACPE:
        type_text = dict(AcpeActivityType.choices).get(acpe_type, "")
        ceus = (amount / 10).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP).normalize()
        body = (
            f"This {str(type_text).lower()} activity is designated for "
            f"{_hours(amount, 'contact hour', 'contact hours')} ({ceus:f} CEU) of continuing pharmacy "
            f"education. Universal Activity Number (UAN): {uan}. Credit is reported to CPE Monitor with the "
            "pharmacist's NABP e-Profile ID and birth month and day."
        )
        if joint:
            return f"Pharmacists: {body}"
        return (
            f"{subject} is accredited by the Accreditation Council for Pharmacy Education as a provider of "
            f"continuing pharmacy education. {body}"
        )
    if kind == CreditKind.AAPA:
        designation = (
            "This activity is designated for "
            f"{_hours(amount, 'AAPA Category 1 CME credit', 'AAPA Category 1 CME credits')}. "
            "PAs should only claim credit commensurate with the extent of their participation."
        )
        if joint:
            return (
                f"PAs: {subject} has been authorized by the American Academy of PAs (AAPA) to award AAPA "
                "Category 1 CME credit for activities planned in accordance with AAPA CME Criteria. "
                f"{designation}"
            )
        return (
            "This activity has been reviewed by the AAPA Review Panel and is compliant with AAPA CME "
            f"Criteria. {designation}"
        )
    if kind == CreditKind.IPCE:
        return (
            "This activity was planned by and for the healthcare team, and learners will receive "
            f"{_hours(amount, IPCE_UNIT, IPCE_UNIT + 's')}"
            " for learning and change."
        )
    raise ValueError(f"unknown credit type {kind!r}")


# --- What an activity offers ---------------------------------------------------------------------------


def parse_amount(raw: object) -> Decimal:
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise CreditError(
            _("Enter the designated amount as a number of hours, e.g. 0.75."), "amount"
        ) from None
    if amount.is_finite() and amount >= 100:
        raise CreditError(
            _("The designated amount must be a multiple of 0.25, at most 99.75 hours."), "amount"
        )
    if not amount.is_finite() or amount < Decimal("0.25") or (amount * 4) % 1 != 0:
        raise CreditError(_("The designated amount must be a multiple of 0.25, at least 0.25."), "amount")
    return amount.quantize(Decimal("0.01"))


def uan_problem(uan: str, provider: Provider, *, today: datetime.date | None = None) -> str | None:
    """What is wrong with a UAN for an enduring material of ``provider`` (None: it is right)."""
    match = UAN_PATTERN.fullmatch(uan.strip())
    if match is None:
        return _(
            "A UAN is written like 0197-0000-26-001-H01-P (or JA0000123-0000-26-001-H01-P for a jointly "
            "accredited provider): provider number, joint provider, year, sequence, format and topic, "
            "audience."
        )
    if match["format"] != "H":
        return _("A podcast is home study: the UAN's format letter must be H (not %(letter)s).") % {
            "letter": match["format"]
        }
    if match["audience"] != "P":
        return _("The UAN must end in P (pharmacists): podcastcme does not offer pharmacy technician credit.")
    number = provider.acpe_provider_number.strip()
    if number and match["provider"] != number:
        return _("The UAN starts with %(found)s, but the provider's ACPE number is %(number)s.") % {
            "found": match["provider"],
            "number": number,
        }
    if match["provider"].startswith("JA") and not provider.joint_accreditation:
        return _("A UAN starting with JA belongs to a jointly accredited provider.")
    return None


def offered_credit_problems(activity: Activity) -> list[str]:
    """Why the activity's further credit types cannot be published (publish_problems calls this)."""
    problems: list[str] = []
    allowed = provider_kinds(activity.provider)
    rows = list(ActivityCredit.objects.filter(activity=activity))
    needed: int | None = None
    for row in rows:
        label = kind_label(row.kind)
        if row.kind not in allowed:
            problems.append(
                _("%(type)s needs %(accreditation)s: tick it in the provider's accreditations or remove it.")
                % {"type": label, "accreditation": accreditation_needed(row.kind)}
            )
        if row.kind == CreditKind.ACPE:
            problem = uan_problem(row.uan, activity.provider)
            if problem:
                problems.append(f"{label}: {problem}")
            if not row.acpe_activity_type:
                problems.append(
                    _("%(type)s needs its activity type (knowledge or application).") % {"type": label}
                )
        if needed is None:
            needed = minutes_needed(activity)
        if row.amount * 60 > needed and not activity.designation_reason.strip():
            problems.append(
                _(
                    "%(type)s: %(amount)s hours is more than the %(minutes)s minutes a learner needs; lower "
                    "it or record the reason for the designation."
                )
                % {"type": label, "amount": format_credits(row.amount), "minutes": needed}
            )
    return problems


def version_credits(activity: Activity) -> list[dict[str, Any]]:
    """The further credit types as frozen in a version (content key ``credits``)."""
    return [
        {
            "kind": row.kind,
            "label": kind_label(row.kind),
            "amount": str(row.amount),
            "uan": row.uan,
            "acpe_activity_type": row.acpe_activity_type,
            "statement": statement(
                kind=row.kind,
                provider=activity.provider,
                amount=row.amount,
                uan=row.uan,
                acpe_type=row.acpe_activity_type,
            ),
        }
        for row in ActivityCredit.objects.filter(activity=activity).order_by("kind")
    ]


def offered(version: ActivityVersion) -> list[dict[str, Any]]:
    """What the learner's version offers besides AMA credit (empty before credit types existed)."""
    return list(version.content.get("credits", []))


# --- What a learner may claim ----------------------------------------------------------------------------


def may_claim(profile: LearnerProfile | None, kind: str) -> bool:
    return profile is not None and kind in KINDS and profile.profession in KINDS[kind].professions


def claimable(profile: LearnerProfile | None, version: ActivityVersion) -> list[dict[str, Any]]:
    """The further credit types of ``version`` the learner's profession may claim."""
    return [offer for offer in offered(version) if may_claim(profile, offer["kind"])]


@dataclass(frozen=True)
class Award:
    kind: str
    label: str
    amount: Decimal
    statement: str


def check_requested(
    *,
    profile: LearnerProfile,
    version: ActivityVersion,
    minutes: int,
    requested: Collection[str] | None,
) -> list[Award]:
    """The further credit a claim awards; raises CreditError (nothing written) for a type the version
    does not offer, one the learner's profession cannot receive, or ACPE without the learner's NABP
    e-Profile ID and birth month and day. ``requested`` None: every type the learner may claim."""
    offers = {offer["kind"]: offer for offer in offered(version)}
    if requested is None:
        wanted = [kind for kind in offers if may_claim(profile, kind)]
    else:
        wanted = []
        for kind in requested:
            if kind not in offers:
                raise CreditError(
                    _("This activity does not offer %(type)s.") % {"type": kind_label(kind)}, "credit_type"
                )
            if not may_claim(profile, kind):
                raise CreditError(
                    _(
                        "%(type)s cannot be awarded to a %(profession)s (your profile's degree: %(degree)s). "
                        "If your degree is wrong, correct it in your profile first."
                    )
                    % {
                        "type": kind_label(kind),
                        "profession": PROFESSION_NOUNS[profile.profession],
                        "degree": profile.credential or "-",
                    },
                    "credit_type",
                )
            if kind not in wanted:
                wanted.append(kind)
    if CreditKind.ACPE in wanted and not (
        profile.nabp_eprofile_id and profile.birth_month and profile.birth_day
    ):
        raise CreditError(
            _(
                "Pharmacy CE is reported to CPE Monitor: add your NABP e-Profile ID and your birth month "
                "and day to your profile, or untick ACPE credit."
            ),
            "profile",
        )
    awards = []
    for kind in sorted(wanted):
        offer = offers[kind]
        amount, _capped = credits_for_minutes(minutes, Decimal(offer["amount"]))
        if amount < Decimal("0.25"):
            continue  # the claim itself is refused below 0.25 (claim_check)
        awards.append(Award(kind=kind, label=offer["label"], amount=amount, statement=offer["statement"]))
    return awards


def certificate_lines(claim_id: int, version: ActivityVersion) -> list[dict[str, str]]:
    """What the certificate freezes and prints for the claim's further credit
    (``Certificate.other_credits``): each type claimed, its amount and its version's statement."""
    offers = {offer["kind"]: offer for offer in offered(version)}
    if not offers:  # nothing further was offered, so nothing was claimed: no query
        return []
    return [
        {
            "kind": row.kind,
            "label": offers[row.kind]["label"] if row.kind in offers else kind_label(row.kind),
            "amount": str(row.amount),
            "statement": offers[row.kind]["statement"] if row.kind in offers else "",
        }
        for row in ClaimedCredit.objects.filter(claim_id=claim_id).order_by("kind")
    ]
