"""Download counting's tables: the raw request log, counted downloads, per-client byte coverage, daily totals.

The counting rules live in ``episodes/analytics/`` and the method is published in
docs/download-counting.md. Analytics rows follow their episode when it is deleted (CASCADE): they
describe nothing once the audio is gone, and Show -> Episode is PROTECTed already.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER_AGENT_MAX = 255
APP_MAX = 40


class DownloadRequest(models.Model):
    """One audio request as it was answered, counted or not (bots, HEAD and 304s included).

    Append-only and never read by the dashboard; it is the evidence behind the counts.
    """

    episode = models.ForeignKey("episodes.Episode", on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    # HMAC-SHA256 of the address (IPv6 cut to /64), keyed by SECRET_KEY: never the address itself.
    ip_hash = models.CharField(max_length=32)
    user_agent = models.CharField(max_length=USER_AGENT_MAX, blank=True)
    app = models.CharField(max_length=APP_MAX, blank=True)
    is_bot = models.BooleanField(default=False)
    method = models.CharField(max_length=8)
    status = models.PositiveSmallIntegerField()
    range_start = models.BigIntegerField(null=True, blank=True)
    range_end = models.BigIntegerField(null=True, blank=True)  # inclusive
    bytes_sent = models.BigIntegerField(default=0)
    counted = models.BooleanField(default=False, help_text=_("This request completed a counted download."))
    # A listener known through a personal feed; kept anonymous when the account is deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("download request")
        indexes = [models.Index(fields=["episode", "requested_at"], name="dlrequest_episode_time")]

    def __str__(self) -> str:
        return f"{self.method} {self.status} episode {self.episode_id} at {self.requested_at:%Y-%m-%d %H:%M}"


class Download(models.Model):
    """A counted download: one client (hashed IP + user agent) fetched enough of one episode."""

    episode = models.ForeignKey("episodes.Episode", on_delete=models.CASCADE, related_name="downloads")
    client_key = models.CharField(max_length=32)  # HMAC of IP (/64 for IPv6) + user agent
    first_requested_at = models.DateTimeField()
    counted_at = models.DateTimeField()
    app = models.CharField(max_length=APP_MAX, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="episode_downloads",
    )

    class Meta:
        verbose_name = _("download")
        indexes = [
            models.Index(fields=["episode", "counted_at"], name="download_episode_time"),
            # Listening evidence: "did this user download this episode?"
            models.Index(fields=["user", "episode"], name="download_user_episode"),
        ]

    def __str__(self) -> str:
        return f"episode {self.episode_id} ({self.app or '?'}) at {self.counted_at:%Y-%m-%d %H:%M}"


class ByteCoverage(models.Model):
    """What one client has fetched of one episode in its current 24-hour window.

    ``ranges`` holds the merged, sorted, inclusive byte ranges ``[[first, last], ...]`` fetched since
    ``window_start``; ``counted_at`` is set when they first covered the threshold, and while it is less
    than 24 hours old the client's further requests count for nothing (IAB de-duplication).
    """

    episode = models.ForeignKey("episodes.Episode", on_delete=models.CASCADE, related_name="+")
    client_key = models.CharField(max_length=32)
    window_start = models.DateTimeField()
    ranges = models.JSONField(default=list)
    covered = models.BigIntegerField(default=0)
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("byte coverage")
        constraints = [
            models.UniqueConstraint(fields=["episode", "client_key"], name="coverage_unique_client_episode")
        ]

    def __str__(self) -> str:
        return f"episode {self.episode_id}: {self.covered} bytes"


class DailyEpisodeDownloads(models.Model):
    """Counted downloads per episode, day and app, updated as each download is counted.

    The dashboard reads only this table. ``show`` repeats ``episode.show`` so a show's figures come
    from one index range without a join.
    """

    show = models.ForeignKey("episodes.Show", on_delete=models.CASCADE, related_name="+")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.CASCADE, related_name="daily_downloads")
    day = models.DateField()
    app = models.CharField(max_length=APP_MAX, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily episode downloads")
        verbose_name_plural = _("daily episode downloads")
        constraints = [
            models.UniqueConstraint(fields=["episode", "day", "app"], name="daily_unique_episode_day_app")
        ]
        indexes = [models.Index(fields=["show", "day"], name="daily_show_day")]

    def __str__(self) -> str:
        return f"episode {self.episode_id} {self.day} {self.app or '?'}: {self.count}"
