"""What the accounts app forgets when an account is deleted, and what it anonymises after retention.

``podcastcme.account_deletion`` runs a deletion: it locks the learner's row, then calls each app's
own part (this module, ``episodes.personal_feeds``, ``credits.retention``) in the lock order.

The accounts part:

* The user row stays (claims, completions, attempts, evaluations and certificates point at it and
  are PROTECTed) but can no longer log in: deactivated, password unusable, email replaced by
  ``deleted-<id>@deleted.invalid``; allauth's EmailAddress rows and MFA authenticators are deleted,
  so the old address is free to sign up again, and so is mail still waiting to be sent to it.
  Every session ends: the password change invalidates their session hash and an inactive user is
  never authenticated.
* The learner profile keeps only what the records need: the legal name (given, middle, family,
  suffix) and the degree. Certificates print them; a certificate still being prepared and the
  provider's answer to "did this person complete this activity?" need them during retention.
  Cleared: specialty, country, state, licence number, NPI, board IDs, birth month and day; board
  sharing consent is withdrawn (so no later board report includes the learner).
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount

from audit.services import audit_record

from .audit_actions import AccountAction
from .models import LearnerProfile, Licence, OutgoingEmail, User

DELETED_DOMAIN = "deleted.invalid"
ANONYMOUS_NAME = "Name removed after the retention period"

# Profile fields cleared at deletion: none of them is printed on a certificate or a claim.
CLEARED_PROFILE_FIELDS = (
    "specialty",
    "country",
    "state_province",
    "licence_number",
    "npi",
    "abim_id",
    "aba_id",
    "abp_id",
    "abfm_id",
    "abem_id",
    "other_board_name",
    "other_board_id",
)
NAME_FIELDS = ("given_name", "middle_name", "family_name", "suffix", "degree_other")


def deleted_email(user_id: int) -> str:
    return f"deleted-{user_id}@{DELETED_DOMAIN}"


def is_deleted(user: User) -> bool:
    return not user.is_active and user.email == deleted_email(user.pk)


def account_forget_login(*, user: User) -> None:
    """Login and contact data go: addresses, waiting mail, second factors, single sign-on links,
    password, staff rights.

    The caller holds the learner's row lock (``accounts.locks.lock_learner``) in its transaction.
    """
    EmailAddress.objects.filter(user=user).delete()
    OutgoingEmail.objects.filter(to=[user.email]).delete()  # mail still waiting for the address
    Authenticator.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()  # links to an institution's IdP (and their tokens)
    user.email = deleted_email(user.pk)
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


def profile_forget(*, user: User) -> None:
    """Clear what the records do not need from the profile and withdraw board-sharing consent.

    The learner's licences go too: planning data with licence numbers, which no record needs."""
    Licence.objects.filter(learner=user).delete()
    profile = LearnerProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        return
    had_consent = profile.board_sharing_consent
    for name in CLEARED_PROFILE_FIELDS:
        setattr(profile, name, "")
    profile.birth_month = profile.birth_day = None
    profile.board_sharing_consent = False
    profile.board_sharing_consent_at = None
    profile.save()
    if had_consent:
        audit_record(
            actor=None,
            action=AccountAction.PROFILE_CONSENT_WITHDRAWN,
            obj=profile,
            data={"reason": "deleted"},
        )


def profile_anonymise(*, user: User) -> None:
    """After retention: the legal name and degree left on the profile go too."""
    LearnerProfile.objects.filter(user=user).update(degree="", **{name: "" for name in NAME_FIELDS})
