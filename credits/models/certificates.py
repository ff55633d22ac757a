"""Certificates: every printed field frozen at issue, earlier revisions, correction requests."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .records import CreditClaim, CreditType, RecordQuerySet, _AppendOnly

CERTIFICATE_FORMAT = "Enduring material — podcast"


# A certificate whose PDF is not there this long after issue is late: the learner is told so plainly
# and it is listed on the coordinator dashboard (normally a render takes well under a second).
RENDER_OVERDUE_MINUTES = 10


class Certificate(models.Model):
    """The certificate of one claim. Every printed field is frozen here at issue; a correction is a
    new revision (same verification code), and the previous one is kept in CertificateRevision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        ISSUED = "issued", _("Valid")
        REVOKED = "revoked", _("Revoked")

    class RenderState(models.TextChoices):
        """Where the current revision's PDF is; independent of the status (what the certificate says)."""

        PENDING = "pending", _("Waiting to be rendered")
        RENDERED = "rendered", _("Rendered")
        FAILED = "failed", _("Rendering failed")

    claim = models.OneToOneField(CreditClaim, on_delete=models.PROTECT, related_name="certificate")
    version = models.ForeignKey(
        "credits.ActivityVersion", on_delete=models.PROTECT, related_name="+",
        help_text=_("The version of the activity the learner saw."),
    )  # fmt: skip
    code = models.CharField(_("verification code"), max_length=32, unique=True, editable=False)
    number = models.CharField(_("certificate number"), max_length=40, unique=True, editable=False)
    revision = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Frozen at issue (and at each re-issue): exactly what the PDF prints.
    learner_name = models.CharField(max_length=400)
    degree = models.CharField(max_length=40)
    activity_title = models.CharField(max_length=255)
    format = models.CharField(max_length=60, default=CERTIFICATE_FORMAT)
    completion_date = models.DateField()
    credits = models.DecimalField(max_digits=4, decimal_places=2)
    credit_type = models.CharField(max_length=20, choices=CreditType.choices)
    provider_name = models.CharField(max_length=200)
    accreditation_statement = models.TextField()
    designation_statement = models.TextField()
    # The further credit types claimed (credits/credit_types.py), as printed:
    # [{"kind", "label", "amount", "statement"}]; empty for AMA credit or participation alone.
    other_credits = models.JSONField(default=list, blank=True)
    issued_at = models.DateTimeField()
    pdf = models.FileField(upload_to="certificates/", blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)
    # Rendering the PDF (credits.certificates): tries so far for this revision, the last error in a
    # few words (for coordinators, never a traceback), and when the next automatic try is due (None:
    # rendered, or retries given up until `manage.py repair_certificates`). "rendered" with no file
    # is a PDF removed on purpose (accounts.deletion anonymises expired records): never re-rendered.
    render_state = models.CharField(max_length=10, choices=RenderState.choices, default=RenderState.PENDING)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    render_error = models.CharField(max_length=200, blank=True)
    render_next_try_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("certificate")
        # The coordinator's certificate list reads its page of newest certificates from this index
        # (credits/report_selectors.py), however many there are.
        indexes = [models.Index(fields=["issued_at", "id"], name="certificate_issued_at_id")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="revoked") | models.Q(revoked_at__isnull=False),
                name="certificate_revoked_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} (rev. {self.revision})"

    def delete(self, *args, **kwargs):
        raise TypeError("Certificates are never deleted.")

    @property
    def pdf_is_late(self) -> bool:
        """No PDF yet and either a try failed or it is overdue: say so instead of "being prepared"."""
        if self.pdf or self.status == self.Status.REVOKED:
            return False
        if self.render_state == self.RenderState.FAILED:
            return True
        overdue = self.issued_at < timezone.now() - datetime.timedelta(minutes=RENDER_OVERDUE_MINUTES)
        return self.render_state == self.RenderState.PENDING and overdue

    @property
    def revoked_on(self) -> datetime.date | None:
        """The day of the revocation where the provider is: verification and every page show this day."""
        if self.revoked_at is None:
            return None
        try:  # as credits.provider_time.provider_zone (which imports the models): an unknown zone is UTC
            zone = zoneinfo.ZoneInfo(self.claim.activity.provider.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        return timezone.localtime(self.revoked_at, zone).date()


class CertificateRevision(_AppendOnly):
    """An earlier revision of a certificate, as it was printed, kept when a correction re-issues it."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="revisions")
    revision = models.PositiveSmallIntegerField()
    fields = models.JSONField(help_text=_("Every printed field of that revision."))
    pdf = models.FileField(upload_to="certificates/revisions/", blank=True)
    replaced_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["certificate", "revision"]
        verbose_name = _("certificate revision")
        constraints = [
            models.UniqueConstraint(fields=["certificate", "revision"], name="certificate_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.certificate} rev. {self.revision}"


class CorrectionRequest(models.Model):
    """A learner asks for a corrected certificate (e.g. their name); a coordinator approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the provider")
        APPROVED = "approved", _("Approved — re-issued")
        REJECTED = "rejected", _("Declined")

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="correction_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    learner_name = models.CharField(_("name as it should be printed"), max_length=400)
    degree = models.CharField(_("degree as it should be printed"), max_length=40)
    message = models.TextField(_("what is wrong"), max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("correction request")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"], condition=models.Q(status="pending"), name="correction_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate}: {self.get_status_display()}"
