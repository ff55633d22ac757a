"""Personal access tokens for the public API: what a user gives an integration instead of their password."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PersonalAccessTokenQuerySet(models.QuerySet):
    def active(self, now=None) -> "PersonalAccessTokenQuerySet":
        """Neither revoked nor expired (a token without an expiry lasts until it is revoked)."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class PersonalAccessToken(models.Model):
    """A bearer token for /api/v1/, owned by one user. Only the SHA-256 of its secret is stored (the
    secret has 238 random bits, so a plain hash cannot be brute-forced and a lookup is one indexed
    query); ``prefix`` (the first characters) lets the owner tell tokens apart. Never deleted: a
    revoked token stays, with when it was revoked (api/tokens.py)."""

    class Scope(models.TextChoices):
        READ = "read", _("Read: your records and public data")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses this token, e.g. 'Hospital LMS'.")
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PersonalAccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("personal access token")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=["read", "write"]), name="api_token_scope_known"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="api_token_has_name"),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        """A write token may also read."""
        return self.scope == scope or self.scope == self.Scope.WRITE

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"
