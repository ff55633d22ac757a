"""Importing a podcast: the refusals made before writing, and the import itself."""

import io
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record

from ..artwork import EXTENSION_BY_FORMAT, MAX_ARTWORK_BYTES, artwork_format
from ..audio import AudioError
from ..audit_actions import EpisodeAction
from ..models import Episode, Show
from ..services import PublishingError, episode_create, show_create
from .common import (
    AUDIO_EXTENSIONS,
    DEFAULT_TIMEOUT,
    FALLBACK_CATEGORY,
    EpisodeImportError,
    FeedChannel,
    FeedEntry,
    FeedImportError,
    ImportProgress,
    ImportResult,
    ParsedFeed,
)
from .fetch import _copy, _open, fetch_feed
from .parse import _extension_of, _plain_text, _valid_email, _valid_url, map_category, parse_feed

# --- Refusals made before anything is written --------------------------------------------------


def check_lock(channel: FeedChannel, owner_email: str) -> None:
    """Honour podcast:locked: only the owner, proving it with the owner's email, may move the show."""
    if not channel.locked:
        return
    owners = {email.strip().lower() for email in (channel.locked_owner, channel.owner_email) if email.strip()}
    if not owner_email:
        raise FeedImportError(
            _(
                "This feed is locked (podcast:locked is yes): its owner does not allow other hosts to "
                "import it. If you are the owner, pass --owner-email with the owner's email address "
                "(the one in the feed's podcast:locked or itunes:owner)."
            )
        )
    if owner_email.strip().lower() not in owners:
        raise FeedImportError(
            _(
                "This feed is locked (podcast:locked is yes) and %(email)s is not its owner's email "
                "address: it cannot be imported."
            )
            % {"email": owner_email}
        )


def _is_host(show: Show, user: User) -> bool:
    return show.memberships.filter(user=user).exists()


def _known_guids(show: Show) -> set[str]:
    return set(Episode.objects.filter(show=show).values_list("guid", flat=True))


def _existing_show(slug: str, feed: ParsedFeed, *, slug_given: bool, host: User | None) -> Show | None:
    show = Show.objects.filter(slug=slug).first()
    if show is None:
        return None
    if host is not None and not _is_host(show, host):
        raise FeedImportError(
            _("The show “%(slug)s” exists and %(email)s is not one of its hosts.")
            % {"slug": slug, "email": host.email}
        )
    if not slug_given:
        # The slug came from the title, and an unrelated show may have it. Resume only into a show
        # holding some of this feed's episodes, or an empty one an earlier import created (a first
        # run that got no audio at all).
        guids = _known_guids(show)
        related = bool(guids & {entry.guid for entry in feed.entries}) or (
            not guids
            and AuditEvent.objects.for_object(show).filter(action=EpisodeAction.SHOW_IMPORTED).exists()
        )
        if not related:
            raise FeedImportError(
                _(
                    "A show with the slug “%(slug)s” already exists and holds none of this feed's "
                    "episodes. Pass --show with another slug (or with this one to import into it)."
                )
                % {"slug": slug}
            )
    return show


# --- Writing -----------------------------------------------------------------------------------


def _fetch_artwork(url: str, timeout: float, warnings: list[str]) -> ContentFile | None:
    """The show's artwork when it meets our rules; otherwise a warning and no artwork."""
    if not url:
        warnings.append(_("The feed has no artwork: the show is imported without any."))
        return None
    buffer = io.BytesIO()
    try:
        with _open(url, timeout, EpisodeImportError) as response:
            _copy(
                response,
                buffer,
                url=url,
                limit=MAX_ARTWORK_BYTES,
                timeout=timeout,
                error_class=EpisodeImportError,
            )
        image_format = artwork_format(buffer)
    except EpisodeImportError as error:
        warnings.append(_("Artwork not imported: %(error)s") % {"error": error})
        return None
    except ValidationError as error:
        warnings.append(_("Artwork not imported: %(error)s") % {"error": " ".join(error.messages)})
        return None
    return ContentFile(buffer.getvalue(), name=f"artwork.{EXTENSION_BY_FORMAT[image_format]}")


def _show_data(channel: FeedChannel, slug: str, owner_email: str, host: User | None, warnings: list[str]):
    email = (
        _valid_email(channel.owner_email)
        or _valid_email(channel.locked_owner)
        or _valid_email(owner_email)
        or (host.email if host is not None else "")
    )
    if not email:
        raise FeedImportError(
            _("The feed names no owner email (itunes:owner): pass --owner-email or --host to give one.")
        )
    description = _plain_text(channel.description)
    if len(description) > 4000:
        warnings.append(_("The show description was cut to 4000 characters."))
        description = description[:4000].rstrip()
    mapped = map_category(channel.category, channel.subcategory)
    if mapped is None:
        mapped = FALLBACK_CATEGORY
        warnings.append(
            _(
                "The feed's category “%(category)s” is not in Apple's list: "
                "the show is filed under %(fallback)s."
            )
            % {"category": channel.category or "—", "fallback": " › ".join(FALLBACK_CATEGORY)}
        )
    author = channel.author or channel.owner_name or channel.title
    language = channel.language.strip().lower()[:10] or "en"
    return {
        "title": channel.title[:255],
        "slug": slug,
        "description": description or channel.title,
        "author": author[:255],
        "owner_name": (channel.owner_name or author)[:255],
        "owner_email": email,
        "language": language,
        "explicit": channel.explicit,
        "show_type": channel.show_type,
        "website": _valid_url(channel.website),
        "copyright": channel.copyright[:255],
        "category": mapped[0],
        "subcategory": mapped[1],
    }


def _audio_suffix(entry: FeedEntry) -> str:
    extension = _extension_of(entry.audio_url)
    if extension in {".mp3", ".m4a"}:
        return extension
    return AUDIO_EXTENSIONS.get(entry.audio_type, ".mp3")


def _import_entry(
    entry: FeedEntry, *, show: Show, host: User | None, timeout: float, progress: ImportProgress
) -> Episode:
    limit = settings.PODCASTCME_MAX_UPLOAD_BYTES
    # A temporary file like a large upload's: streamed to disk, never whole in memory, and
    # episode_create reads it in place and moves it into storage instead of copying it.
    audio = TemporaryUploadedFile(f"audio{_audio_suffix(entry)}", entry.audio_type or "audio/mpeg", 0, None)
    try:
        with _open(entry.audio_url, timeout, EpisodeImportError, audio=True) as response:
            audio.size = _copy(
                response,
                audio,
                url=entry.audio_url,
                limit=limit,
                timeout=timeout,
                error_class=EpisodeImportError,
                on_bytes=progress.bytes_downloaded,
                expected=entry.audio_length,
            )
        audio.flush()
        audio.seek(0)
        return episode_create(
            show=show,
            actor=host,
            title=entry.title[:255],
            audio=audio,
            guid=entry.guid,
            notes=entry.notes,
            status=Episode.Status.PUBLISHED,
            publish_at=entry.publish_at or timezone.now(),
            season=entry.season,
            number=entry.number,
            episode_type=entry.episode_type,
            explicit=show.explicit if entry.explicit is None else entry.explicit,
        )
    finally:
        audio.close()  # removes the temporary file unless storage moved it


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def import_feed(
    source: str,
    *,
    show_slug: str = "",
    owner_email: str = "",
    host: User | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Import the podcast at ``source`` (URL or file) into a new show, or resume into ``show_slug``.

    Every refusal about the feed as a whole happens before anything is written. Then each episode
    is its own transaction: one that fails is reported and the others are imported; running the
    import again skips the guids already there and retries the rest.
    """
    progress = progress or ImportProgress()
    feed = parse_feed(fetch_feed(source, timeout=timeout))
    check_lock(feed.channel, owner_email)
    if not feed.channel.title:
        raise FeedImportError(_("The feed has no title, so it is not a podcast feed we can import."))
    slug = slugify(show_slug or feed.channel.title)[:80].strip("-")
    if not slug:
        raise FeedImportError(_("No slug can be made from the show's title: pass --show SLUG."))
    show = _existing_show(slug, feed, slug_given=bool(show_slug), host=host)
    warnings: list[str] = []
    if feed.ignored:
        warnings.append(
            ngettext(
                "%(count)d item without an audio enclosure was left out.",
                "%(count)d items without an audio enclosure were left out.",
                feed.ignored,
            )
            % {"count": feed.ignored}
        )
    created = show is None
    if show is None:
        data = _show_data(feed.channel, slug, owner_email, host, warnings)
        artwork = _fetch_artwork(feed.channel.artwork_url, timeout, warnings)
        if artwork is not None:
            data["artwork"] = artwork
        try:
            with transaction.atomic():
                show = show_create(host=host, data=data)
                audit_record(
                    actor=host, action=EpisodeAction.SHOW_IMPORTED, obj=show, data={"source": source}
                )
        except ValidationError as error:
            raise FeedImportError(
                _("The show could not be created: %(error)s") % {"error": _reason(error)}
            ) from None
    result = ImportResult(show=show, created_show=created, warnings=warnings)
    known = _known_guids(show)
    # Oldest first, so episodes are stored in the order they were published.
    oldest = datetime.max.replace(tzinfo=UTC)
    entries = sorted(feed.entries, key=lambda entry: entry.publish_at or oldest)
    for index, entry in enumerate(entries, start=1):
        progress.episode_started(index, len(entries), entry.title)
        if entry.guid in known:
            result.skipped.append(entry.guid)
            progress.episode_finished("skipped")
            continue
        try:
            _import_entry(entry, show=show, host=host, timeout=timeout, progress=progress)
        except (
            EpisodeImportError,
            AudioError,
            ValidationError,
            PublishingError,
            DatabaseError,
            OSError,
        ) as error:
            result.failed.append((entry.guid, _reason(error)))
            progress.episode_finished("failed", _reason(error))
        else:
            known.add(entry.guid)
            result.imported.append(entry.guid)
            progress.episode_finished("imported")
    return result
