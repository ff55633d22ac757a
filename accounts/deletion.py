"""Deleting an account: login and contact data go at once; CME records stay for the retention period.

What ``account_delete`` does:

* The user row stays (claims, completions, attempts, evaluations and certificates point at it and
  are PROTECTed) but can no longer log in: deactivated, password unusable, email replaced by
  ``deleted-<id>@deleted.invalid``; allauth's EmailAddress rows and MFA authenticators are deleted,
  so the old address is free to sign up again, and so is mail still waiting to be sent to it.
  Every session ends: the password change invalidates their session hash and an inactive user is
  never authenticated.
* Personal feeds are revoked, listening progress is deleted (a claim keeps its own copy of the
  listening evidence), and self-reported credits are deleted with their files (the learner's own
  notes, not a provider's records).
* The learner profile keeps only what the records need: the legal name (given, middle, family,
  suffix) and the degree. Certificates print them; a certificate still being prepared and the
  provider's answer to "did this person complete this activity?" need them during retention.
  Cleared: specialty, country, state, licence number, NPI, board IDs, birth month and day; board
  sharing consent is withdrawn (so no later board report includes the learner).
* Certificates are untouched and stay verifiable by their code.

After the retention period (``PODCASTCME_RECORD_RETENTION_YEARS`` after the learner's last
completion) ``manage.py purge_expired_records --execute`` anonymises what is left: see
``anonymise_expired_account``.
"""

import datetime
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record

from .models import LearnerProfile, OutgoingEmail, User

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


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Remove ``user``'s login and contact data; keep their CME records. The caller checked the password."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if is_deleted(user):
        return  # a repeated request: nothing more to remove
    now = timezone.now()
    EmailAddress.objects.filter(user=user).delete()
    OutgoingEmail.objects.filter(to=[user.email]).delete()  # mail still waiting for the address
    Authenticator.objects.filter(user=user).delete()
    user.email = deleted_email(user.pk)
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()

    revoked = _revoke_personal_feeds(user, now)
    from credits.models import ExternalCredit, ListeningProgress

    ListeningProgress.objects.filter(user=user).delete()
    files = [
        c.certificate_file.name for c in ExternalCredit.objects.filter(learner=user) if c.certificate_file
    ]
    external = ExternalCredit.objects.filter(learner=user).delete()[1].get("credits.ExternalCredit", 0)
    storage = ExternalCredit._meta.get_field("certificate_file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])

    profile = LearnerProfile.objects.select_for_update().filter(user=user).first()
    if profile is not None:
        had_consent = profile.board_sharing_consent
        for name in CLEARED_PROFILE_FIELDS:
            setattr(profile, name, "")
        profile.birth_month = profile.birth_day = None
        profile.board_sharing_consent = False
        profile.board_sharing_consent_at = None
        profile.save()
        if had_consent:
            audit_record(
                actor=None, action="profile.consent_withdrawn", obj=profile, data={"reason": "deleted"}
            )
    # Nothing personal in the audit row: the old address would be contact data kept after deletion.
    audit_record(
        actor=None,
        action="account.deleted",
        obj=user,
        data={"personal_feeds_revoked": revoked, "self_reported_deleted": external},
    )


def _revoke_personal_feeds(user: User, now: datetime.datetime) -> int:
    try:
        from episodes.models import PersonalFeed
    except ImportError:  # personal feeds are another feature; without them there is nothing to revoke
        return 0
    return PersonalFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)


# --- After the retention period -------------------------------------------------------------------


@dataclass(frozen=True)
class DeletedAccount:
    user_id: int
    deleted_at: datetime.datetime
    last_activity_at: datetime.datetime | None
    records: int
    keep_until: datetime.datetime | None
    anonymised: bool

    @property
    def expired(self) -> bool:
        return not self.anonymised and (self.keep_until is None or self.keep_until <= timezone.now())


def _add_years(moment: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def deleted_accounts(*, user_ids: list[int] | None = None) -> list[DeletedAccount]:
    """Deleted accounts (all, or those in ``user_ids``) with the date until which their records stay."""
    from credits.models import Attempt, CreditClaim, Evaluation

    years = settings.PODCASTCME_RECORD_RETENTION_YEARS
    events = AuditEvent.objects.filter(action="account.deleted", object_type=User._meta.label_lower)
    if user_ids is not None:
        events = events.filter(object_id__in=[str(pk) for pk in user_ids])
    deletions = dict(
        events.values_list("object_id").annotate(at=Max("created_at")).values_list("object_id", "at")
    )
    ids = [int(pk) for pk in deletions if pk.isdigit()]
    users = {
        u.pk: u
        for u in User.objects.filter(pk__in=ids, is_active=False, email__endswith="@" + DELETED_DOMAIN)
    }
    anonymised = set(
        AuditEvent.objects.filter(
            action="account.records_anonymised", object_type=User._meta.label_lower
        ).values_list("object_id", flat=True)
    )
    last = _last_record_dates(list(users))
    counts: dict[int, int] = {}
    for model in (CreditClaim, Attempt, Evaluation):
        for pk, n in (
            model.objects.filter(learner_id__in=users).values_list("learner_id").annotate(n=Count("pk"))
        ):
            counts[pk] = counts.get(pk, 0) + n
    result = []
    for pk in sorted(users):
        last_at = last.get(pk)
        result.append(
            DeletedAccount(
                user_id=pk,
                deleted_at=deletions[str(pk)],
                last_activity_at=last_at,
                records=counts.get(pk, 0),
                keep_until=_add_years(last_at, years) if last_at else None,
                anonymised=str(pk) in anonymised,
            )
        )
    return result


def _last_record_dates(user_ids: list[int]) -> dict[int, datetime.datetime]:
    """Per learner, the latest of their participation (attempt, evaluation, claim) and of the end
    (expiry) of the activities they took part in: retention counts from the later, to be safe."""
    from credits.models import Attempt, CreditClaim, Evaluation

    last: dict[int, datetime.datetime] = {}

    def later(pk: int, moment: datetime.datetime | None) -> None:
        if moment is not None and (pk not in last or moment > last[pk]):
            last[pk] = moment

    for model, moment in ((CreditClaim, "claimed_at"), (Attempt, "started_at"), (Evaluation, "submitted_at")):
        rows = (
            model.objects.filter(learner_id__in=user_ids)
            .values_list("learner_id")
            .annotate(at=Max(moment), expiry=Max("activity__expiry_date"))
        )
        for pk, at, expiry in rows:
            later(pk, at)
            if expiry is not None:
                later(pk, datetime.datetime.combine(expiry, datetime.time.max, datetime.UTC))
    return last


@transaction.atomic
def anonymise_expired_account(*, user_id: int) -> dict[str, int]:
    """Anonymise a deleted account whose records are all past the retention period.

    Rows are kept (providers' counts and pass rates stay right); what identifies the person goes:
    the legal name and degree on the profile, the name printed on certificates and their earlier
    revisions (replaced by a placeholder) and the stored certificate PDFs. Nothing is done inside
    the retention period, and nothing to an account that was not deleted.
    """
    from credits.models import Certificate, CertificateRevision

    user = User.objects.select_for_update().get(pk=user_id)
    info = next(iter(deleted_accounts(user_ids=[user_id])), None)
    if info is None or not is_deleted(user) or not info.expired:
        raise ValueError(f"Account {user_id} is not a deleted account past its retention period.")
    LearnerProfile.objects.filter(user=user).update(degree="", **{name: "" for name in NAME_FIELDS})
    certificates = list(Certificate.objects.filter(claim__learner=user))
    files = []
    for certificate in certificates:
        if certificate.pdf:
            files.append((certificate.pdf.storage, certificate.pdf.name))
    Certificate.objects.filter(pk__in=[c.pk for c in certificates]).update(
        learner_name=ANONYMOUS_NAME, pdf=""
    )
    revisions = 0
    for revision in CertificateRevision.objects.filter(certificate__in=certificates):
        fields = dict(revision.fields or {})
        if "learner_name" in fields:
            fields["learner_name"] = ANONYMOUS_NAME
        if revision.pdf:
            files.append((revision.pdf.storage, revision.pdf.name))
        CertificateRevision.objects.filter(pk=revision.pk).update(fields=fields, pdf="")
        revisions += 1
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
    summary = {"certificates": len(certificates), "revisions": revisions, "files": len(files)}
    audit_record(actor=None, action="account.records_anonymised", obj=user, data=summary)
    return summary
