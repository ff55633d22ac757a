"""Shows, episodes, their people and topics: what a podcast host stores and a feed publishes."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from ..artwork import current_renditions, feed_width_of, rendition_stem
from ..categories import CATEGORY_CHOICES, SUBCATEGORY_CHOICES

# Podcasting 2.0: podcast:guid is a UUIDv5 of the feed URL (no scheme, no trailing slash).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


# Ogg audio is stored as "audio/ogg; codecs=vorbis" or "audio/ogg; codecs=opus" (episodes/audio.py).
OGG_MEDIA_TYPE = "audio/ogg"
# Apple Podcasts takes MP3 and M4A (AAC) audio, not Ogg: episodes are "M4A, MP3, MOV, MP4, M4V, or
# PDF" (Apple's "How to Create an Episode", itunespartner.apple.com/podcasts/articles/
# how-to-create-an-episode-3060; the enclosure types of help.apple.com/itc/podcasts_connect/#/itcb54353390
# are audio/x-m4a, audio/mpeg, video/quicktime, video/mp4, video/x-m4v and application/pdf).
APPLE_AUDIO_EXTENSIONS = frozenset({"mp3", "m4a"})


def audio_media_type(mime: str) -> str:
    """The media type without parameters ("audio/ogg; codecs=opus" -> "audio/ogg"): what the feed's
    enclosure says. Apps match the type itself; the codec is in the URL's extension (.opus), as the
    Podcasting 2.0 podcast:alternateEnclosure keeps codecs in an attribute of their own."""
    return mime.split(";", 1)[0].strip().lower()


def audio_extension_of(mime: str) -> str:
    """The file extension of an episode's audio URL, from its MIME type (MP3 unless MP4 or Ogg audio).

    Ogg Opus ends in ".opus" (RFC 7845 section 9 recommends it), Ogg Vorbis in ".ogg".
    """
    media_type = audio_media_type(mime)
    if media_type == OGG_MEDIA_TYPE:
        return "opus" if "codecs=opus" in mime.replace(" ", "").lower() else "ogg"
    return {"audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/x-m4a": "m4a", "audio/opus": "opus"}.get(
        media_type, "mp3"
    )


def apple_accepts_audio(mime: str) -> bool:
    """False for audio Apple Podcasts leaves out of a show (Ogg Vorbis, Opus): other apps play it."""
    return audio_extension_of(mime) in APPLE_AUDIO_EXTENSIONS


def podcast_guid_for(feed_url: str) -> uuid.UUID:
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return uuid.uuid5(PODCAST_GUID_NAMESPACE, bare)


def _rendition_url(obj, url_name: str, key, width: int | None) -> str:
    """The URL of ``obj``'s artwork rendition ``width`` px wide (None: the feed's, 1400-3000 px).

    Until renditions are made from the artwork stored now (``manage.py artwork_renditions``), the
    original's URL: it was checked against Apple's rules when it was uploaded.
    """
    widths = current_renditions(obj.artwork, obj.artwork_renditions)
    name = widths.get(width if width is not None else feed_width_of(widths) or 0)
    if not name:
        return obj.get_artwork_url()
    return reverse(url_name, args=[key, rendition_stem(name)])


def _show_artwork_path(instance, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()
    return f"artwork/shows/{instance.slug}-{uuid.uuid4().hex[:8]}.{ext}"


def _episode_file(kind: str, instance, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{kind}/{instance.show.slug}/{instance.slug}-{uuid.uuid4().hex[:8]}.{ext}"


def episode_audio_path(instance, filename: str) -> str:
    return _episode_file("audio", instance, filename)


def episode_artwork_path(instance, filename: str) -> str:
    return _episode_file("artwork", instance, filename)


def episode_transcript_path(instance, filename: str) -> str:
    return _episode_file("transcripts", instance, filename)


def episode_chapters_path(instance, filename: str) -> str:
    return _episode_file("chapters", instance, filename)


topic_name_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$",
    _("A topic is one word of letters, digits, - or _ (like POCUS or airway), without the #."),
)


class Topic(models.Model):
    """A hashtag-like topic (#POCUS, #airway), shared across shows."""

    name = models.CharField(_("name"), max_length=50, validators=[topic_name_validator])
    slug = models.SlugField(_("slug"), max_length=50, unique=True)

    class Meta:
        ordering = [Lower("name")]
        verbose_name = _("topic")
        constraints = [models.UniqueConstraint(Lower("name"), name="topic_name_ci_unique")]

    def __str__(self) -> str:
        return f"#{self.name}"

    def get_absolute_url(self) -> str:
        return reverse("episodes:topic", args=[self.slug])


class ShowType(models.TextChoices):
    EPISODIC = "episodic", _("Episodic (newest first)")
    SERIAL = "serial", _("Serial (oldest first)")


class Show(models.Model):
    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(
        _("description"), max_length=4000, help_text=_("Plain text, up to 4000 characters.")
    )
    author = models.CharField(_("author"), max_length=255)
    owner_name = models.CharField(_("owner name"), max_length=255)
    owner_email = models.EmailField(_("owner email"))
    language = models.CharField(_("language"), max_length=10, default="en")
    artwork = models.ImageField(_("artwork"), upload_to=_show_artwork_path, blank=True)
    category = models.CharField(
        _("Apple category"), max_length=40, choices=CATEGORY_CHOICES, default="Health & Fitness"
    )
    subcategory = models.CharField(
        _("Apple subcategory"), max_length=40, choices=SUBCATEGORY_CHOICES, blank=True, default="Medicine"
    )
    explicit = models.BooleanField(_("explicit"), default=False)
    show_type = models.CharField(
        _("type"), max_length=10, choices=ShowType.choices, default=ShowType.EPISODIC
    )
    website = models.URLField(_("website"), blank=True)
    copyright = models.CharField(_("copyright"), max_length=255, blank=True)
    funding_url = models.URLField(_("funding URL"), blank=True)
    funding_label = models.CharField(_("funding label"), max_length=128, blank=True)
    locked = models.BooleanField(
        _("locked"), default=True, help_text=_("podcast:locked — other hosts may not import this feed.")
    )
    complete = models.BooleanField(_("complete"), default=False, help_text=_("No more episodes will come."))
    podcast_guid = models.UUIDField(_("podcast:guid"), editable=False, unique=True, null=True)
    new_feed_url = models.URLField(
        _("new feed URL"), blank=True, help_text=_("Only when the show moves away: apps follow it.")
    )
    # Set when the host moves the show away (issue 16): the old feed then redirects to new_feed_url.
    moved_away_at = models.DateTimeField(_("moved away at"), null=True, blank=True)
    feed_episode_limit = models.PositiveIntegerField(
        _("episodes in the feed"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Publish only the newest N episodes in the public feed. Empty: all."),
    )
    # Resized JPEG renditions of the artwork: {"<width>": "<storage name>"}.
    artwork_renditions = models.JSONField(default=dict, blank=True, editable=False)
    hosts: models.ManyToManyField[User, "ShowHost"] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ShowHost", related_name="hosted_shows", blank=True
    )
    # Bumped by every service that changes what the feed says; the feed cache keys on it.
    content_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("show")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("episodes:show", args=[self.slug])

    def get_feed_url(self) -> str:
        return reverse("episodes:feed", args=[self.slug])

    @property
    def feed_url(self) -> str:
        """The absolute, public feed URL (SITE_URL)."""
        return settings.SITE_URL + self.get_feed_url()

    def get_artwork_url(self) -> str:
        if not self.artwork:
            return ""
        ext = self.artwork.name.rsplit(".", 1)[-1].lower()
        return reverse("episodes:show_artwork", args=[self.slug, "jpg" if ext == "jpeg" else ext])

    def get_artwork_rendition_url(self, width: int | None = None) -> str:
        """A JPEG rendition of the artwork ``width`` px wide (episodes/artwork.py PAGE_WIDTHS)."""
        return _rendition_url(self, "episodes:show_artwork_rendition", self.slug, width)

    def get_feed_artwork_url(self) -> str:
        """The feed's itunes:image: a square RGB JPEG of 1400-3000 px made from the artwork."""
        return _rendition_url(self, "episodes:show_artwork_rendition", self.slug, None)


class ShowHost(models.Model):
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="host_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("host membership")
        constraints = [models.UniqueConstraint(fields=["show", "user"], name="host_unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.show}"


class EpisodeQuerySet(models.QuerySet):
    def published(self, now=None) -> "EpisodeQuerySet":
        """Public now: published, and its publish time (if any) has come. No cron job needed."""
        return self.filter(status=Episode.Status.PUBLISHED, publish_at__lte=now or timezone.now())

    def newest_first(self) -> "EpisodeQuerySet":
        return self.order_by("-publish_at", "-id")


class NotesFormat(models.TextChoices):
    MARKDOWN = "markdown", _("Markdown")
    HTML = "html", _("HTML (imported, sanitised)")
    TEXT = "text", _("Plain text")


class Episode(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class EpisodeType(models.TextChoices):
        FULL = "full", _("Full")
        TRAILER = "trailer", _("Trailer")
        BONUS = "bonus", _("Bonus")

    class TranscriptType(models.TextChoices):
        VTT = "text/vtt", "WebVTT"
        SRT = "application/x-subrip", "SRT"

    show = models.ForeignKey(Show, on_delete=models.PROTECT, related_name="episodes")
    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=100)
    guid = models.CharField(_("guid"), max_length=500, editable=False, default="")
    notes = models.TextField(_("show notes"), blank=True, help_text=_("Markdown."))
    notes_format = models.CharField(
        _("notes format"), max_length=10, choices=NotesFormat.choices, default=NotesFormat.MARKDOWN
    )
    notes_html = models.TextField(editable=False, blank=True)
    # An imported guid longer than the guid column: the column holds its hash, this the original.
    source_guid = models.TextField(_("original guid"), blank=True, editable=False)
    audio = models.FileField(_("audio file"), upload_to=episode_audio_path, max_length=255)
    audio_mime = models.CharField(max_length=40, editable=False)
    audio_size = models.BigIntegerField(editable=False, validators=[MinValueValidator(1)])
    audio_duration = models.FloatField(editable=False, help_text=_("Seconds."))
    audio_bitrate = models.PositiveIntegerField(editable=False, help_text=_("Bits per second."))
    season = models.PositiveIntegerField(_("season"), null=True, blank=True)
    number = models.PositiveIntegerField(
        _("episode number"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    episode_type = models.CharField(
        _("episode type"), max_length=10, choices=EpisodeType.choices, default=EpisodeType.FULL
    )
    explicit = models.BooleanField(_("explicit"), default=False)
    artwork = models.ImageField(_("episode artwork"), upload_to=episode_artwork_path, blank=True)
    artwork_renditions = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        _("publish at"), null=True, blank=True, help_text=_("Leave empty to publish now.")
    )
    transcript = models.FileField(_("transcript"), upload_to=episode_transcript_path, blank=True)
    transcript_type = models.CharField(max_length=40, choices=TranscriptType.choices, blank=True)
    chapters = models.FileField(_("chapters (JSON)"), upload_to=episode_chapters_path, blank=True)
    topics = models.ManyToManyField(Topic, related_name="episodes", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-id"]
        verbose_name = _("episode")
        constraints = [
            models.UniqueConstraint(fields=["show", "slug"], name="episode_unique_slug_per_show"),
            models.UniqueConstraint(fields=["show", "guid"], name="episode_unique_guid_per_show"),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(publish_at__isnull=False),
                name="episode_published_has_time",
            ),
            models.CheckConstraint(condition=~models.Q(guid=""), name="episode_guid_not_empty"),
            models.CheckConstraint(
                condition=models.Q(number__isnull=True) | models.Q(number__gte=1),
                name="episode_number_positive",
            ),
        ]
        indexes = [models.Index(fields=["show", "status", "publish_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("episodes:episode", args=[self.show.slug, self.slug])

    @property
    def audio_extension(self) -> str:
        return audio_extension_of(self.audio_mime)

    @property
    def apple_accepts_audio(self) -> bool:
        return apple_accepts_audio(self.audio_mime)

    def get_audio_url(self) -> str:
        """Stable ASCII URL ending in the file's extension; the bytes come from our range-aware view."""
        return reverse("episodes:audio", args=[self.pk, self.slug, self.audio_extension])

    @property
    def audio_url(self) -> str:
        return settings.SITE_URL + self.get_audio_url()

    def get_transcript_url(self) -> str:
        if not self.transcript:
            return ""
        ext = "vtt" if self.transcript_type == self.TranscriptType.VTT else "srt"
        return reverse("episodes:transcript", args=[self.pk, ext])

    def get_chapters_url(self) -> str:
        return reverse("episodes:chapters", args=[self.pk]) if self.chapters else ""

    def get_artwork_url(self) -> str:
        if not self.artwork:
            return ""
        ext = self.artwork.name.rsplit(".", 1)[-1].lower()
        return reverse("episodes:episode_artwork", args=[self.pk, "jpg" if ext == "jpeg" else ext])

    def get_artwork_rendition_url(self, width: int | None = None) -> str:
        """A JPEG rendition of the episode's own artwork ``width`` px wide ("" without one)."""
        return _rendition_url(self, "episodes:episode_artwork_rendition", self.pk, width)

    def get_feed_artwork_url(self) -> str:
        """The item's itunes:image: a square RGB JPEG of 1400-3000 px ("" without own artwork)."""
        return _rendition_url(self, "episodes:episode_artwork_rendition", self.pk, None)

    @property
    def is_public(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= timezone.now()
        )

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.publish_at is not None and not self.is_public


class TranscriptText(models.Model):
    """An episode's transcript as its page shows it, read from the file once, when it was stored.

    A row of its own, not a field of Episode: lists and feeds load episodes by the dozen and must
    not carry megabytes of text they never show. No row: no transcript text to show.
    """

    episode = models.OneToOneField(
        Episode, on_delete=models.CASCADE, primary_key=True, related_name="transcript_text"
    )
    # [[start seconds, speaker, text], ...]: one speaker's consecutive cues make one paragraph.
    paragraphs = models.JSONField(default=list, blank=True)
    cue_count = models.PositiveIntegerField(default=0)
    # False only for files stored before the limits existed: the page shows the cues within them.
    complete = models.BooleanField(default=True)
    parsed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("transcript text")

    def __str__(self) -> str:
        return f"{self.episode_id}: {self.cue_count} cues"


class EpisodePerson(models.Model):
    """podcast:person — who is heard in the episode and in what role."""

    class Role(models.TextChoices):
        HOST = "host", _("Host")
        GUEST = "guest", _("Guest")
        FACULTY = "faculty", _("Faculty")

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="persons")
    name = models.CharField(_("name"), max_length=128)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.GUEST)
    credentials = models.CharField(_("credentials"), max_length=64, blank=True)
    href = models.URLField(_("profile link"), blank=True)
    img = models.URLField(_("photo URL"), blank=True)
    position = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(1000)])

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("person")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class PersonalFeed(models.Model):
    """A listener's private feed of one show; its token makes their downloads theirs.

    The token is never stored: only its SHA-256 (for lookup) and a random nonce from which the
    server derives it again with its secret key (so the account page can show the URL again).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_feeds"
    )
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="personal_feeds")
    nonce = models.CharField(max_length=64, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("personal feed")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "show"],
                condition=models.Q(revoked_at__isnull=True),
                name="personal_feed_one_active_per_show",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.show}"
