"""Writes for self-reported credits: the learner's own notes of credit earned elsewhere, with audit rows."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record

from .audit_actions import CreditAction
from .errors import ExternalCreditError
from .forms_transcript import sniff_certificate
from .models import ExternalCredit, MandateTopic

CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def _attach(credit: ExternalCredit, upload: UploadedFile) -> None:
    """Store the file under a name whose extension says what its bytes are, not what it was called."""
    kind = getattr(upload, "certificate_kind", None) or sniff_certificate(upload)
    if kind is None:
        raise ExternalCreditError(_("The file is not a PDF, JPEG or PNG."), code="file_type")
    credit.certificate_file.save(f"certificate.{kind}", upload, save=False)


def _forget_file_on_commit(name: str) -> None:
    """Remove a replaced or deleted file once the change is committed (a rollback keeps it)."""
    if not name:
        return
    storage = ExternalCredit._meta.get_field("certificate_file").storage
    transaction.on_commit(lambda: storage.delete(name))


def _fields(credit: ExternalCredit) -> dict[str, Any]:
    return {
        "title": credit.title,
        "provider_name": credit.provider_name,
        "completed_on": credit.completed_on.isoformat(),
        "credits": str(credit.credits),
        "credit_type": credit.credit_type,
        "file": bool(credit.certificate_file),
    }


def _apply(credit: ExternalCredit, data: dict[str, Any]) -> None:
    for name in ("title", "provider_name", "completed_on", "credit_type"):
        setattr(credit, name, data[name])
    credit.credits = Decimal(data["credits"])


def external_credit_create(
    *,
    learner: User,
    data: dict[str, Any],
    topics: Iterable[MandateTopic] = (),
    certificate_file: UploadedFile | None = None,
) -> ExternalCredit:
    credit = ExternalCredit(learner=learner)
    _apply(credit, data)
    credit.full_clean(exclude=["certificate_file"])
    if certificate_file:
        # Stored before the transaction opens: in a bucket this is a network call.
        _attach(credit, certificate_file)
    try:
        with transaction.atomic():
            credit.save()
            credit.mandate_topics.set(list(topics))
            audit_record(
                actor=learner, action=CreditAction.EXTERNAL_CREDIT_CREATED, obj=credit, data=_fields(credit)
            )
    except BaseException:
        _delete_now(credit.certificate_file.name)  # nothing written means no file left behind either
        raise
    return credit


def _delete_now(name: str) -> None:
    if name:
        ExternalCredit._meta.get_field("certificate_file").storage.delete(name)


def external_credit_update(
    *,
    credit: ExternalCredit,
    learner: User,
    data: dict[str, Any],
    topics: Iterable[MandateTopic] = (),
    certificate_file: UploadedFile | None = None,
    clear_file: bool = False,
) -> ExternalCredit:
    if credit.learner_id != learner.pk:
        raise ExternalCreditError(_("This self-reported credit does not exist."), code="not_found")
    before = _fields(credit)
    _apply(credit, data)
    credit.full_clean(exclude=["certificate_file"])
    old_name = credit.certificate_file.name
    new_name = ""
    if certificate_file:
        _attach(credit, certificate_file)  # before the transaction opens: a bucket is network calls
        new_name = credit.certificate_file.name
    elif clear_file:
        credit.certificate_file = ""
    try:
        with transaction.atomic():
            credit.save()
            credit.mandate_topics.set(list(topics))
            audit_record(
                actor=learner,
                action=CreditAction.EXTERNAL_CREDIT_UPDATED,
                obj=credit,
                data={"before": before, "after": _fields(credit)},
            )
            if old_name and old_name != credit.certificate_file.name:
                _forget_file_on_commit(old_name)
    except BaseException:
        _delete_now(new_name)
        raise
    return credit


@transaction.atomic
def external_credit_delete(*, credit: ExternalCredit, learner: User) -> None:
    """The learner's own note, not a provider record: it may go; the audit row says it did."""
    if credit.learner_id != learner.pk:
        raise ExternalCreditError(_("This self-reported credit does not exist."), code="not_found")
    audit_record(actor=learner, action=CreditAction.EXTERNAL_CREDIT_DELETED, obj=credit, data=_fields(credit))
    _forget_file_on_commit(credit.certificate_file.name)
    credit.delete()
