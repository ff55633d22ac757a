"""MOC (continuing certification) through ACCME PARS: which boards an activity is registered with,
and each learner's consent, given at claim time, to report their completion to a board.

Only the eight boards that take MOC data through PARS (docs/cme-rules.md "Reporting to boards"):
ABFM, ABEM and NCCPA are not PARS boards and are refused (credits/moc.py). What a registration
offers is frozen in the activity's version (credits/versions.py, content key ``moc``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .activities import Activity
from .records import CreditClaim, RecordQuerySet, _AppendOnly


class MocBoard(models.TextChoices):
    ABA = "ABA", _("American Board of Anesthesiology (ABA)")
    ABIM = "ABIM", _("American Board of Internal Medicine (ABIM)")
    ABOS = "ABOS", _("American Board of Orthopaedic Surgery (ABOS)")
    ABOHNS = "ABOHNS", _("American Board of Otolaryngology – Head and Neck Surgery (ABOHNS)")
    ABPATH = "ABPath", _("American Board of Pathology (ABPath)")
    ABP = "ABP", _("American Board of Pediatrics (ABP)")
    ABS = "ABS", _("American Board of Surgery (ABS)")
    ABTS = "ABTS", _("American Board of Thoracic Surgery (ABTS)")


class MocRegistration(models.Model):
    """The activity is registered in PARS for ``board``'s MOC, for ``points`` of ``credit_type``."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="moc_registrations")
    board = models.CharField(_("board"), max_length=8, choices=MocBoard.choices)
    credit_type = models.CharField(_("MOC credit type"), max_length=8)
    points = models.DecimalField(_("MOC points"), max_digits=5, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("MOC registration")
        ordering = ["board"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "board"], name="moc_registration_one_per_board"),
            models.CheckConstraint(condition=models.Q(points__gt=0), name="moc_registration_points_positive"),
            models.CheckConstraint(
                condition=models.Q(board__in=MocBoard.values), name="moc_registration_pars_board"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.board} {self.credit_type} {self.points}"


class MocOptIn(_AppendOnly):
    """The learner's consent, given with their claim, to report the completion to ``board``: with the
    board id and birth month/day they gave then. Never changed or deleted."""

    claim = models.ForeignKey(CreditClaim, on_delete=models.PROTECT, related_name="moc_optins")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    board = models.CharField(_("board"), max_length=8, choices=MocBoard.choices)
    board_id = models.CharField(_("board ID"), max_length=20, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("birth month"))
    birth_day = models.PositiveSmallIntegerField(_("birth day"))
    credit_type = models.CharField(_("MOC credit type"), max_length=8)
    points = models.DecimalField(_("MOC points"), max_digits=5, decimal_places=2)
    consented_at = models.DateTimeField(_("consent given at"))

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("MOC opt-in")
        ordering = ["claim", "board"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "board"], name="moc_optin_one_per_board"),
            models.CheckConstraint(
                condition=models.Q(board__in=MocBoard.values), name="moc_optin_pars_board"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    birth_month__gte=1, birth_month__lte=12, birth_day__gte=1, birth_day__lte=31
                ),
                name="moc_optin_birth_month_day_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.board} {self.board_id}"


class ParsLearnerBatch(_AppendOnly):
    """One learner file sent (downloaded) for PARS: its rows are ``ParsLearnerReport`` rows. The next
    batch holds only what is new since: adds, deletes of revoked credit, delete + add of corrections."""

    provider = models.ForeignKey("credits.Provider", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    start = models.DateField()
    end = models.DateField()

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("PARS learner batch")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"PARS batch {self.pk} ({self.start}–{self.end})"


class ParsLearnerReport(_AppendOnly):
    """A row of a batch: the certificate, Add or Delete, and the row's cells exactly as sent."""

    class Action(models.TextChoices):
        ADD = "Add", "Add"
        DELETE = "Delete", "Delete"

    batch = models.ForeignKey(ParsLearnerBatch, on_delete=models.PROTECT, related_name="reports")
    certificate = models.ForeignKey(
        "credits.Certificate", on_delete=models.PROTECT, related_name="pars_reports"
    )
    action = models.CharField(max_length=6, choices=Action.choices)
    cells = models.JSONField()

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("PARS learner report row")
        ordering = ["batch", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=["Add", "Delete"]), name="pars_report_action"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} certificate {self.certificate_id}"
