"""Writes to accounts: the learner profile (with consent and degree-equivalence bookkeeping)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record

from .audit_actions import AccountAction
from .models import NPI_TAKEN_MESSAGE, LearnerProfile, User, degree_needs_equivalence


def profile_get_or_create(*, user: User) -> LearnerProfile:
    profile, _created = LearnerProfile.objects.get_or_create(user=user)
    return profile


# What a certificate prints about the learner: a change to any of them is audited (old and new).
PRINTED_FIELDS = ("given_name", "middle_name", "family_name", "suffix", "degree", "degree_other")


@transaction.atomic
def profile_update(
    *,
    user: User,
    data: dict[str, Any],
    time_zone: str | None = None,
    degree_equivalence_attested: bool = False,
) -> LearnerProfile:
    """Save the profile fields in ``data``; consent changes are timestamped and audited.

    ``degree_equivalence_attested``: the learner ticked "my degree is a primary medical degree
    equivalent to an MD or DO". It counts only for an international medical degree, is timestamped
    and audited once per degree, and is cleared (audited) when the degree changes; without it an
    international degree earns no claim until attested (``profile_is_complete_for_credit``).

    An NPI already on another account raises ValidationError on ``npi``, also when the other
    account saved it a moment ago (the database constraint, not a 500).
    """
    profile = LearnerProfile.objects.select_for_update().get_or_create(user=user)[0]
    had_consent = profile.board_sharing_consent
    old_degree = (profile.degree, profile.degree_other, profile.degree_equivalence_attested_at)
    old_printed = {f: getattr(profile, f) for f in PRINTED_FIELDS}
    for field, value in data.items():
        setattr(profile, field, value)
    if profile.board_sharing_consent and not had_consent:
        profile.board_sharing_consent_at = timezone.now()
    elif not profile.board_sharing_consent:
        profile.board_sharing_consent_at = None
    degree_event = _degree_equivalence(profile, old_degree, attested=degree_equivalence_attested)
    profile.full_clean()
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError:
        # Another account saved this NPI after full_clean looked (two saves at once).
        if profile.npi and LearnerProfile.objects.filter(npi=profile.npi).exclude(pk=profile.pk).exists():
            raise ValidationError({"npi": [NPI_TAKEN_MESSAGE]}, code="unique") from None
        raise
    changed = [f for f in PRINTED_FIELDS if getattr(profile, f) != old_printed[f]]
    if changed:
        audit_record(
            actor=user,
            action=AccountAction.PROFILE_CERTIFICATE_FIELDS_CHANGED,
            obj=profile,
            data={
                "old": {f: old_printed[f] for f in changed},
                "new": {f: getattr(profile, f) for f in changed},
            },
        )
    if degree_event is not None:
        audit_record(
            actor=user,
            action=degree_event,
            obj=profile,
            data={
                "old": {"degree": old_degree[0], "degree_other": old_degree[1]},
                "new": {"degree": profile.degree, "degree_other": profile.degree_other},
                "attested_at": profile.degree_equivalence_attested_at.isoformat()
                if profile.degree_equivalence_attested_at
                else None,
            },
        )
    if profile.board_sharing_consent != had_consent:
        audit_record(
            actor=user,
            action=AccountAction.PROFILE_CONSENT_GIVEN
            if profile.board_sharing_consent
            else AccountAction.PROFILE_CONSENT_WITHDRAWN,
            obj=profile,
        )
    if time_zone and time_zone != user.time_zone:
        user.time_zone = time_zone
        user.full_clean(exclude=["password"])
        user.save(update_fields=["time_zone"])
    return profile


def _degree_equivalence(profile: LearnerProfile, old: tuple[str, str, Any], *, attested: bool) -> str | None:
    """Set or clear the attestation for the profile's (new) degree; the audit action, if any."""
    old_degree, old_other, old_attested_at = old
    same_degree = (profile.degree, profile.degree_other) == (old_degree, old_other)
    if degree_needs_equivalence(profile.degree) and attested:
        if same_degree and old_attested_at is not None:
            return None  # attested for this very degree already
        profile.degree_equivalence_attested_at = timezone.now()
        return AccountAction.PROFILE_DEGREE_EQUIVALENCE_ATTESTED
    if same_degree and degree_needs_equivalence(profile.degree) and old_attested_at is not None:
        return None  # the form left the box unticked but the degree is the one attested: keep it
    profile.degree_equivalence_attested_at = None
    return AccountAction.PROFILE_DEGREE_EQUIVALENCE_CLEARED if old_attested_at is not None else None


def admin_password_set(*, actor: User, user: User) -> None:
    """Record that ``actor`` set ``user``'s password on the admin's "change password" form.

    The password itself is never recorded; the user's sessions end (Django changes the session
    hash) and the audit row says who did it and when."""
    audit_record(
        actor=actor,
        action=AccountAction.ACCOUNT_PASSWORD_SET_BY_ADMIN,
        obj=user,
        data={"usable_password": user.has_usable_password()},  # Django can also disable password login
    )


@transaction.atomic
def mfa_reset(*, actor: User, user: User) -> list[str]:
    """Remove all of ``user``'s two-factor devices (lost phone and recovery codes), audited.

    The user's next visit to a host, coordinator or admin page asks them to set up a new device
    (after their password again); sessions that passed the old device no longer count, because
    the MFA gate checks that the device a session used still exists.
    """
    from allauth.mfa.models import Authenticator

    devices = Authenticator.objects.select_for_update().filter(user=user)
    types = sorted({device.type for device in devices})
    devices.delete()
    audit_record(actor=actor, action=AccountAction.ACCOUNT_MFA_RESET, obj=user, data={"types": types})
    return types
