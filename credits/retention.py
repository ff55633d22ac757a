"""What credits forgets when an account is deleted, what it keeps (the records) and how long.

``podcastcme.account_deletion`` calls these in the lock order, the learner's row already locked.
At deletion, listening progress and self-reported credits (the learner's own notes and files, not
a provider's records) go; attempts, evaluations, claims, completion records and certificates stay,
and certificates stay verifiable by their code. After the retention period the names printed on
certificates (and their earlier revisions) are replaced by a placeholder and the PDFs deleted.
"""

import datetime

from django.db import transaction
from django.db.models import Count, Max

from accounts.models import User

from .models import (
    Attempt,
    Certificate,
    CertificateRevision,
    CreditClaim,
    Evaluation,
    ExternalCredit,
    ListeningProgress,
)


def credits_forget_user(*, user: User) -> int:
    """Delete the learner's listening progress and self-reported credits (files after the commit).

    Returns how many self-reported credits were deleted. A claim keeps its own copy of the
    listening evidence, so nothing a record needs goes.
    """
    ListeningProgress.objects.filter(user=user).delete()
    files = [
        c.certificate_file.name for c in ExternalCredit.objects.filter(learner=user) if c.certificate_file
    ]
    external = ExternalCredit.objects.filter(learner=user).delete()[1].get("credits.ExternalCredit", 0)
    storage = ExternalCredit._meta.get_field("certificate_file").storage

    def delete_files() -> None:
        for name in files:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return external


def learner_record_counts(user_ids: list[int]) -> dict[int, int]:
    """Per learner, how many claims, attempts and evaluations they have (the records kept)."""
    counts: dict[int, int] = {}
    for model in (CreditClaim, Attempt, Evaluation):
        for pk, n in (
            model.objects.filter(learner_id__in=user_ids).values_list("learner_id").annotate(n=Count("pk"))
        ):
            counts[pk] = counts.get(pk, 0) + n
    return counts


def learner_last_record_dates(user_ids: list[int]) -> dict[int, datetime.datetime]:
    """Per learner, the latest of their participation (attempt, evaluation, claim) and of the end
    (expiry) of the activities they took part in: retention counts from the later, to be safe."""
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


def certificates_anonymise(*, user: User, name: str) -> dict[str, int]:
    """Print ``name`` instead of the learner's on their certificates and earlier revisions, and
    delete the stored PDFs after the commit. Rows stay (providers' counts do not change)."""
    certificates = list(Certificate.objects.filter(claim__learner=user))
    files = []
    for certificate in certificates:
        if certificate.pdf:
            files.append((certificate.pdf.storage, certificate.pdf.name))
    Certificate.objects.filter(pk__in=[c.pk for c in certificates]).update(learner_name=name, pdf="")
    revisions = 0
    for revision in CertificateRevision.objects.filter(certificate__in=certificates):
        fields = dict(revision.fields or {})
        if "learner_name" in fields:
            fields["learner_name"] = name
        if revision.pdf:
            files.append((revision.pdf.storage, revision.pdf.name))
        CertificateRevision.objects.filter(pk=revision.pk).update(fields=fields, pdf="")
        revisions += 1
    transaction.on_commit(lambda: [storage.delete(path) for storage, path in files])
    return {"certificates": len(certificates), "revisions": revisions, "files": len(files)}
