"""Writes for credit for every profession (docs/credit-types.md): the accreditations a provider's
coordinator declares, and the further credit types (ANCC, ACPE, AAPA, IPCE) an activity offers
besides AMA PRA Category 1 Credit™.

Every write runs in one transaction and writes an audit row with the old and new values. A change
to a published activity goes through ``versions.activity_changed`` (like the MOC registration,
credits/moc.py): it must still pass the publishing checks, and once a learner has started the
current version a new version is made, so learners under way keep what they were offered.

Removing an accreditation (or changing the ACPE provider number) is refused while a published
activity that has not expired offers a credit type that would then be wrong: the refusal lists those
activities, so nothing learners were offered silently becomes wrong. Otherwise every published
activity of the provider that has not expired gets its statements refreshed (a Joint Accreditation
change rewrites the accreditation statement and the per-type statements).
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record

from . import credit_types, grants, versions
from .audit_actions import CreditAction
from .errors import CreditError
from .models import AcpeActivityType, Activity, ActivityCredit, CreditKind, Provider

ACCREDITATION_FLAGS = ("joint_accreditation", "ancc_accredited", "acpe_accredited", "aapa_authorized")
ACPE_NUMBER = re.compile(r"\d{4}|JA\d{7}")


# --- Provider accreditations ------------------------------------------------------------------------


def accreditation_snapshot(provider: Provider) -> dict[str, Any]:
    values: dict[str, Any] = {name: bool(getattr(provider, name)) for name in ACCREDITATION_FLAGS}
    values["acpe_provider_number"] = provider.acpe_provider_number
    return values


def clean_acpe_provider_number(raw: str, *, joint: bool, acpe: bool) -> str:
    """The ACPE provider number as stored: "" or 4 digits or JA + 7 digits (JA only when jointly
    accredited); CreditError with the reason otherwise."""
    number = (raw or "").strip().upper()
    if not number:
        return ""
    if not ACPE_NUMBER.fullmatch(number):
        raise CreditError(
            _(
                "An ACPE provider number is four digits (e.g. 0197), or JA and seven digits for a jointly "
                "accredited provider (e.g. JA0000123)."
            ),
            "acpe_provider_number",
        )
    if number.startswith("JA") and not joint:
        raise CreditError(
            _(
                "An ACPE provider number starting with JA belongs to a jointly accredited provider: tick "
                "Joint Accreditation, or enter the four-digit number ACPE gave you."
            ),
            "acpe_provider_number",
        )
    if not (joint or acpe):
        raise CreditError(
            _(
                "An ACPE provider number needs ACPE accreditation or Joint Accreditation: tick it, or leave "
                "the number empty."
            ),
            "acpe_provider_number",
        )
    return number


def live_activities(provider: Provider) -> list[Activity]:
    """Published activities of the provider that learners can still start (the current version has
    not expired): what an accreditation change must keep right."""
    today = timezone.localdate()
    return list(
        Activity.objects.filter(
            provider=provider,
            status=Activity.Status.PUBLISHED,
            current_version__isnull=False,
            current_version__expiry_date__gte=today,
        )
        .select_related("episode", "current_version")
        .order_by("title", "pk")
    )


def _activity_names(activities: list[Activity]) -> str:
    return "; ".join(f"“{a.title}” (#{a.pk})" for a in activities)


@dataclass(frozen=True)
class AccreditationResult:
    provider: Provider
    refreshed: list[Activity]  # published activities whose version was refreshed or renewed
    locked: list[Activity]  # published activities the show's hosts no longer let the provider change


@transaction.atomic
def accreditations_save(
    *,
    provider: Provider,
    actor: User,
    joint_accreditation: bool,
    ancc_accredited: bool,
    acpe_accredited: bool,
    aapa_authorized: bool,
    acpe_provider_number: str,
) -> AccreditationResult:
    """Declare the accreditations the provider holds (coordinator page). Refused (CreditError,
    nothing written) for a malformed ACPE number, or when a live published activity offers a credit
    type the change would make wrong (listed in the message)."""
    number = clean_acpe_provider_number(acpe_provider_number, joint=joint_accreditation, acpe=acpe_accredited)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    old = accreditation_snapshot(provider)
    old_kinds = set(credit_types.provider_kinds(provider))
    provider.joint_accreditation = bool(joint_accreditation)
    provider.ancc_accredited = bool(ancc_accredited)
    provider.acpe_accredited = bool(acpe_accredited)
    provider.aapa_authorized = bool(aapa_authorized)
    provider.acpe_provider_number = number
    new = accreditation_snapshot(provider)
    if new == old:
        return AccreditationResult(provider=provider, refreshed=[], locked=[])
    removed = old_kinds - set(credit_types.provider_kinds(provider))
    live = live_activities(provider)
    offers: dict[int, list[ActivityCredit]] = {}
    for row in ActivityCredit.objects.filter(activity__in=live).order_by("kind"):
        offers.setdefault(row.activity_id, []).append(row)
    for kind in sorted(removed):
        using = [a for a in live if any(row.kind == kind for row in offers.get(a.pk, []))]
        if using:
            raise CreditError(
                _(
                    "%(type)s would need %(accreditation)s, and published activities still offer it: "
                    "%(activities)s. Remove the credit type from them first (or withdraw them), then change "
                    "the accreditations."
                )
                % {
                    "type": credit_types.kind_label(kind),
                    "accreditation": credit_types.accreditation_needed(kind),
                    "activities": _activity_names(using),
                },
                "accreditation_in_use",
            )
    # The UANs of published ACPE offers start with the provider number: they must still match.
    bad_uan = [
        a
        for a in live
        for row in offers.get(a.pk, [])
        if row.kind == CreditKind.ACPE and credit_types.uan_problem(row.uan, provider)
    ]
    if bad_uan:
        raise CreditError(
            _(
                "The UANs of these published activities would no longer match the ACPE provider number "
                "%(number)s: %(activities)s. Correct their UANs first."
            )
            % {"number": number or "—", "activities": _activity_names(bad_uan)},
            "acpe_provider_number",
        )
    provider.save(
        update_fields=[*ACCREDITATION_FLAGS, "acpe_provider_number"],
    )
    audit_record(
        actor=actor,
        action=CreditAction.PROVIDER_ACCREDITATIONS_CHANGED,
        obj=provider,
        data={"old": old, "new": new},
    )
    refreshed: list[Activity] = []
    locked: list[Activity] = []
    for activity in live:
        if not grants.activity_is_changeable(activity):
            locked.append(activity)  # the hosts froze it: it stays as learners were shown it
            continue
        before = activity.current_version.content if activity.current_version else None
        try:
            version = versions.activity_changed(
                activity=activity, actor=actor, what="provider accreditations"
            )
        except ValidationError as error:
            raise CreditError(
                _("“%(title)s” (#%(pk)s) would no longer pass the publishing checks: %(problems)s")
                % {"title": activity.title, "pk": activity.pk, "problems": " ".join(error.messages)},
                "activity_invalid",
            ) from None
        if version is not None and version.content != before:
            refreshed.append(activity)
    return AccreditationResult(provider=provider, refreshed=refreshed, locked=locked)


# --- Credit types of one activity -------------------------------------------------------------------


def offer_snapshot(activity: Activity) -> list[dict[str, str]]:
    """The activity's further credit types as the audit row records them."""
    return [
        {"kind": r.kind, "amount": str(r.amount), "uan": r.uan, "acpe_activity_type": r.acpe_activity_type}
        for r in ActivityCredit.objects.filter(activity=activity).order_by("kind")
    ]


@dataclass(frozen=True)
class Offer:
    kind: str
    amount: Decimal
    uan: str
    acpe_activity_type: str


def clean_offer(
    *, activity: Activity, kind: str, amount: object, uan: str = "", acpe_activity_type: str = ""
) -> Offer:
    """One credit type as it would be stored, or CreditError with the reason (nothing written)."""
    kind = (kind or "").strip()
    if kind not in CreditKind.values:
        raise CreditError(
            _("Choose a credit type: ANCC, ACPE, AAPA or IPCE (AMA credit is set on the activity itself)."),
            "credit_type",
        )
    provider = activity.provider
    if kind not in credit_types.provider_kinds(provider):
        raise CreditError(
            _(
                "%(type)s needs %(accreditation)s, which %(provider)s has not declared: tick it on the "
                "provider's accreditations page first."
            )
            % {
                "type": credit_types.kind_label(kind),
                "accreditation": credit_types.accreditation_needed(kind),
                "provider": provider.name,
            },
            "accreditation",
        )
    value = credit_types.parse_amount(amount)
    uan = (uan or "").strip().upper()
    acpe_activity_type = (acpe_activity_type or "").strip()
    if kind != CreditKind.ACPE:
        if uan or acpe_activity_type:
            raise CreditError(
                _(
                    "A UAN and an ACPE activity type belong to ACPE credit only: leave them empty for "
                    "%(type)s."
                )
                % {"type": credit_types.kind_label(kind)},
                "uan",
            )
        return Offer(kind=kind, amount=value, uan="", acpe_activity_type="")
    if not uan:
        raise CreditError(
            _(
                "ACPE credit needs the activity's Universal Activity Number (UAN), e.g. "
                "0197-0000-26-001-H01-P."
            ),
            "uan",
        )
    problem = credit_types.uan_problem(uan, provider)
    if problem:
        raise CreditError(problem, "uan")
    used = (
        ActivityCredit.objects.filter(activity__provider=provider, kind=CreditKind.ACPE, uan=uan)
        .exclude(activity=activity)
        .select_related("activity")
        .first()
    )
    if used is not None:
        raise CreditError(
            _("The UAN %(uan)s is already used by “%(title)s”: each activity has its own.")
            % {"uan": uan, "title": used.activity.title},
            "uan",
        )
    if acpe_activity_type not in AcpeActivityType.values:
        raise CreditError(
            _("Choose the ACPE activity type: knowledge-based or application-based."), "acpe_activity_type"
        )
    return Offer(kind=kind, amount=value, uan=uan, acpe_activity_type=acpe_activity_type)


def _changed(*, activity: Activity, actor: User, old: list[dict[str, str]]) -> None:
    """Audit the change and refresh a published activity's version (inside the caller's transaction)."""
    new = offer_snapshot(activity)
    if new == old:
        return
    audit_record(
        actor=actor,
        action=CreditAction.ACTIVITY_CREDIT_TYPES_CHANGED,
        obj=activity,
        data={"old": old, "new": new},
    )
    versions.activity_changed(activity=activity, actor=actor, what="credit types")


@transaction.atomic
def credit_type_add(
    *, activity: Activity, actor: User, kind: str, amount: object, uan: str = "", acpe_activity_type: str = ""
) -> ActivityCredit:
    """Offer one more credit type. CreditError for a bad input or a type already offered; a
    ValidationError from the publishing checks rolls everything back."""
    activity = Activity.objects.select_for_update().select_related("provider").get(pk=activity.pk)
    offer = clean_offer(
        activity=activity, kind=kind, amount=amount, uan=uan, acpe_activity_type=acpe_activity_type
    )
    if ActivityCredit.objects.filter(activity=activity, kind=offer.kind).exists():
        raise CreditError(
            _("This activity already offers %(type)s: change its amount in its row instead.")
            % {"type": credit_types.kind_label(offer.kind)},
            "duplicate",
        )
    old = offer_snapshot(activity)
    row = ActivityCredit.objects.create(
        activity=activity,
        kind=offer.kind,
        amount=offer.amount,
        uan=offer.uan,
        acpe_activity_type=offer.acpe_activity_type,
    )
    _changed(activity=activity, actor=actor, old=old)
    return row


@transaction.atomic
def credit_type_change(
    *, activity: Activity, actor: User, kind: str, amount: object, uan: str = "", acpe_activity_type: str = ""
) -> ActivityCredit:
    """Change the amount (and for ACPE the UAN and activity type) of a type the activity offers."""
    activity = Activity.objects.select_for_update().select_related("provider").get(pk=activity.pk)
    row = ActivityCredit.objects.filter(activity=activity, kind=kind).first()
    if row is None:
        raise CreditError(
            _("This activity does not offer %(type)s.") % {"type": credit_types.kind_label(kind)}, "missing"
        )
    offer = clean_offer(
        activity=activity, kind=kind, amount=amount, uan=uan, acpe_activity_type=acpe_activity_type
    )
    old = offer_snapshot(activity)
    row.amount, row.uan, row.acpe_activity_type = offer.amount, offer.uan, offer.acpe_activity_type
    row.save(update_fields=["amount", "uan", "acpe_activity_type"])
    _changed(activity=activity, actor=actor, old=old)
    return row


@transaction.atomic
def credit_type_remove(*, activity: Activity, actor: User, kind: str) -> None:
    """Stop offering a type. Learners who started an earlier version keep it (their version's offer)."""
    activity = Activity.objects.select_for_update().select_related("provider").get(pk=activity.pk)
    row = ActivityCredit.objects.filter(activity=activity, kind=kind).first()
    if row is None:
        raise CreditError(
            _("This activity does not offer %(type)s.") % {"type": credit_types.kind_label(kind)}, "missing"
        )
    old = offer_snapshot(activity)
    row.delete()
    _changed(activity=activity, actor=actor, old=old)
