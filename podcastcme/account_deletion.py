"""Deleting an account: login and contact data go at once; CME records stay for the retention period.

Deletion spans every app, so it is run from here: ``account_delete`` locks the learner's row first
(the one lock order, ``accounts.locks``), then asks each app to forget what it holds, lowest app
first, in one transaction:

* ``accounts.deletion.account_forget_login``: the login and contact data (addresses, waiting mail,
  second factors, password); the user row stays, deactivated, for the records that point at it;
* ``episodes.personal_feeds.personal_feeds_forget_user``: personal feeds are revoked;
* ``credits.retention.credits_forget_user``: listening progress and self-reported credits go (with
  their files); attempts, evaluations, claims, completion records and certificates stay, and
  certificates stay verifiable by their code;
* ``followups.retention.follow_ups_forget_user``: follow-up consent is withdrawn and open follow-ups
  are cancelled (answers given stay, as outcome records);
* ``institutions.retention.institutions_forget_user``: current memberships end (the seat is free;
  the row stays as history) and institution admin rights go;
* ``api.tokens.tokens_revoke_for_user``: API tokens are revoked (they stay listed, as revoked);
* ``accounts.deletion.profile_forget``: the profile keeps only the legal name and degree that
  certificates print; board-sharing consent is withdrawn.

After the retention period (``PODCASTCME_RECORD_RETENTION_YEARS`` after the learner's last
completion) ``manage.py purge_expired_records --execute`` anonymises what is left: see
``anonymise_expired_account``.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.deletion import (
    ANONYMOUS_NAME,
    DELETED_DOMAIN,
    account_forget_login,
    is_deleted,
    profile_anonymise,
    profile_forget,
)
from accounts.locks import lock_learner
from accounts.models import User
from api.tokens import tokens_revoke_for_user
from audit.models import AuditEvent
from audit.services import audit_record
from credits.calendar_years import add_years
from credits.retention import (
    certificates_anonymise,
    credits_forget_user,
    learner_last_record_dates,
    learner_record_counts,
)
from episodes.personal_feeds import personal_feeds_forget_user
from followups.retention import follow_ups_forget_user
from institutions.retention import institutions_forget_user

from .audit_actions import AccountDeletionAction


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Remove ``user``'s login and contact data; keep their CME records. The caller checked the password."""
    user = lock_learner(user.pk)  # the first lock, as on every path (docs/architecture-locks.md)
    if is_deleted(user):
        return  # a repeated request: nothing more to remove
    now = timezone.now()
    account_forget_login(user=user)
    revoked = personal_feeds_forget_user(user=user, at=now)
    external = credits_forget_user(user=user)
    follow_ups = follow_ups_forget_user(user=user, at=now)
    institutions = institutions_forget_user(user=user)
    tokens = tokens_revoke_for_user(user=user, at=now)
    profile_forget(user=user)
    # Nothing personal in the audit row: the old address would be contact data kept after deletion.
    audit_record(
        actor=None,
        action=AccountDeletionAction.ACCOUNT_DELETED,
        obj=user,
        data={
            "personal_feeds_revoked": revoked,
            "self_reported_deleted": external,
            "follow_ups_cancelled": follow_ups,
            **institutions,
            "api_tokens_revoked": tokens,
        },
    )


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


def deleted_accounts(*, user_ids: list[int] | None = None) -> list[DeletedAccount]:
    """Deleted accounts (all, or those in ``user_ids``) with the date until which their records stay."""
    years = settings.PODCASTCME_RECORD_RETENTION_YEARS
    events = AuditEvent.objects.filter(
        action=AccountDeletionAction.ACCOUNT_DELETED, object_type=User._meta.label_lower
    )
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
            action=AccountDeletionAction.ACCOUNT_RECORDS_ANONYMISED, object_type=User._meta.label_lower
        ).values_list("object_id", flat=True)
    )
    last = learner_last_record_dates(list(users))
    counts = learner_record_counts(list(users))
    result = []
    for pk in sorted(users):
        last_at = last.get(pk)
        result.append(
            DeletedAccount(
                user_id=pk,
                deleted_at=deletions[str(pk)],
                last_activity_at=last_at,
                records=counts.get(pk, 0),
                keep_until=add_years(last_at, years) if last_at else None,
                anonymised=str(pk) in anonymised,
            )
        )
    return result


@transaction.atomic
def anonymise_expired_account(*, user_id: int) -> dict[str, int]:
    """Anonymise a deleted account whose records are all past the retention period.

    Rows are kept (providers' counts and pass rates stay right); what identifies the person goes:
    the legal name and degree on the profile, the name printed on certificates and their earlier
    revisions (replaced by a placeholder) and the stored certificate PDFs. Nothing is done inside
    the retention period, and nothing to an account that was not deleted.
    """
    user = lock_learner(user_id)
    info = next(iter(deleted_accounts(user_ids=[user_id])), None)
    if info is None or not is_deleted(user) or not info.expired:
        raise ValueError(f"Account {user_id} is not a deleted account past its retention period.")
    profile_anonymise(user=user)
    summary = certificates_anonymise(user=user, name=ANONYMOUS_NAME)
    audit_record(actor=None, action=AccountDeletionAction.ACCOUNT_RECORDS_ANONYMISED, obj=user, data=summary)
    return summary
