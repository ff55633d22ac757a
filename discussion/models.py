"""The discussion under an episode: comments from the site and replies from the Fediverse, their
references (DOI, PMID, URL), helpful marks, pins and hides, the show's moderation rule, and the
corrections a host publishes on an episode. Nothing here is hard-deleted: a hidden or withdrawn
comment keeps its row and its audit trail."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from episodes.models import Episode, Show


class Moderation(models.TextChoices):
    AUTO_APPROVE_FOLLOWERS = "followers", _("Show comments from followers and site members at once")
    HOLD_LINKS = "links", _("Hold comments that contain links; show the rest")
    HOLD_ALL = "all", _("Hold every comment until a host approves it")


class ShowDiscussion(models.Model):
    """A show's discussion settings (a show without a row uses the defaults)."""

    show = models.OneToOneField(Show, on_delete=models.CASCADE, related_name="discussion_settings")
    moderation = models.CharField(
        _("moderation"), max_length=10, choices=Moderation.choices, default=Moderation.HOLD_LINKS
    )
    comments_open = models.BooleanField(_("comments open"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("show discussion settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(moderation__in=[m.value for m in Moderation]),
                name="show_discussion_moderation_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.show}: {self.get_moderation_display()}"


class Comment(models.Model):
    class Origin(models.TextChoices):
        SITE = "site", _("This site")
        REMOTE = "remote", _("Fediverse")

    class Status(models.TextChoices):
        HELD = "held", _("Held for moderation")
        SHOWN = "shown", _("Shown")
        HIDDEN = "hidden", _("Hidden")

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="comments")
    origin = models.CharField(max_length=6, choices=Origin.choices)
    # A site comment's author; a remote reply's author is named by the fields below.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="comments"
    )
    remote_actor_url = models.URLField(_("author's actor"), max_length=500, blank=True)
    remote_handle = models.CharField(_("author's handle"), max_length=255, blank=True)  # @name@domain
    remote_name = models.CharField(_("author's name"), max_length=255, blank=True)
    remote_object_id = models.URLField(_("ActivityPub id"), max_length=500, blank=True)
    remote_url = models.URLField(_("original"), max_length=500, blank=True)  # the post's web page
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    body_html = models.TextField(_("comment"))  # sanitised (nh3) before it is stored
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.HELD)
    held_reason = models.CharField(max_length=255, blank=True)
    hidden_reason = models.TextField(_("why hidden"), blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pinned_at = models.DateTimeField(null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Its author (or their server) deleted it: the row stays as a tombstone, its text is gone.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        indexes = [models.Index(fields=["episode", "status", "created_at"], name="comment_episode_status")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(origin="site", author__isnull=False) | Q(origin="remote", author__isnull=True))
                & ~Q(origin="remote", remote_object_id=""),
                name="comment_author_matches_origin",
            ),
            models.UniqueConstraint(
                fields=["remote_object_id"],
                condition=~Q(remote_object_id=""),
                name="comment_remote_object_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="hidden") | ~Q(hidden_reason=""), name="comment_hidden_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["held", "shown", "hidden"]), name="comment_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.episode_id}"

    def get_absolute_url(self) -> str:
        return f"{self.episode.get_absolute_url()}#comment-{self.pk}"


class CommentReference(models.Model):
    class Kind(models.TextChoices):
        DOI = "doi", "DOI"
        PMID = "pmid", "PMID"
        URL = "url", "URL"

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="references")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    value = models.CharField(max_length=500)  # normalised: "10.1056/nejmoa…", "12345678", an https URL
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("reference")
        constraints = [
            models.UniqueConstraint(fields=["comment", "kind", "value"], name="comment_reference_once"),
            models.CheckConstraint(
                condition=Q(kind__in=["doi", "pmid", "url"]), name="comment_reference_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class HelpfulMark(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="helpful_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("helpful mark")
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="helpful_mark_once")]

    def __str__(self) -> str:
        return f"helpful: {self.comment_id}"


class Correction(models.Model):
    """A correction a host publishes on an episode: shown on the episode page, dated in its feed item
    and federated as an update. Never edited or deleted: a correction of a correction is another row."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="corrections")
    text = models.TextField(_("correction"))  # plain text as the host wrote it (escaped when shown)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The comment that prompted it, when one did (peer review made visible).
    prompted_by = models.ForeignKey(
        Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )

    class Meta:
        ordering = ["published_at", "id"]
        verbose_name = _("correction")
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="correction_text_not_empty")]

    def __str__(self) -> str:
        return f"correction {self.pk} on {self.episode_id}"
