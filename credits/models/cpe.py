"""ACPE credit reported to CPE Monitor (credits/cpe_monitor.py, docs/cpe-monitor.md): what was sent,
when, and what a coordinator corrected by hand in CPE Monitor since.

A batch is either a file (``kind`` "file": the rows added, as sent) or a record of corrections made by
hand in ACPE's own tool (``kind`` "manual": rows "removed" or "corrected", with the cells as CPE Monitor
now holds them). Each certificate's last row tells what CPE Monitor holds for it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .records import RecordQuerySet, _AppendOnly


class CpeMonitorBatch(_AppendOnly):
    class Kind(models.TextChoices):
        FILE = "file", _("File sent to CPE Monitor")
        MANUAL = "manual", _("Corrections made by hand in CPE Monitor")

    provider = models.ForeignKey("credits.Provider", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.FILE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("CPE Monitor batch")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["file", "manual"]), name="cpe_batch_kind"),
        ]

    def __str__(self) -> str:
        return f"CPE Monitor batch {self.pk} ({self.kind})"


class CpeMonitorReport(_AppendOnly):
    """One completion in a batch: added (sent in the file), or removed / corrected by hand; ``cells``
    are the record's fields as CPE Monitor holds them after this row ({field: value})."""

    class Action(models.TextChoices):
        ADD = "add", _("Added")
        REMOVED = "removed", _("Removed by hand")
        CORRECTED = "corrected", _("Corrected by hand")

    batch = models.ForeignKey(CpeMonitorBatch, on_delete=models.PROTECT, related_name="reports")
    certificate = models.ForeignKey(
        "credits.Certificate", on_delete=models.PROTECT, related_name="cpe_monitor_reports"
    )
    action = models.CharField(max_length=9, choices=Action.choices)
    cells = models.JSONField()

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("CPE Monitor report row")
        ordering = ["batch", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=["add", "removed", "corrected"]), name="cpe_report_action"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} certificate {self.certificate_id}"
