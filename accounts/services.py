"""Writes to accounts: the learner profile (with consent bookkeeping)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record

from .audit_actions import AccountAction
from .models import LearnerProfile, User


def profile_get_or_create(*, user: User) -> LearnerProfile:
    profile, _created = LearnerProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(*, user: User, data: dict[str, Any], time_zone: str | None = None) -> LearnerProfile:
    """Save the profile fields in ``data``; consent changes are timestamped and audited."""
    profile = LearnerProfile.objects.select_for_update().get_or_create(user=user)[0]
    had_consent = profile.board_sharing_consent
    for field, value in data.items():
        setattr(profile, field, value)
    if profile.board_sharing_consent and not had_consent:
        profile.board_sharing_consent_at = timezone.now()
    elif not profile.board_sharing_consent:
        profile.board_sharing_consent_at = None
    profile.full_clean()
    profile.save()
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
