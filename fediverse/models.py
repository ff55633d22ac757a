"""ActivityPub state: each show's signing key, the remote actors we know, who follows a show,
what we published (so updates and deletions reach the same objects), what we must deliver, what
we received (so a replayed activity is refused) and the domains that are blocked."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from discussion.models import Comment
from episodes.models import Episode, Show


class ActorKey(models.Model):
    """A show actor's RSA key pair; the private key never leaves the server (only the public key is
    published, in the actor document)."""

    show = models.OneToOneField(Show, on_delete=models.PROTECT, related_name="actor_key")
    public_key_pem = models.TextField()
    private_key_pem = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("actor key")

    def __str__(self) -> str:
        return f"key of {self.show}"


class RemoteActor(models.Model):
    """An actor on another server, as last fetched (signed fetch of its actor document)."""

    url = models.URLField(_("actor id"), max_length=500, unique=True)
    domain = models.CharField(max_length=255, db_index=True)  # lower case, the host of ``url``
    preferred_username = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    inbox = models.URLField(max_length=500)
    shared_inbox = models.URLField(max_length=500, blank=True)
    public_key_id = models.URLField(max_length=500, blank=True)
    public_key_pem = models.TextField(blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    # Its server answered that it is gone (410, or a Delete of the actor): nothing more is sent.
    gone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("remote actor")

    def __str__(self) -> str:
        return self.handle or self.url

    @property
    def handle(self) -> str:
        return f"@{self.preferred_username}@{self.domain}" if self.preferred_username else ""


class Follower(models.Model):
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="fediverse_followers")
    actor = models.ForeignKey(RemoteActor, on_delete=models.CASCADE, related_name="follows")
    follow_activity_id = models.URLField(max_length=500)
    accepted_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)  # Undo Follow, a block, or the actor gone

    class Meta:
        verbose_name = _("follower")
        constraints = [
            models.UniqueConstraint(
                fields=["show", "actor"], condition=Q(ended_at__isnull=True), name="follower_once_per_show"
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor} follows {self.show}"


class BlockedDomain(models.Model):
    """A server nobody here delivers to or accepts from: for one show (a host's block) or for the
    whole site (the operator's, ``show`` empty)."""

    domain = models.CharField(_("domain"), max_length=255)  # lower case; blocks its subdomains too
    show = models.ForeignKey(
        Show, on_delete=models.CASCADE, null=True, blank=True, related_name="blocked_domains"
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("blocked domain")
        constraints = [
            models.UniqueConstraint(fields=["domain", "show"], name="blocked_domain_once_per_show"),
            models.UniqueConstraint(
                fields=["domain"], condition=Q(show__isnull=True), name="blocked_domain_once_sitewide"
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class FederatedObject(models.Model):
    """An object we published (an episode's post, a site comment as the show's reply): its id, and a
    digest of what was last sent, so a change is sent once as an Update and a removal as a Delete."""

    class Kind(models.TextChoices):
        EPISODE = "episode", _("Episode")
        COMMENT = "comment", _("Comment")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="federated_objects")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    content_digest = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("federated object")
        constraints = [
            models.UniqueConstraint(
                fields=["episode"], condition=Q(kind="episode"), name="federated_episode_once"
            ),
            models.UniqueConstraint(
                fields=["comment"], condition=Q(kind="comment"), name="federated_comment_once"
            ),
            models.CheckConstraint(
                condition=Q(kind="episode", episode__isnull=False, comment__isnull=True)
                | Q(kind="comment", comment__isnull=False),
                name="federated_object_kind_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.episode_id or self.comment_id}"


class Delivery(models.Model):
    """One activity to one inbox (a shared inbox serves all its followers on that server)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        GIVEN_UP = "given_up", _("Given up")
        BLOCKED = "blocked", _("Not sent: domain blocked")

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="deliveries")
    inbox = models.URLField(max_length=500)
    domain = models.CharField(max_length=255, db_index=True)
    activity = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status", "next_try_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.activity.get('type')} to {self.inbox} ({self.status})"


class InboxActivity(models.Model):
    """An activity received (signature checked): its id is taken once, so a replay is refused."""

    activity_id = models.URLField(max_length=500, unique=True)
    actor_url = models.URLField(max_length=500)
    type = models.CharField(max_length=40)
    show = models.ForeignKey(Show, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=40)  # "accepted", "ignored: <why>"
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("received activity")
        verbose_name_plural = _("received activities")

    def __str__(self) -> str:
        return f"{self.type} {self.activity_id}"
