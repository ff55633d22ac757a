"""Outgoing webhooks: the endpoints a provider's coordinators or a show's hosts register, and one
delivery row per event and endpoint (its attempts, its answer, its give-up). docs/webhooks.md."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.models import Provider
from episodes.models import Show

CLAIM_CREATED = "claim.created"
CERTIFICATE_ISSUED = "certificate.issued"
CERTIFICATE_REVOKED = "certificate.revoked"
EPISODE_PUBLISHED = "episode.published"

# Which events each kind of owner may subscribe to: a provider hears of its activities' claims and
# certificates, a show of its episodes.
PROVIDER_EVENTS = (CLAIM_CREATED, CERTIFICATE_ISSUED, CERTIFICATE_REVOKED)
SHOW_EVENTS = (EPISODE_PUBLISHED,)
EVENT_LABELS = {
    CLAIM_CREATED: _("claim.created: a learner claimed credit for one of your activities"),
    CERTIFICATE_ISSUED: _("certificate.issued: a certificate was issued"),
    CERTIFICATE_REVOKED: _("certificate.revoked: a certificate was revoked"),
    EPISODE_PUBLISHED: _("episode.published: an episode became public"),
}
URL_MAX_LENGTH = 2000


class WebhookEndpoint(models.Model):
    """A URL that receives signed POSTs for the events chosen; owned by a provider or by a show."""

    class DisabledBy(models.TextChoices):
        OWNER = "owner", _("Disabled by its owner")
        FAILURES = "failures", _("Disabled after repeated failed deliveries")

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="webhook_endpoints"
    )
    show = models.ForeignKey(
        Show, on_delete=models.PROTECT, null=True, blank=True, related_name="webhook_endpoints"
    )
    url = models.CharField(_("URL"), max_length=URL_MAX_LENGTH)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # The signing key, "whsec_" + base64 (the Standard Webhooks form). Kept readable because every
    # delivery is signed with it; shown to the owner once, when it is made.
    secret = models.CharField(max_length=100, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_by = models.CharField(max_length=10, choices=DisabledBy.choices, blank=True)
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text=_("Deliveries given up in a row since the last success.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook endpoint")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(provider__isnull=False) & models.Q(show__isnull=True))
                | (models.Q(provider__isnull=True) & models.Q(show__isnull=False)),
                name="webhook_endpoint_one_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True) | models.Q(disabled_at__isnull=False),
                name="webhook_endpoint_disabled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def owner(self) -> Provider | Show:
        owner = self.provider or self.show
        assert owner is not None  # a database constraint: exactly one
        return owner


class WebhookDelivery(models.Model):
    """One event for one endpoint: the same id and body on every attempt (the receiver deduplicates
    by the id), a fresh timestamp and signature each time."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (given up)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    # What the event is about, so that one event reaches an endpoint once ("claim.created:12",
    # "episode.published:7:<publish time>"): a listener called twice writes nothing the second time.
    event_key = models.CharField(max_length=120)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Pending: when the next attempt is due (while one is being sent: when it counts as lost).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_key"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.uuid}"
