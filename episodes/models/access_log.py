"""Where the access-log ingester stopped in each log file (episodes/analytics/access_log.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessLogCursor(models.Model):
    """One nginx log file, known by its identity (device, inode, hash of its first line), and the
    offset up to which its lines are recorded.

    The identity survives logrotate's rename (``access.json`` becomes ``access.json.1``, same inode),
    so a renamed file is read on from where it was left, never again from the start; a new file at
    the old name (a new inode, or a reused inode with another first line) gets a cursor of its own.
    The offset moves in the same transaction as the requests it covers: a crash records a line
    either with its offset or not at all.
    """

    device = models.BigIntegerField()
    inode = models.BigIntegerField()
    first_line_sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=500, help_text=_("Where the file was last read (for people)."))
    offset = models.BigIntegerField(default=0)
    lines = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("access log cursor")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "inode", "first_line_sha256"], name="access_log_cursor_unique_file"
            ),
            models.CheckConstraint(condition=models.Q(offset__gte=0), name="access_log_cursor_offset_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.path} @ {self.offset}"
