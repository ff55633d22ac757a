"""Certificates: issue with frozen fields, render with retries, re-issue, correct, revoke; each audited."""

import datetime
import hashlib
import logging
import secrets
import uuid
import zoneinfo
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, router, transaction
from django.db.models import CharField, IntegerField, Model, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, Greatest, Length, LPad, Substr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import date_format as day_shown
from django.utils.translation import gettext as _

from accounts.mail import email_queue
from accounts.models import LearnerProfile, User, degree_is_physician
from accounts.permissions import is_coordinator_of
from audit.services import audit_record

from . import credit_types
from .audit_actions import CreditAction
from .errors import CreditError
from .events import CERTIFICATE_ISSUED, CERTIFICATE_REVOKED, credit_event
from .models import (
    CERTIFICATE_FORMAT,
    ActivityVersion,
    Certificate,
    CertificateRevision,
    CorrectionRequest,
    CreditClaim,
    CreditType,
    Provider,
    ProviderCoordinator,
)
from .models import RENDER_OVERDUE_MINUTES as RENDER_OVERDUE_MINUTES
from .pdf import certificate_pdf_bytes
from .provider_time import provider_zone
from .statements import format_credits
from .tasks import render_certificate

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
    return provider_zone(certificate.claim.activity.provider)


def issue_date(certificate: Certificate) -> datetime.date:
    """The issue date as printed: the day of issue in the provider's time zone."""
    return timezone.localtime(certificate.issued_at, _provider_zone(certificate)).date()


def printed_date(day: datetime.date) -> str:
    return date_format(day, "F j, Y")


def revoked_on(certificate: Certificate) -> datetime.date:
    """The day the certificate was revoked, in the provider's time zone (as verification shows it)."""
    if certificate.revoked_at is None:
        raise ValueError(f"Certificate {certificate.number} is not revoked.")
    return timezone.localtime(certificate.revoked_at, _provider_zone(certificate)).date()


def changes_for_people(changed: dict[str, list[Any]]) -> list[tuple[str, str, str]]:
    """A re-issue's changes ({field: [old, new]}) as (label, old, new) lines for pages and emails."""
    labels = {
        "learner_name": _("Name"),
        "degree": _("Degree"),
        "credit_type": _("Credit type"),
        "credits": _("Credits"),
        "completion_date": _("Completion date"),
    }
    types = dict(CreditType.choices)
    lines = []
    for field, (old, new) in changed.items():
        if field == "credit_type":
            old, new = types.get(old, old), types.get(new, new)
        label = labels.get(field, field)
        if field.startswith(OTHER_CREDIT_CHANGE):  # a further credit type's amount (credit_types)
            label = credit_types.kind_label(field.removeprefix(OTHER_CREDIT_CHANGE))
        lines.append((str(label), str(old), str(new)))
    return lines


# A re-issue's change of a further credit type's amount is recorded as {"other_credits.<kind>": [old, new]}.
OTHER_CREDIT_CHANGE = "other_credits."


def other_credit_lines(certificate: Certificate) -> list[dict[str, str]]:
    """The further credit types the certificate prints (``Certificate.other_credits``), each with its
    amount as printed: [{kind, label, amount, statement}]."""
    return [
        {
            "kind": str(line.get("kind", "")),
            "label": str(line.get("label", "")),
            "amount": format_credits(Decimal(str(line.get("amount", "0")))),
            "statement": str(line.get("statement", "")),
        }
        for line in certificate.other_credits or []
    ]


def other_credits_corrected(certificate: Certificate, credits: Decimal) -> list[dict[str, Any]]:
    """The rule for a coordinator's credit correction of a certificate with further credit types:
    each further line becomes min(the corrected hours, that type's designated amount in the
    certificate's version) — the claim's own rule (the learner's time, capped at each type's
    designation), applied to the corrected time. Its label and statement stay as printed (the
    statements give the designation, which does not change). A type the version no longer lists (it
    cannot: versions are frozen) keeps its printed amount as the cap."""
    version = getattr(certificate, "version", None)
    offers = {o["kind"]: o for o in credit_types.offered(version)} if version is not None else {}
    lines = []
    for line in certificate.other_credits or []:
        offer = offers.get(line.get("kind"))
        cap = Decimal(str(offer["amount"] if offer else line["amount"]))
        lines.append({**line, "amount": str(min(credits, cap).quantize(Decimal("0.01")))})
    return lines


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
        # Further credit types claimed (ANCC, ACPE, AAPA, IPCE), each printed after the main line.
        "other_credits": other_credit_lines(certificate),
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


def _next_number_expression(prefix: str) -> Concat:
    """_next_number() as SQL, for the INSERT that stores it: the series' last number plus one,
    zero-padded to 6 digits (more once past 999999, as in Python)."""
    last = Subquery(
        Certificate.objects.filter(number__startswith=prefix).order_by("-number").values("number")[:1]
    )
    sequence = Cast(
        Coalesce(Cast(Substr(last, len(prefix) + 1), IntegerField()), Value(0)) + Value(1), CharField()
    )
    return Concat(
        Value(prefix),
        LPad(sequence, Greatest(Length(sequence), Value(6)), Value("0")),
        output_field=CharField(),
    )


def _insert_numbered(certificate: Certificate, prefix: str) -> None:
    """Insert ``certificate`` with the next number of the ``prefix`` series chosen by the INSERT
    itself, and read its id and number back from that statement (RETURNING): one statement where a
    SELECT and an INSERT were. The caller holds the provider's row lock, so nobody else is choosing
    a number of this series; the unique number stays the last line of defence.

    Model.save() cannot read back a value the database computed (Django 5.2), so this uses the
    queryset's insert, as save() does, with the number among the returned fields.
    """
    meta = Certificate._meta
    number = meta.get_field("number")
    certificate.number = _next_number_expression(prefix)  # the INSERT stores its value
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    using = router.db_for_write(Certificate)
    insert = Certificate._base_manager.get_queryset()._insert  # type: ignore[attr-defined]  # not in the stubs
    rows = insert([certificate], fields=fields, returning_fields=[meta.pk, number], using=using)
    certificate.pk, certificate.number = rows[0]
    certificate._state.adding = False
    certificate._state.db = using


def next_certificate_number(*, provider: Provider, at: datetime.datetime) -> str:
    """The next free number of the provider's series for the year of ``at`` in its time zone
    (PREFIX-YYYY-NNNNNN): for bulk builders (testkit) that continue the series as certificate_issue does."""
    return _next_number(f"{provider.slug.upper()}-{timezone.localtime(at, provider_zone(provider)).year}-")


# --- Rendering: retries with back-off ------------------------------------------------------------
# A render that fails is tried again after 1, 2, 4 ... minutes (at most an hour apart), up to
# RENDER_MAX_ATTEMPTS tries in all (about 2 hours); then it waits for `manage.py repair_certificates`.
# A render that never ran (no worker, a lost task) is due RENDER_FIRST_TRY_GRACE after issue: the
# worker's sweep (certificate_renders_retry_due) enqueues whatever is due.
RENDER_MAX_ATTEMPTS = 8
RENDER_FIRST_TRY_GRACE = datetime.timedelta(minutes=2)
RENDER_MAX_BACKOFF = datetime.timedelta(hours=1)


def render_backoff(attempts: int) -> datetime.timedelta:
    """How long to wait after the ``attempts``-th failed try: 1 min, 2, 4, ... capped at an hour."""
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), RENDER_MAX_BACKOFF)


class RenderError(Exception):
    """The PDF could not be produced or stored intact."""


def _enqueue_render(certificate_id: int, *, run_after: datetime.datetime | None = None) -> None:
    """Enqueue the render once the transaction commits.

    ``robust``: a queue that cannot be written to (the database went away just after the commit)
    must not turn a committed claim into an error page; the certificate row says the render is due
    and the sweep enqueues it again.
    """

    def enqueue() -> None:
        task = render_certificate
        if run_after is not None:
            if not task.get_backend().supports_defer:
                return  # the immediate backend cannot wait: the sweep enqueues it when it is due
            task = task.using(run_after=run_after)
        task.enqueue(certificate_id)

    transaction.on_commit(enqueue, robust=True)


def render_runs_at_commit() -> bool:
    """True when the render task runs in the process that enqueues it, at commit (the immediate
    backend of development and tests): a page shown after the commit must then read the row again."""
    return not render_certificate.get_backend().supports_defer


def _pdf_storage() -> Storage:
    return Certificate._meta.get_field("pdf").storage


def stored_pdf_is_sound(name: str) -> bool:
    """True when the stored file exists, is not empty and starts like a PDF (a full disk leaves 0 bytes)."""
    if not name:
        return False
    try:
        with _pdf_storage().open(name, "rb") as handle:
            return handle.read(5) == b"%PDF-"
    except (OSError, ValueError):
        return False


def stored_pdf_has_bytes(name: str) -> bool:
    """The cheap check for every download (one stat): the file is there and not empty."""
    try:
        return bool(name) and _pdf_storage().size(name) > 0
    except (OSError, ValueError):
        return False


def _delete_quietly(name: str) -> None:
    try:
        _pdf_storage().delete(name)
    except Exception:  # a leftover file is harmless: no row points to it
        logger.warning("could not delete the unused certificate file %s", name, exc_info=True)


def _store_pdf(data: bytes) -> str:
    """Store the bytes under a new random name and check what was stored; return the name.

    Nothing points to the file until the certificate row is updated in a transaction afterwards,
    so a write cut short (disk full, killed worker) is never taken for a certificate: the partial
    file is deleted here, or at worst left unreferenced.
    """
    if not data.startswith(b"%PDF-"):
        raise RenderError("the renderer produced no PDF")
    # A random file name: the bytes are only ever served through the permission-checked view.
    name = f"certificates/{uuid.uuid4().hex}.pdf"
    storage = _pdf_storage()
    try:
        stored = storage.save(name, ContentFile(data))
        if stored != name or storage.size(stored) != len(data):
            raise RenderError(f"the stored PDF has {storage.size(stored)} of {len(data)} bytes")
    except Exception:
        _delete_quietly(name)
        raise
    return stored


def _short_error(exc: BaseException) -> str:
    """The error in a line for coordinators and the audit trail (never shown to learners)."""
    text = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {text}"[:200]


# --- Issue and render ----------------------------------------------------------------------------


def certificate_issue_for_claim(*, claim_id: int) -> Certificate:
    """The claim's certificate: the one it has, or a new one (see certificate_issue). Idempotent."""
    existing = Certificate.objects.filter(claim_id=claim_id).first()
    if existing is not None:
        return existing
    claim = CreditClaim.objects.select_related("activity", "learner").get(pk=claim_id)
    profile = LearnerProfile.objects.filter(user_id=claim.learner_id).first()
    return certificate_issue(claim=claim, profile=profile)


# An audit row to write: (actor, action, object, data), as audit.services.audit_record_many takes.
AuditEntry = tuple[User | None, str, Model, dict[str, Any] | None]


def certificate_issue(
    *,
    claim: CreditClaim,
    profile: LearnerProfile | None,
    version: ActivityVersion | None = None,
    locked_provider: Provider | None = None,
    audit_events: list[AuditEntry] | None = None,
) -> Certificate:
    """Create the claim's certificate with every printed field frozen now; the PDF follows in a task.

    Called by credits.services.claim_credit inside the claim's own transaction, so a claim never
    exists without its certificate row. Certificate numbers count per provider and year: the
    provider's row is locked while the next one is chosen (after the learner's row, which the claim
    locked first: docs/architecture-locks.md), and the unique number is the last line of defence.

    ``locked_provider``: the provider's row, already locked in this transaction by the caller
    (claim_credit's read locks it with the claim's facts); then the number is chosen at once, with
    no savepoint: nobody else can choose one of this provider's numbers until this commits, and on
    SQLite the claim's own insert already holds the database's write lock. ``version``: the
    claim's version row if the caller has it (it is not read again). ``audit_events``: the
    certificate's audit row is appended there for the caller to write with its own (and the caller
    tells credits.events of certificate.issued with its own events, in one task) (one INSERT,
    audit.services.audit_record_many) instead of being written here.
    """
    if locked_provider is not None:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("certificate_issue(locked_provider=...) must run in the lock's transaction")
        return _certificate_create(claim, profile, version, locked_provider, audit_events)
    for attempt in range(5):
        try:
            with transaction.atomic():
                provider = Provider.objects.select_for_update().get(pk=claim.activity.provider_id)
                return _certificate_create(claim, profile, version, provider)
        except IntegrityError:
            existing = Certificate.objects.filter(claim_id=claim.pk).first()
            if existing is not None:
                return existing  # issued meanwhile by a concurrent call
            if attempt == 4:
                raise
            logger.info("certificate number taken for claim %s, retrying", claim.pk)
    raise AssertionError("unreachable")


def _certificate_create(
    claim: CreditClaim,
    profile: LearnerProfile | None,
    version: ActivityVersion | None,
    provider: Provider,
    audit_events: list[AuditEntry] | None = None,
) -> Certificate:
    """The certificate row, its audit row and its render task (on commit); the provider is locked."""
    if version is None or version.pk != claim.version_id:
        version = ActivityVersion.objects.get(pk=claim.version_id)
    zone = provider_zone(provider)
    now = timezone.now()
    prefix = f"{provider.slug.upper()}-{timezone.localtime(now, zone).year}-"
    certificate = Certificate(
        # By id: the claim object keeps no cached copy of this row (see credits.services.claim_credit
        # for when the page shown after the commit may use this one).
        claim_id=claim.pk,
        version_id=claim.version_id,
        code=code_generate(),
        learner_name=profile.legal_name if profile else claim.learner.email,
        degree=claim.degree,
        activity_title=version.title,  # the version the learner saw (credits/versions.py)
        format=CERTIFICATE_FORMAT,
        completion_date=timezone.localtime(claim.claimed_at, zone).date(),
        credits=claim.credits,
        credit_type=claim.credit_type,
        provider_name=provider.name,
        accreditation_statement=version.content["accreditation_statement"],
        designation_statement=version.content["designation_statement"],
        other_credits=credit_types.certificate_lines(claim.pk, version),
        issued_at=now,
        status=Certificate.Status.PENDING,
        render_state=Certificate.RenderState.PENDING,
        render_next_try_at=now + RENDER_FIRST_TRY_GRACE,
    )
    _insert_numbered(certificate, prefix)
    event = (
        None,
        CreditAction.CERTIFICATE_ISSUED,
        certificate,
        {"claim": claim.pk, "number": certificate.number, "revision": 1},
    )
    if audit_events is not None:
        audit_events.append(event)  # the caller also tells credits.events, with its own events
    else:
        actor, action, obj, data = event
        audit_record(actor=actor, action=action, obj=obj, data=data)
        credit_event(CERTIFICATE_ISSUED, certificate.pk)
    _enqueue_render(certificate.pk)
    return certificate


def certificate_render(*, certificate_id: int) -> Certificate:
    """Render the current revision's PDF once, store it, mark the certificate issued, tell the learner.

    A failure is recorded on the row (attempts, a short error, when to try again), audited, told to
    the provider's coordinators the first time, and raised again so the task shows as failed.
    """
    certificate = _certificate(certificate_id)
    if certificate.pdf or certificate.render_state == Certificate.RenderState.RENDERED:
        return certificate  # already rendered (or its file removed on purpose): nothing to do
    rendered_revision = certificate.revision
    try:
        data = certificate_pdf_bytes(certificate, verification_url(certificate), issue_date(certificate))
        name = _store_pdf(data)
    except Exception as exc:
        try:
            _render_failed(certificate_id, rendered_revision, exc)
        except Exception:  # e.g. the database is down too: the row's due time makes the sweep retry
            logger.exception("could not record the failed render of certificate %s", certificate_id)
        raise
    try:
        with transaction.atomic():
            certificate = _certificate(certificate_id, lock=True)
            if certificate.pdf or certificate.revision != rendered_revision:
                _delete_quietly(name)
                return certificate  # rendered meanwhile, or re-issued: the newer task renders that one
            certificate.pdf.name = name
            if certificate.status == Certificate.Status.PENDING:
                certificate.status = Certificate.Status.ISSUED
            certificate.render_state = Certificate.RenderState.RENDERED
            certificate.render_attempts += 1
            certificate.render_error = ""
            certificate.render_next_try_at = None
            certificate.save(
                update_fields=[
                    "pdf", "status", "render_state", "render_attempts", "render_error", "render_next_try_at"
                ]
            )  # fmt: skip
            audit_record(
                actor=None,
                action=CreditAction.CERTIFICATE_RENDERED,
                obj=certificate,
                data={
                    "revision": certificate.revision,
                    "bytes": len(data),
                    "attempt": certificate.render_attempts,
                },
            )
            if certificate.status == Certificate.Status.ISSUED:
                transaction.on_commit(lambda: _email_ready(certificate.pk))
    except Exception:
        _delete_quietly(name)  # the row does not point to it
        raise
    return certificate


def _render_failed(certificate_id: int, revision: int, exc: BaseException) -> None:
    with transaction.atomic():
        certificate = _certificate(certificate_id, lock=True)
        if certificate.pdf or certificate.revision != revision:
            return
        now = timezone.now()
        certificate.render_attempts += 1
        certificate.render_state = Certificate.RenderState.FAILED
        certificate.render_error = _short_error(exc)
        gave_up = certificate.render_attempts >= RENDER_MAX_ATTEMPTS
        next_try_at = None if gave_up else now + render_backoff(certificate.render_attempts)
        certificate.render_next_try_at = next_try_at
        certificate.save(
            update_fields=["render_attempts", "render_state", "render_error", "render_next_try_at"]
        )
        audit_record(
            actor=None,
            action=CreditAction.CERTIFICATE_RENDER_FAILED,
            obj=certificate,
            data={
                "revision": revision,
                "attempt": certificate.render_attempts,
                "error": certificate.render_error,
                "next_try_at": next_try_at.isoformat() if next_try_at is not None else None,
            },
        )
        logger.error(
            "certificate %s: render attempt %s failed: %s",
            certificate.number,
            certificate.render_attempts,
            certificate.render_error,
        )
        if certificate.render_attempts == 1:
            _email_render_failed(certificate)  # once per revision; the outbox sends it, with retries
        if not gave_up:
            _enqueue_render(certificate_id, run_after=certificate.render_next_try_at)


def certificate_renders_retry_due(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Enqueue a render for each certificate whose render is due (never ran, or a retry's time came).

    The worker calls this every minute (podcastcme's task_worker): it covers a task lost with a
    crashed worker or a database restart, and back-off on the immediate backend, which cannot defer.
    Each due row is moved to its next try time first, so two sweeps do not enqueue it twice.
    """
    now = now or timezone.now()
    due = list(
        Certificate.objects.filter(
            pdf="",
            render_state__in=[Certificate.RenderState.PENDING, Certificate.RenderState.FAILED],
            render_next_try_at__lte=now,
        )
        .exclude(status=Certificate.Status.REVOKED)
        .order_by("render_next_try_at")
        .values_list("pk", "render_attempts", "render_next_try_at")[:limit]
    )
    enqueued = 0
    for pk, attempts, due_at in due:
        with transaction.atomic():
            moved = Certificate.objects.filter(pk=pk, pdf="", render_next_try_at=due_at).update(
                render_next_try_at=now + render_backoff(attempts + 1)
            )
            if moved:
                _enqueue_render(pk)
                enqueued += 1
    return enqueued


def certificate_render_problem(certificate: Certificate) -> str | None:
    """Why the certificate needs a repair: "missing", "broken" or "failed"; None when it is fine."""
    if certificate.status == Certificate.Status.REVOKED:
        return None
    if certificate.pdf:
        return None if stored_pdf_is_sound(certificate.pdf.name) else "broken"
    if certificate.render_state == Certificate.RenderState.FAILED:
        return "failed"
    if certificate.render_state == Certificate.RenderState.PENDING:
        return "missing"
    return None  # rendered, then its file removed on purpose (an anonymised record)


def certificate_rerender(*, certificate_id: int, reason: str) -> Certificate:
    """Render again by hand (``manage.py repair_certificates``): a missing, broken or failed PDF.

    The broken file, if any, is let go (its name is kept in the audit row) and the retries start
    over; then the PDF is rendered here and now, so this works without a task worker.
    """
    with transaction.atomic():
        certificate = _certificate(certificate_id, lock=True)
        previous = certificate.pdf.name or ""
        certificate.pdf = ""  # an issued certificate stays valid: only its file is replaced
        certificate.render_state = Certificate.RenderState.PENDING
        certificate.render_attempts = 0
        certificate.render_error = ""
        certificate.render_next_try_at = timezone.now() + RENDER_FIRST_TRY_GRACE
        certificate.save(
            update_fields=["pdf", "render_state", "render_attempts", "render_error", "render_next_try_at"]
        )
        audit_record(
            actor=None,
            action=CreditAction.CERTIFICATE_RENDER_REPAIRED,
            obj=certificate,
            data={"reason": reason, "previous_file": previous, "revision": certificate.revision},
        )
    return certificate_render(certificate_id=certificate_id)


def certificate_mark_broken(*, certificate: Certificate) -> Certificate:
    """The stored PDF turned out empty or unreadable: stop pointing to it and render it again soon."""
    with transaction.atomic():
        certificate = _certificate(certificate.pk, lock=True)
        if not certificate.pdf or stored_pdf_is_sound(certificate.pdf.name):
            return certificate
        previous = certificate.pdf.name
        certificate.pdf = ""
        certificate.render_state = Certificate.RenderState.FAILED
        certificate.render_error = "the stored PDF is empty or unreadable"
        certificate.render_next_try_at = timezone.now()
        certificate.save(update_fields=["pdf", "render_state", "render_error", "render_next_try_at"])
        audit_record(
            actor=None,
            action=CreditAction.CERTIFICATE_RENDER_BROKEN,
            obj=certificate,
            data={"previous_file": previous, "revision": certificate.revision},
        )
        _enqueue_render(certificate.pk)
    return certificate


def _email_render_failed(certificate: Certificate) -> None:
    """Tell the provider's coordinators that a certificate could not be produced (retries go on)."""
    provider = certificate.claim.activity.provider
    recipients = sorted(
        ProviderCoordinator.objects.filter(provider=provider, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    context = {
        "certificate": certificate,
        "provider": provider,
        "dashboard_url": settings.SITE_URL + reverse("credits:coordinator_dashboard"),
        "certificate_url": settings.SITE_URL
        + reverse("credits:coordinator_certificate", args=[certificate.pk]),
        "max_attempts": RENDER_MAX_ATTEMPTS,
    }
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + _("A certificate could not be produced: %(number)s") % {"number": certificate.number},
        body=render_to_string("credits/email/certificate_render_failed.txt", context),
        to=recipients,
    )
    email_queue(message=message, kind="credits/email/certificate_render_failed")  # sent by a task, retried


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
    fields["other_credits_frozen"] = list(certificate.other_credits or [])  # as stored, for a restore
    return fields


@dataclass(frozen=True)
class ReissuePlan:
    """What a re-issue prints (the new revision's fields) and what changes, as {field: [old, new]}."""

    learner_name: str
    degree: str
    credit_type: str
    credits: Decimal
    completion_date: datetime.date
    changed: dict[str, list[Any]]
    other_credits: list[dict[str, Any]] = dataclass_field(default_factory=list)


def _reissue_plan(
    certificate: Certificate,
    *,
    actor: User,
    reason: str,
    learner_name: str | None,
    degree: str | None,
    from_profile: bool,
    credits: Decimal | str | None,
    completion_date: datetime.date | None,
) -> tuple[str, ReissuePlan]:
    """Check a re-issue and work out the new revision; raises CreditError, writes nothing."""
    _require_coordinator(actor, certificate)
    reason = _reason(reason, _("re-issue"))
    if certificate.status == Certificate.Status.REVOKED:
        raise CreditError(_("A revoked certificate cannot be re-issued."), code="revoked")
    is_physician = None
    if from_profile:
        profile = LearnerProfile.objects.filter(user_id=certificate.claim.learner_id).first()
        if profile is None or not profile.legal_name or not profile.credential:
            raise CreditError(_("The learner's profile has no legal name and degree."), code="profile")
        if profile.needs_degree_attestation:
            raise CreditError(
                _(
                    "The learner has not yet attested in their profile that their %(degree)s is a "
                    "primary medical degree equivalent to an MD or DO."
                )
                % {"degree": profile.credential},
                code="profile",
            )
        learner_name, degree, is_physician = profile.legal_name, profile.credential, profile.is_physician
    learner_name, degree = _clean_name_degree(
        certificate.learner_name if learner_name is None else learner_name,
        certificate.degree if degree is None else degree,
    )
    if is_physician is None:
        # The claim settled the credit type (an attested international degree included): the same
        # degree keeps it; another degree is judged by the one rule, accounts.degree_is_physician.
        was_physician = certificate.credit_type == CreditType.AMA_PRA_1
        same_degree = degree == certificate.degree
        is_physician = (
            was_physician if same_degree else degree_is_physician(degree, equivalence_attested=was_physician)
        )
    credit_type = CreditType.AMA_PRA_1 if is_physician else CreditType.PARTICIPATION
    new_credits = certificate.credits if credits is None else _correct_credits(certificate, credits)
    new_date = (
        certificate.completion_date
        if completion_date is None
        else _correct_completion_date(certificate, completion_date)
    )
    changed = {
        field: [getattr(certificate, field), value]
        for field, value in (
            ("learner_name", learner_name),
            ("degree", degree),
            ("credit_type", credit_type),
        )
        if getattr(certificate, field) != value
    }
    if new_credits != certificate.credits:
        changed["credits"] = [format_credits(certificate.credits), format_credits(new_credits)]
    other_credits = list(certificate.other_credits or [])
    if new_credits != certificate.credits:  # only a change of the credited time moves the further lines
        other_credits = other_credits_corrected(certificate, new_credits)
        for old, new in zip(certificate.other_credits or [], other_credits, strict=True):
            if Decimal(str(old["amount"])) != Decimal(new["amount"]):
                changed[OTHER_CREDIT_CHANGE + str(new["kind"])] = [
                    format_credits(Decimal(str(old["amount"]))),
                    format_credits(Decimal(new["amount"])),
                ]
    if new_date != certificate.completion_date:
        changed["completion_date"] = [certificate.completion_date.isoformat(), new_date.isoformat()]
    if not changed:
        raise CreditError(
            _("That is what the certificate already says: change at least one field."), code="same"
        )
    return reason, ReissuePlan(
        learner_name=learner_name,
        degree=degree,
        credit_type=credit_type,
        credits=new_credits,
        completion_date=new_date,
        changed=changed,
        other_credits=other_credits,
    )


def certificate_reissue_preview(
    *,
    certificate: Certificate,
    actor: User,
    reason: str,
    learner_name: str | None = None,
    degree: str | None = None,
    from_profile: bool = False,
    credits: Decimal | str | None = None,
    completion_date: datetime.date | None = None,
) -> ReissuePlan:
    """What ``certificate_reissue`` with these arguments would change (the confirmation page shows it),
    or the CreditError it would raise. Reads only."""
    return _reissue_plan(
        _certificate(certificate.pk),
        actor=actor,
        reason=reason,
        learner_name=learner_name,
        degree=degree,
        from_profile=from_profile,
        credits=credits,
        completion_date=completion_date,
    )[1]


def certificate_reissue(
    *,
    certificate: Certificate,
    actor: User,
    reason: str,
    learner_name: str | None = None,
    degree: str | None = None,
    from_profile: bool = False,
    credits: Decimal | str | None = None,
    completion_date: datetime.date | None = None,
) -> Certificate:
    """A correction: a new revision with the same verification code; the old one is kept, as printed.

    The name and degree come from the arguments or, with ``from_profile``, from the learner's
    profile as it is now. A coordinator may also correct the credits (quarter steps, at least 0.25,
    at most the designation the learner was offered) and the completion date (not in the future in
    the provider's time zone, within the activity's release and expiry). Everything else stays as
    frozen at the first issue. Every total, report and export follows the new revision (they all
    read selectors.credited_certificates); the learner is emailed what changed and why.
    """
    with transaction.atomic():
        certificate = _certificate(certificate.pk, lock=True)
        reason, plan = _reissue_plan(
            certificate,
            actor=actor,
            reason=reason,
            learner_name=learner_name,
            degree=degree,
            from_profile=from_profile,
            credits=credits,
            completion_date=completion_date,
        )
        changed = plan.changed
        CertificateRevision.objects.create(
            certificate=certificate,
            revision=certificate.revision,
            fields=_snapshot(certificate),
            pdf=certificate.pdf.name or "",
            reason=reason,
        )
        certificate.learner_name, certificate.degree, certificate.credit_type = (
            plan.learner_name,
            plan.degree,
            plan.credit_type,
        )
        certificate.credits, certificate.completion_date = plan.credits, plan.completion_date
        certificate.other_credits = plan.other_credits
        certificate.revision += 1
        certificate.issued_at = timezone.now()
        certificate.pdf = ""  # the previous file now belongs to the kept revision
        certificate.render_state = Certificate.RenderState.PENDING
        certificate.render_attempts = 0
        certificate.render_error = ""
        certificate.render_next_try_at = certificate.issued_at + RENDER_FIRST_TRY_GRACE
        certificate.save()
        audit_record(
            actor=actor,
            action=CreditAction.CERTIFICATE_REISSUED,
            obj=certificate,
            data={"revision": certificate.revision, "reason": reason, "changed": changed},
        )
        if "credits" in changed or "completion_date" in changed:
            # Queued before the render, so the learner reads what changed before "your PDF is ready".
            certificate_id = certificate.pk
            transaction.on_commit(lambda: _email_corrected(certificate_id, changed, reason))
        _enqueue_render(certificate.pk)
    return certificate


def _offered(certificate: Certificate) -> tuple[Decimal, datetime.date, datetime.date]:
    """(designated credits, release date, expiry date) of the activity as the learner was offered it."""
    version = getattr(certificate, "version", None)  # the version the learner saw (credits/versions.py)
    source = version if version is not None else certificate.claim.activity
    return source.designated_credits, source.release_date, source.expiry_date


def _correct_credits(certificate: Certificate, value: Decimal | str) -> Decimal:
    """The corrected credits, or a CreditError saying plainly what is wrong with them."""
    try:
        credits = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        credits = Decimal("NaN")
    if not credits.is_finite():
        raise CreditError(_("Credits must be a number such as 0.75."), code="credits")
    if credits < Decimal("0.25"):
        raise CreditError(_("Credits must be at least 0.25."), code="credits")
    if (credits * 4) % 1 != 0:
        raise CreditError(_("Credits come in quarter steps: 0.25, 0.5, 0.75, 1.0 …"), code="credits")
    maximum = _offered(certificate)[0]
    if credits > maximum:
        raise CreditError(
            _("Credits cannot be more than the designated maximum of this activity, %(maximum)s.")
            % {"maximum": format_credits(maximum)},
            code="credits",
        )
    return credits.quantize(Decimal("0.01"))


def _correct_completion_date(certificate: Certificate, day: datetime.date) -> datetime.date:
    """The corrected completion date (a day in the provider's time zone), or a CreditError."""
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        raise CreditError(_("Give the completion date as a date (YYYY-MM-DD)."), code="completion_date")
    today = timezone.localtime(timezone.now(), _provider_zone(certificate)).date()
    _maximum, release, expiry = _offered(certificate)
    if day > today:
        raise CreditError(
            _("The completion date cannot be in the future (today is %(today)s where the provider is).")
            % {"today": day_shown(today, "DATE_FORMAT")},
            code="completion_date",
        )
    if day < release:
        raise CreditError(
            _("The completion date cannot be before the activity's release on %(release)s.")
            % {"release": day_shown(release, "DATE_FORMAT")},
            code="completion_date",
        )
    if day > expiry:
        raise CreditError(
            _("The completion date cannot be after the activity expired on %(expiry)s.")
            % {"expiry": day_shown(expiry, "DATE_FORMAT")},
            code="completion_date",
        )
    return day


def _email_corrected(certificate_id: int, changed: dict[str, list[Any]], reason: str) -> None:
    """Tell the learner what the provider corrected on their certificate, and why (through the outbox)."""
    certificate = _certificate(certificate_id)
    learner = certificate.claim.learner
    if not learner.email:
        return
    context = {
        "certificate": certificate,
        "changes": changes_for_people(changed),
        "reason": reason,
        "verification_url": verification_url(certificate),
        "my_learning_url": settings.SITE_URL + reverse("credits:my_learning"),
    }
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + _("Your certificate %(number)s was corrected") % {"number": certificate.number},
        body=render_to_string("credits/email/certificate_corrected.txt", context),
        to=[learner.email],
    )
    email_queue(message=message, kind="credits/email/certificate_corrected")  # sent by a task, retried


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
            action=CreditAction.CERTIFICATE_CORRECTION_REQUESTED,
            obj=certificate,
            data={"request": request.pk, "learner_name": learner_name, "degree": degree},
        )
        request_id = request.pk
        transaction.on_commit(lambda: _email_correction_requested(request_id))
    return request


def _coordinator_emails(provider: Provider) -> list[str]:
    return sorted(
        ProviderCoordinator.objects.filter(provider=provider, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )


def _email_correction_requested(request_id: int) -> None:
    """Tell the provider's coordinators a learner asked for a correction (through the outbox)."""
    correction = CorrectionRequest.objects.select_related("certificate").get(pk=request_id)
    certificate = _certificate(correction.certificate_id)
    recipients = _coordinator_emails(certificate.claim.activity.provider)
    if not recipients:
        return
    context = {
        "certificate": certificate,
        "correction": correction,
        "decide_url": settings.SITE_URL + reverse("credits:coordinator_correction", args=[correction.pk]),
    }
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + _("A learner asks for a correction: certificate %(number)s") % {"number": certificate.number},
        body=render_to_string("credits/email/correction_requested.txt", context),
        to=recipients,
    )
    email_queue(message=message, kind="credits/email/correction_requested")  # sent by a task, retried


def correction_request_decide(
    *, correction: CorrectionRequest, actor: User, approve: bool, note: str = ""
) -> CorrectionRequest:
    """A coordinator approves (the certificate is re-issued as asked) or declines, with a note."""
    with transaction.atomic():
        # The certificate before its requests, as revocation does (docs/architecture-locks.md).
        certificate_id = (
            CorrectionRequest.objects.filter(pk=correction.pk).values_list("certificate_id", flat=True).get()
        )
        certificate = _certificate(certificate_id, lock=True)
        correction = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
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
            declined_id = correction.pk  # an approval emails the learner through the re-issue
            transaction.on_commit(lambda: _email_correction_declined(declined_id))
        correction.decided_by, correction.decided_at, correction.decision_note = actor, timezone.now(), note
        correction.save()
        audit_record(
            actor=actor,
            action=CreditAction.CERTIFICATE_CORRECTION_APPROVED
            if approve
            else CreditAction.CERTIFICATE_CORRECTION_REJECTED,
            obj=certificate,
            data={"request": correction.pk, "note": note},
        )
    return correction


def _email_correction_declined(request_id: int) -> None:
    """Tell the learner the provider declined their correction, with the coordinator's note."""
    correction = CorrectionRequest.objects.get(pk=request_id)
    certificate = _certificate(correction.certificate_id)
    learner = certificate.claim.learner
    if not learner.email:
        return
    context = {
        "certificate": certificate,
        "correction": correction,
        "my_learning_url": settings.SITE_URL + reverse("credits:my_learning"),
    }
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + _("Your correction request for certificate %(number)s was answered")
        % {"number": certificate.number},
        body=render_to_string("credits/email/correction_declined.txt", context),
        to=[learner.email],
    )
    email_queue(message=message, kind="credits/email/correction_declined")  # sent by a task, retried


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
        audit_record(
            actor=actor, action=CreditAction.CERTIFICATE_REVOKED, obj=certificate, data={"reason": reason}
        )
        CorrectionRequest.objects.filter(certificate=certificate, status="pending").update(
            status=CorrectionRequest.Status.REJECTED,
            decided_by=actor,
            decided_at=certificate.revoked_at,
            decision_note=_("The certificate was revoked."),
        )
        transaction.on_commit(lambda: _email_revoked(certificate.pk))
        credit_event(CERTIFICATE_REVOKED, certificate.pk)
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
