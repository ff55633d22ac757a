"""Certificates: issue with frozen fields, render once, re-issue, corrections, revocation; each audited."""

import datetime
import hashlib
import logging
import secrets
import uuid
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from accounts.mail import email_queue
from accounts.models import PHYSICIAN_DEGREES, LearnerProfile, User
from accounts.permissions import is_coordinator_of
from audit.services import audit_record

from .models import (
    CERTIFICATE_FORMAT,
    Certificate,
    CertificateRevision,
    CorrectionRequest,
    CreditClaim,
    CreditType,
)
from .services import CreditError
from .statements import accreditation_statement, designation_statement_text, format_credits

logger = logging.getLogger(__name__)

# --- Verification codes ---------------------------------------------------------------------------
# Crockford base32: no I, L, O, U, so a code read aloud or typed from paper is hard to get wrong.
# 26 random symbols carry 130 bits; two check symbols catch most typos before any database lookup.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 26
CHECK_SYMBOLS = 2
CODE_LENGTH = RANDOM_SYMBOLS + CHECK_SYMBOLS
_TYPO_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _check_symbols(body: str) -> str:
    digest = int.from_bytes(hashlib.sha256(body.encode()).digest()[:2], "big")
    return ALPHABET[(digest >> 5) % 32] + ALPHABET[digest % 32]


def code_generate() -> str:
    """A new verification code in canonical form (28 symbols, no dashes)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return body + _check_symbols(body)


def code_normalize(raw: str) -> str | None:
    """The canonical code for what someone typed (any case, dashes or spaces optional); None if malformed."""
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    text = raw.strip().upper().replace("-", "").replace(" ", "").translate(_TYPO_FIXES)
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    body, check = text[:RANDOM_SYMBOLS], text[RANDOM_SYMBOLS:]
    if not secrets.compare_digest(check, _check_symbols(body)):
        return None
    return text


def code_display(code: str) -> str:
    """Groups of four for people: 7K3M-9Q2D-..."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verification_url(certificate: Certificate) -> str:
    return settings.SITE_URL + reverse("credits:verify", args=[code_display(certificate.code)])


# --- Printed fields ------------------------------------------------------------------------------


def _provider_zone(certificate: Certificate) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(certificate.claim.activity.provider.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def issue_date(certificate: Certificate) -> datetime.date:
    """The issue date as printed: the day of issue in the provider's time zone."""
    return timezone.localtime(certificate.issued_at, _provider_zone(certificate)).date()


def printed_date(day: datetime.date) -> str:
    return date_format(day, "F j, Y")


def certificate_fields(certificate: Certificate) -> dict[str, Any]:
    """Every field printed on the certificate, as printed (the verification page and JSON show these)."""
    return {
        "certificate_number": certificate.number,
        "learner_name": certificate.learner_name,
        "degree": certificate.degree,
        "activity_title": certificate.activity_title,
        "format": certificate.format,
        "completion_date": certificate.completion_date.isoformat(),
        "credits": format_credits(certificate.credits),
        "credit_type": certificate.get_credit_type_display(),
        "provider": certificate.provider_name,
        "designation_statement": certificate.designation_statement,
        "accreditation_statement": certificate.accreditation_statement,
        "issue_date": issue_date(certificate).isoformat(),
        "revision": certificate.revision,
        "verification_url": verification_url(certificate),
    }


def _certificate(certificate_id: int, *, lock: bool = False) -> Certificate:
    queryset = Certificate.objects.select_related("claim__activity__provider", "claim__learner")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.get(pk=certificate_id)


def _next_number(prefix: str) -> str:
    last = (
        Certificate.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


def _enqueue_render(certificate_id: int) -> None:
    from .tasks import render_certificate

    transaction.on_commit(lambda: render_certificate.enqueue(certificate_id))


# --- Issue and render ----------------------------------------------------------------------------


def certificate_issue_for_claim(*, claim_id: int) -> Certificate:
    """Create the claim's certificate with every printed field frozen now; the PDF follows in a task.

    Idempotent: a claim has one certificate. Certificate numbers count per provider and year; two
    issues racing for the same number are retried (the number is unique in the database).
    """
    existing = Certificate.objects.filter(claim_id=claim_id).first()
    if existing is not None:
        return existing
    claim = CreditClaim.objects.select_related("activity__provider", "learner").get(pk=claim_id)
    activity, provider = claim.activity, claim.activity.provider
    profile = LearnerProfile.objects.filter(user_id=claim.learner_id).first()
    zone = zoneinfo.ZoneInfo(provider.time_zone)
    for attempt in range(5):
        now = timezone.now()
        prefix = f"{provider.slug.upper()}-{timezone.localtime(now, zone).year}-"
        try:
            with transaction.atomic():
                if Certificate.objects.filter(claim_id=claim_id).exists():
                    return Certificate.objects.get(claim_id=claim_id)
                certificate = Certificate.objects.create(
                    claim=claim,
                    code=code_generate(),
                    number=_next_number(prefix),
                    learner_name=profile.legal_name if profile else claim.learner.email,
                    degree=claim.degree,
                    activity_title=activity.title,
                    format=CERTIFICATE_FORMAT,
                    completion_date=timezone.localtime(claim.claimed_at, zone).date(),
                    credits=claim.credits,
                    credit_type=claim.credit_type,
                    provider_name=provider.name,
                    accreditation_statement=accreditation_statement(provider),
                    designation_statement=designation_statement_text(activity),
                    issued_at=now,
                    status=Certificate.Status.PENDING,
                )
                audit_record(
                    actor=None,
                    action="certificate.issued",
                    obj=certificate,
                    data={"claim": claim.pk, "number": certificate.number, "revision": 1},
                )
                _enqueue_render(certificate.pk)
                return certificate
        except IntegrityError:
            if attempt == 4:
                raise
            logger.info("certificate number taken for claim %s, retrying", claim_id)
    raise AssertionError("unreachable")


def certificate_render(*, certificate_id: int) -> Certificate:
    """Render the current revision's PDF once, store it, mark the certificate issued, tell the learner."""
    from .pdf import certificate_pdf_bytes

    certificate = _certificate(certificate_id)
    if certificate.pdf:
        return certificate  # already rendered: the stored file is the certificate
    rendered_revision = certificate.revision
    data = certificate_pdf_bytes(certificate, verification_url(certificate), issue_date(certificate))
    with transaction.atomic():
        certificate = _certificate(certificate_id, lock=True)
        if certificate.pdf or certificate.revision != rendered_revision:
            return certificate  # rendered meanwhile, or re-issued: the newer task renders that one
        # A random file name: the bytes are only ever served through the permission-checked view.
        certificate.pdf.save(f"{uuid.uuid4().hex}.pdf", ContentFile(data), save=False)
        if certificate.status == Certificate.Status.PENDING:
            certificate.status = Certificate.Status.ISSUED
        certificate.save(update_fields=["pdf", "status"])
        audit_record(
            actor=None,
            action="certificate.rendered",
            obj=certificate,
            data={"revision": certificate.revision, "bytes": len(data)},
        )
        if certificate.status == Certificate.Status.ISSUED:
            transaction.on_commit(lambda: _email_ready(certificate.pk))
    return certificate


def _email_ready(certificate_id: int) -> None:
    certificate = _certificate(certificate_id)
    learner = certificate.claim.learner
    if not learner.email:
        return
    context = {
        "certificate": certificate,
        "credits": format_credits(certificate.credits),
        "pdf_url": settings.SITE_URL + reverse("credits:certificate_pdf", args=[certificate.pk]),
        "verification_url": verification_url(certificate),
        "code": code_display(certificate.code),
    }
    subject = (
        _("Your corrected certificate is ready: %(title)s")
        if certificate.revision > 1
        else _("Your certificate is ready: %(title)s")
    ) % {"title": certificate.activity_title[:120]}
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=render_to_string("credits/email/certificate_ready.txt", context),
        to=[learner.email],
    )
    message.attach_alternative(render_to_string("credits/email/certificate_ready.html", context), "text/html")
    email_queue(message=message, kind="credits/email/certificate_ready")  # sent by a task, retried


# --- Re-issue, corrections, revocation -----------------------------------------------------------


def _require_coordinator(actor: User, certificate: Certificate) -> None:
    if not is_coordinator_of(actor, certificate.claim.activity.provider):
        raise CreditError(_("Only the provider's coordinators can change a certificate."), code="forbidden")


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CreditError(
            _("Give the reason for the %(what)s: it is kept in the record.") % {"what": what}, "reason"
        )
    if len(reason) > 500:
        raise CreditError(_("Keep the reason under 500 characters."), code="reason")
    return reason


def _clean_name_degree(learner_name: str, degree: str) -> tuple[str, str]:
    learner_name, degree = " ".join((learner_name or "").split()), (degree or "").strip()
    if not learner_name:
        raise CreditError(_("The name to print cannot be empty."), code="name")
    if len(learner_name) > 400:
        raise CreditError(_("The name is too long (400 characters at most)."), code="name")
    if not degree:
        raise CreditError(_("The degree to print cannot be empty."), code="degree")
    if len(degree) > 40:
        raise CreditError(_("The degree is too long (40 characters at most)."), code="degree")
    return learner_name, degree


def _snapshot(certificate: Certificate) -> dict[str, Any]:
    fields = certificate_fields(certificate)
    fields["status"] = certificate.status
    fields["credits_decimal"] = str(certificate.credits)
    return fields


def certificate_reissue(
    *,
    certificate: Certificate,
    actor: User,
    reason: str,
    learner_name: str | None = None,
    degree: str | None = None,
    from_profile: bool = False,
) -> Certificate:
    """A correction: a new revision with the same verification code; the old one is kept, as printed.

    The name and degree come from the arguments or, with ``from_profile``, from the learner's
    profile as it is now. Everything else stays as frozen at the first issue.
    """
    with transaction.atomic():
        certificate = _certificate(certificate.pk, lock=True)
        _require_coordinator(actor, certificate)
        reason = _reason(reason, _("re-issue"))
        if certificate.status == Certificate.Status.REVOKED:
            raise CreditError(_("A revoked certificate cannot be re-issued."), code="revoked")
        is_physician = None
        if from_profile:
            profile = LearnerProfile.objects.filter(user_id=certificate.claim.learner_id).first()
            if profile is None or not profile.legal_name or not profile.credential:
                raise CreditError(_("The learner's profile has no legal name and degree."), code="profile")
            learner_name, degree, is_physician = profile.legal_name, profile.credential, profile.is_physician
        learner_name, degree = _clean_name_degree(
            certificate.learner_name if learner_name is None else learner_name,
            certificate.degree if degree is None else degree,
        )
        if is_physician is None:
            is_physician = degree in PHYSICIAN_DEGREES
        credit_type = CreditType.AMA_PRA_1 if is_physician else CreditType.PARTICIPATION
        changed = {
            field: [getattr(certificate, field), value]
            for field, value in (
                ("learner_name", learner_name),
                ("degree", degree),
                ("credit_type", credit_type),
            )
            if getattr(certificate, field) != value
        }
        CertificateRevision.objects.create(
            certificate=certificate,
            revision=certificate.revision,
            fields=_snapshot(certificate),
            pdf=certificate.pdf.name or "",
            reason=reason,
        )
        certificate.learner_name, certificate.degree, certificate.credit_type = (
            learner_name,
            degree,
            credit_type,
        )
        certificate.revision += 1
        certificate.issued_at = timezone.now()
        certificate.pdf = ""  # the previous file now belongs to the kept revision
        certificate.save()
        audit_record(
            actor=actor,
            action="certificate.reissued",
            obj=certificate,
            data={"revision": certificate.revision, "reason": reason, "changed": changed},
        )
        _enqueue_render(certificate.pk)
    return certificate


def correction_request_create(
    *, certificate: Certificate, learner: User, learner_name: str, degree: str, message: str = ""
) -> CorrectionRequest:
    """The learner asks the provider to correct what is printed (their name or degree)."""
    with transaction.atomic():
        certificate = _certificate(certificate.pk, lock=True)
        if certificate.claim.learner_id != learner.pk:
            raise CreditError(_("This certificate does not exist."), code="not_found")
        if certificate.status == Certificate.Status.REVOKED:
            raise CreditError(_("This certificate was revoked and cannot be corrected."), code="revoked")
        learner_name, degree = _clean_name_degree(learner_name, degree)
        message = (message or "").strip()
        if len(message) > 2000:
            raise CreditError(_("Keep the message under 2,000 characters."), code="message")
        if learner_name == certificate.learner_name and degree == certificate.degree:
            raise CreditError(
                _("That is what the certificate already shows: change the name or the degree."), code="same"
            )
        if CorrectionRequest.objects.filter(certificate=certificate, status="pending").exists():
            raise CreditError(
                _("You already asked for a correction; the provider has not answered yet."), code="pending"
            )
        request = CorrectionRequest.objects.create(
            certificate=certificate,
            requested_by=learner,
            learner_name=learner_name,
            degree=degree,
            message=message,
        )
        audit_record(
            actor=learner,
            action="certificate.correction_requested",
            obj=certificate,
            data={"request": request.pk, "learner_name": learner_name, "degree": degree},
        )
    return request


def correction_request_decide(
    *, correction: CorrectionRequest, actor: User, approve: bool, note: str = ""
) -> CorrectionRequest:
    """A coordinator approves (the certificate is re-issued as asked) or declines, with a note."""
    with transaction.atomic():
        correction = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
        certificate = _certificate(correction.certificate_id)
        _require_coordinator(actor, certificate)
        if correction.status != CorrectionRequest.Status.PENDING:
            raise CreditError(_("This request has already been decided."), code="decided")
        note = (note or "").strip()
        if len(note) > 500:
            raise CreditError(_("Keep the note under 500 characters."), code="note")
        if approve:
            reason = _("Correction requested by the learner") + (
                f": {correction.message}" if correction.message else ""
            )
            certificate_reissue(
                certificate=certificate,
                actor=actor,
                reason=reason[:500],
                learner_name=correction.learner_name,
                degree=correction.degree,
            )
            correction.status = CorrectionRequest.Status.APPROVED
        else:
            if not note:
                raise CreditError(_("Tell the learner why the correction is declined."), code="note")
            correction.status = CorrectionRequest.Status.REJECTED
        correction.decided_by, correction.decided_at, correction.decision_note = actor, timezone.now(), note
        correction.save()
        audit_record(
            actor=actor,
            action="certificate.correction_approved" if approve else "certificate.correction_rejected",
            obj=certificate,
            data={"request": correction.pk, "note": note},
        )
    return correction


def certificate_revoke(*, certificate: Certificate, actor: User | None, reason: str) -> Certificate:
    """Revoke: verification says so (with the date and reason) and the learner can no longer download it.

    ``actor`` is a coordinator of the certificate's provider, or None when the system revokes it
    (a full refund of the payment: billing's webhook).
    """
    with transaction.atomic():
        certificate = _certificate(certificate.pk, lock=True)
        if actor is not None:
            _require_coordinator(actor, certificate)
        reason = _reason(reason, _("revocation"))
        if certificate.status == Certificate.Status.REVOKED:
            raise CreditError(_("This certificate is already revoked."), code="revoked")
        certificate.status = Certificate.Status.REVOKED
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason
        certificate.save(update_fields=["status", "revoked_at", "revoked_reason"])
        audit_record(actor=actor, action="certificate.revoked", obj=certificate, data={"reason": reason})
        CorrectionRequest.objects.filter(certificate=certificate, status="pending").update(
            status=CorrectionRequest.Status.REJECTED,
            decided_by=actor,
            decided_at=certificate.revoked_at,
            decision_note=_("The certificate was revoked."),
        )
        transaction.on_commit(lambda: _email_revoked(certificate.pk))
    return certificate


def _email_revoked(certificate_id: int) -> None:
    certificate = _certificate(certificate_id)
    learner = certificate.claim.learner
    if not learner.email:
        return
    context = {
        "certificate": certificate,
        "revoked_on": printed_date(
            timezone.localtime(certificate.revoked_at, _provider_zone(certificate)).date()
        ),
        "verification_url": verification_url(certificate),
    }
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + _("Your certificate %(number)s was revoked") % {"number": certificate.number},
        body=render_to_string("credits/email/certificate_revoked.txt", context),
        to=[learner.email],
    )
    email_queue(message=message, kind="credits/email/certificate_revoked")  # sent by a task, retried
