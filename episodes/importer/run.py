"""Importing a podcast: the refusals made before writing, and the import itself."""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import DatabaseError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record

from ..artwork import MAX_ARTWORK_BYTES, artwork_for_import
from ..audio import AudioError
from ..audit_actions import EpisodeAction
from ..episode_transcripts import MAX_TRANSCRIPT_BYTES, TranscriptRefused, read_transcript
from ..models import Episode, EpisodePerson, NotesFormat, Show, Topic
from ..services import PersonData, PublishingError, episode_create, show_create
from .common import (
    AUDIO_EXTENSIONS,
    DEFAULT_TIMEOUT,
    FALLBACK_CATEGORY,
    KEPT_AUDIO_SUFFIXES,
    KNOWN_PREFIXES,
    OTHER_AUDIO_EXTENSIONS,
    OTHER_AUDIO_TYPES,
    EpisodeImportError,
    FeedChannel,
    FeedEntry,
    FeedImportError,
    ImportProgress,
    ImportResult,
    ParsedFeed,
)
from .fetch import FetchedFeed, _copy, _open, fetch_feed_document, fetch_url
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

MAX_CHAPTERS_BYTES = 1024 * 1024
TRANSCRIPT_TYPES = {
    "text/vtt": (Episode.TranscriptType.VTT, "vtt"),
    "application/x-subrip": (Episode.TranscriptType.SRT, "srt"),
    "application/srt": (Episode.TranscriptType.SRT, "srt"),
    "text/srt": (Episode.TranscriptType.SRT, "srt"),
}
PERSON_ROLES = {"host": EpisodePerson.Role.HOST, "guest": EpisodePerson.Role.GUEST}


def _download(url: str, timeout: float, limit: int) -> bytes:
    """A small file (artwork, transcript, chapters) from a public address; EpisodeImportError if not."""
    return fetch_url(url, timeout=timeout, limit=limit, error_class=EpisodeImportError).data


def _artwork_file(url: str, timeout: float, result: ImportResult, field: str, who: str) -> ContentFile | None:
    """Artwork as a host could upload it: any image a conforming cover can be made from (the
    artwork code stores the original and makes the JPEG renditions the feed publishes). What
    cannot be fetched or opened is reported and left out; what the cover changes is said."""
    try:
        data = _download(url, timeout, MAX_ARTWORK_BYTES)
        artwork, changes = artwork_for_import(data)
    except EpisodeImportError as error:
        result.dropped(field, f"{who}: {error}")
        return None
    except ValidationError as error:
        result.dropped(field, f"{who}: {' '.join(error.messages)} ({url})")
        return None
    if changes:
        result.noted(
            field,
            _("%(who)s: the cover published is %(changes)s.") % {"who": who, "changes": ", ".join(changes)},
        )
    result.brought(field)
    return artwork


def _show_guid(channel: FeedChannel, result: ImportResult) -> uuid.UUID | None:
    """The source's podcast:guid when it is a UUID no other show here has: apps and indexes then
    know the moved show as the same podcast. None: a new one is computed (and the reason said)."""
    if not channel.podcast_guid:
        result.noted(
            "podcast_guid", _("The feed has no podcast:guid: one is computed from the new feed URL.")
        )
        return None
    try:
        value = uuid.UUID(channel.podcast_guid)
    except ValueError:
        result.dropped(
            "podcast_guid",
            _("“%(guid)s” is not a UUID: a new podcast:guid is computed from the new feed URL.")
            % {"guid": channel.podcast_guid[:80]},
        )
        return None
    other = Show.objects.filter(podcast_guid=value).first()
    if other is not None:
        result.dropped(
            "podcast_guid",
            _(
                "%(guid)s is already the podcast:guid of the show “%(slug)s” on this site: "
                "a new one is computed."
            )
            % {"guid": value, "slug": other.slug},
        )
        return None
    result.brought("podcast_guid")
    return value


def _funding(channel: FeedChannel, result: ImportResult) -> dict[str, str]:
    valid = []
    for url, label in channel.funding:
        if _valid_url(url):
            valid.append((url, label))
        else:
            result.dropped("funding", _("%(url)s is not a valid web address.") % {"url": url[:200]})
    if not valid:
        return {}
    for url, _label in valid[1:]:
        result.dropped("funding", _("%(url)s: a show has one funding link here.") % {"url": url})
    url, label = valid[0]
    if len(label) > 128:
        result.noted("funding", _("The funding label was cut to 128 characters."))
    result.brought("funding")
    return {"funding_url": url, "funding_label": label[:128]}


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
        "complete": channel.complete,
    }


def _audio_suffix(entry: FeedEntry) -> str:
    extension = _extension_of(entry.audio_url)
    if extension in KEPT_AUDIO_SUFFIXES:
        return extension
    return AUDIO_EXTENSIONS.get(entry.audio_type.split(";")[0].strip(), ".mp3")


@dataclass
class _Extras:
    """An episode's files and lists other than its audio, fetched before it is stored."""

    artwork: ContentFile | None = None
    transcript: ContentFile | None = None
    chapters: ContentFile | None = None
    persons: list[PersonData] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


def _transcript(entry: FeedEntry, timeout: float, result: ImportResult) -> ContentFile | None:
    """The first WebVTT or SRT transcript (captions first), downloaded and checked like an upload."""
    usable = [t for t in entry.transcripts if t.type in TRANSCRIPT_TYPES]
    usable.sort(key=lambda t: (t.rel != "captions", TRANSCRIPT_TYPES[t.type][1] != "vtt"))
    for transcript in entry.transcripts:
        if transcript.type not in TRANSCRIPT_TYPES:
            result.dropped(
                "transcript",
                _("%(title)s: %(url)s is %(type)s; transcripts are kept as WebVTT or SRT.")
                % {"title": entry.title, "url": transcript.url, "type": transcript.type or _("of no type")},
            )
    for index, transcript in enumerate(usable):
        try:
            data = _download(transcript.url, timeout, MAX_TRANSCRIPT_BYTES)
            read_transcript(data)
        except (EpisodeImportError, TranscriptRefused) as error:
            reason = error.message if isinstance(error, TranscriptRefused) else str(error)
            result.dropped("transcript", f"{entry.title}: {reason}")
            continue
        for other in usable[index + 1 :]:
            result.noted(
                "transcript",
                _("%(title)s: %(url)s left out, the episode keeps one transcript.")
                % {"title": entry.title, "url": other.url},
            )
        result.brought("transcript")
        return ContentFile(data, name=f"transcript.{TRANSCRIPT_TYPES[transcript.type][1]}")
    return None


def _chapters(entry: FeedEntry, timeout: float, result: ImportResult) -> ContentFile | None:
    """podcast:chapters downloaded, or Podlove psc:chapters turned into a JSON chapters file."""
    if entry.chapters_url:
        try:
            data = _download(entry.chapters_url, timeout, MAX_CHAPTERS_BYTES)
            document = json.loads(data)
            if not isinstance(document, dict) or not isinstance(document.get("chapters"), list):
                raise ValueError(_("it has no list of chapters"))
        except (EpisodeImportError, ValueError, RecursionError) as error:
            result.dropped(
                "chapters",
                _("%(title)s: %(url)s is not a JSON chapters file (%(error)s).")
                % {"title": entry.title, "url": entry.chapters_url, "error": error},
            )
        else:
            if entry.psc_chapters:
                result.noted(
                    "chapters",
                    _("%(title)s: psc:chapters left out, podcast:chapters kept.") % {"title": entry.title},
                )
            result.brought("chapters")
            return ContentFile(data, name="chapters.json")
    if entry.psc_chapters:
        document = {"version": "1.2.0", "chapters": entry.psc_chapters}
        result.brought("chapters")
        result.noted(
            "chapters", _("%(title)s: psc:chapters converted to JSON chapters.") % {"title": entry.title}
        )
        return ContentFile(json.dumps(document, ensure_ascii=False, indent=1).encode(), name="chapters.json")
    return None


def _persons(entry: FeedEntry, result: ImportResult) -> list[PersonData]:
    persons = []
    for person in entry.persons:
        role = PERSON_ROLES.get(person.role or "host")
        if not person.name:
            result.dropped(
                "persons", _("%(title)s: a podcast:person without a name.") % {"title": entry.title}
            )
            continue
        if role is None:
            result.dropped(
                "persons",
                _("%(title)s: %(name)s, role “%(role)s” (only hosts and guests are kept).")
                % {"title": entry.title, "name": person.name, "role": person.role},
            )
            continue
        href, img = _valid_url(person.href), _valid_url(person.img)
        if (person.href and not href) or (person.img and not img):
            result.noted(
                "persons",
                _("%(title)s: %(name)s kept without a link or photo that is not a valid web address.")
                % {"title": entry.title, "name": person.name},
            )
        persons.append(PersonData(name=person.name[:128], role=role, href=href, img=img))
    result.brought("persons", len(persons))
    return persons


def _topics(words: list[str], result: ImportResult, title: str) -> list[str]:
    """Keywords and categories as topics: one word each (spaces become hyphens); the rest reported."""
    topics: list[str] = []
    for word in words:
        name = re.sub(r"[^A-Za-z0-9_-]", "", re.sub(r"\s+", "-", word.strip().lstrip("#")))
        try:
            Topic._meta.get_field("name").run_validators(name)
        except ValidationError:
            result.dropped(
                "topics", _("%(title)s: “%(word)s” cannot be a topic.") % {"title": title, "word": word}
            )
            continue
        if name.lower() in {topic.lower() for topic in topics}:
            continue
        if name != word:
            result.noted("topics", _("“%(word)s” kept as %(name)s.") % {"word": word, "name": name})
        topics.append(name)
    result.brought("topics", len(topics))
    return topics


def _extras(entry: FeedEntry, channel: FeedChannel, timeout: float, result: ImportResult) -> _Extras:
    extras = _Extras()
    if entry.artwork_url and entry.artwork_url == channel.artwork_url:
        result.noted(
            "episode_artwork", _("%(title)s: the show's artwork, not copied.") % {"title": entry.title}
        )
    elif entry.artwork_url:
        extras.artwork = _artwork_file(entry.artwork_url, timeout, result, "episode_artwork", entry.title)
    extras.transcript = _transcript(entry, timeout, result)
    extras.chapters = _chapters(entry, timeout, result)
    extras.persons = _persons(entry, result)
    extras.topics = _topics(entry.keywords, result, entry.title)
    return extras


def _report_numbers(entry: FeedEntry, result: ImportResult) -> None:
    for name, raw, kept in (
        ("season", entry.raw_season, entry.season),
        ("number", entry.raw_number, entry.number),
    ):
        if kept is not None:
            result.brought(name)
        elif raw:
            why = (
                _("numbers start at 1")
                if raw.strip().lstrip("+-").strip("0") == ""
                else _("not a whole number")
            )
            result.dropped(name, f"{entry.title}: “{raw}” ({why})")


def _report_entry(entry: FeedEntry, result: ImportResult) -> None:
    result.brought("episodes")
    result.brought("guid")
    if entry.source_guid:
        result.noted(
            "guid",
            _(
                "%(title)s: a guid of %(length)d characters is stored as its hash; "
                "the feed keeps publishing it."
            )
            % {"title": entry.title, "length": len(entry.source_guid)},
        )
    if entry.dated:
        result.brought("pub_date")
    else:
        result.noted(
            "pub_date",
            _("%(title)s: no pubDate, dated %(date)s to keep its place in the feed.")
            % {"title": entry.title, "date": entry.publish_at.isoformat() if entry.publish_at else "?"},
        )
    result.brought("notes")
    if entry.cme_line_removed:
        message = _("%(title)s: the old “Earn CME credit” line and its disclosures were not copied.")
        result.noted("notes", message % {"title": entry.title})
    if entry.notes_format == NotesFormat.TEXT and entry.notes:
        result.noted("notes", _("%(title)s: plain text, kept as text.") % {"title": entry.title})
    _report_numbers(entry, result)
    for what in entry.not_kept:
        result.dropped("other_tags", f"{entry.title}: {what}")
    if entry.explicit is not None:
        result.brought("explicit")
    result.brought("episode_type")


def _report_audio(entry: FeedEntry, episode: Episode, result: ImportResult) -> None:
    """Ogg audio is published as it is; the summary says Apple Podcasts leaves it out (and what the
    feed called it, when its type said something else)."""
    if episode.apple_accepts_audio:
        return
    codec = _("Opus") if episode.audio_extension == "opus" else _("Ogg Vorbis")
    note = _(
        "%(title)s: %(codec)s audio, published as it is (.%(extension)s, audio/ogg). "
        "Apple Podcasts leaves Ogg episodes out; other apps play them."
    ) % {"title": entry.title, "codec": codec, "extension": episode.audio_extension}
    declared = entry.audio_type.split(";")[0].strip()
    if declared and AUDIO_EXTENSIONS.get(declared) not in {".ogg", ".opus"}:
        note += " " + _("The feed called it %(type)s.") % {"type": declared}
    result.noted("episodes", note)


def _refuse_other_audio(entry: FeedEntry) -> None:
    """Audio podcastcme does not publish, when both the type and the name say so: refused before
    anything of the item (audio, artwork, transcript, chapters) is downloaded only to be dropped."""
    mime = entry.audio_type.split(";")[0].strip()
    if mime in OTHER_AUDIO_TYPES and _extension_of(entry.audio_url) in OTHER_AUDIO_EXTENSIONS:
        raise EpisodeImportError(
            _("%(type)s audio is not imported: podcastcme publishes MP3, M4A (AAC), Ogg Vorbis and Opus.")
            % {"type": mime}
        )


def _import_entry(
    entry: FeedEntry,
    *,
    show: Show,
    host: User | None,
    timeout: float,
    progress: ImportProgress,
    extras: _Extras,
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
            source_guid=entry.source_guid,
            notes=entry.notes,
            notes_format=entry.notes_format,
            status=Episode.Status.PUBLISHED,
            publish_at=entry.publish_at or timezone.now(),
            season=entry.season,
            number=entry.number,
            episode_type=entry.episode_type,
            explicit=show.explicit if entry.explicit is None else entry.explicit,
            artwork=extras.artwork,
            transcript=extras.transcript,
            chapters=extras.chapters,
            persons=extras.persons,
            topics=" ".join(extras.topics),
        )
    finally:
        audio.close()  # removes the temporary file unless storage moved it


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _same_address(a: str, b: str) -> bool:
    def key(url: str) -> str:
        parts = urlsplit(url.strip())
        return (
            parts.netloc.lower() + parts.path.rstrip("/") + ("?" + parts.query if parts.query else "")
        ).lower()

    return bool(a and b) and key(a) == key(b)


def _read_feed(source: str, timeout: float, result: ImportResult) -> ParsedFeed:
    """Fetch and parse the feed; follow its itunes:new-feed-url once; say what was done on the way."""
    fetched = fetch_feed_document(source, timeout=timeout)
    feed = parse_feed(fetched.data, fetched.url)
    _report_fetch(fetched, feed, result)
    moved_to = _valid_url(feed.channel.new_feed_url)
    if moved_to and not any(_same_address(moved_to, url) for url in (source, fetched.url)):
        if moved_to.startswith(settings.SITE_URL):
            result.noted(
                "feed",
                _("The feed already points to this site (%(url)s): it was read as it is.")
                % {"url": moved_to},
            )
        else:
            try:
                moved = fetch_feed_document(moved_to, timeout=timeout)
                moved_feed = parse_feed(moved.data, moved.url)
            except FeedImportError as error:
                raise FeedImportError(
                    _(
                        "The feed says it moved to %(url)s (itunes:new-feed-url), and that feed cannot be "
                        "read: %(error)s Import the feed from where it lives now."
                    )
                    % {"url": moved_to, "error": error}
                ) from None
            result.noted(
                "feed",
                _(
                    "The feed announces a new address (itunes:new-feed-url): followed once, "
                    "from %(old)s to %(new)s."
                )
                % {"old": fetched.url or source, "new": moved.url},
            )
            _report_fetch(moved, moved_feed, result)
            again = _valid_url(moved_feed.channel.new_feed_url)
            if again and not _same_address(again, moved.url) and not _same_address(again, moved_to):
                result.noted(
                    "feed",
                    _("That feed announces yet another address (%(url)s): not followed (once only).")
                    % {"url": again},
                )
            fetched, feed = moved, moved_feed
    result.source_url = fetched.url or source
    return feed


def _report_fetch(fetched: FetchedFeed, feed: ParsedFeed, result: ImportResult) -> None:
    for status, old, new in fetched.redirects:
        kind = _("permanent") if status in {301, 308} else _("temporary")
        result.noted(
            "feed",
            _("%(old)s redirects (HTTP %(status)d, %(kind)s) to %(new)s.")
            % {"old": old, "status": status, "kind": kind, "new": new},
        )
    if fetched.gzipped:
        result.noted("feed", _("The feed was sent gzip-compressed without being asked: unpacked."))
    for prefix in feed.undeclared_prefixes:
        result.noted(
            "feed",
            _("The feed uses the %(prefix)s: prefix without declaring it: read as %(namespace)s.")
            % {"prefix": prefix, "namespace": KNOWN_PREFIXES[prefix]},
        )
    for (where, name), count in sorted(feed.unhandled_tags.items()):
        if where == "channel":
            reason = _("podcast:%(name)s on the show is not kept here.") % {"name": name}
        else:
            reason = ngettext(
                "podcast:%(name)s on %(count)d item is not kept here.",
                "podcast:%(name)s on %(count)d items is not kept here.",
                count,
            ) % {"name": name, "count": count}
        result.dropped("other_tags", reason)
    relative = sum(1 for entry in feed.entries if entry.relative_url)
    if relative:
        result.noted(
            "feed",
            ngettext(
                "%(count)d enclosure URL was relative: resolved against the feed's address.",
                "%(count)d enclosure URLs were relative: resolved against the feed's address.",
                relative,
            )
            % {"count": relative},
        )


# Hosts whose feeds we recognise by address or generator, for the redirect steps.
KNOWN_HOSTS = {
    "libsyn": "Libsyn",
    "anchor.fm": "Spotify for Creators (Anchor)",
    "spotify": "Spotify for Creators (Anchor)",
    "buzzsprout": "Buzzsprout",
    "podbean": "Podbean",
    "transistor": "Transistor",
    "castopod": "Castopod",
    "podcastcme": "podcastcme",
}


def _old_host(feed: ParsedFeed, source: str) -> str:
    haystack = f"{feed.channel.generator} {urlsplit(source).netloc}".lower()
    for key, name in KNOWN_HOSTS.items():
        if key in haystack:
            return name
    return ""


def redirect_steps(old_url: str, new_url: str, host_name: str) -> list[str]:
    """What the show's owner does at the old host so subscribers follow to the new feed."""
    if not old_url or "://" not in old_url:
        return []
    if host_name == "podcastcme":
        page = _("the show's page for hosts")
        ours = re.match(r"^(https?://[^/]+)/shows/([^/]+)/feed\.xml$", old_url)
        if ours:
            page = f"{ours[1]}/host/shows/{ours[2]}/move/"
        first = _(
            "On the old podcastcme site, open %(page)s (“Move this show away”), give the new feed URL "
            "%(new)s and confirm: that site then answers the old feed with HTTP 301 to it and keeps "
            "serving itunes:new-feed-url."
        ) % {"page": page, "new": new_url}
    else:
        first = _(
            "At %(host)s, set the feed's redirect (often called “redirect feed” or “new feed URL”) to "
            "%(new)s. It must answer %(old)s with HTTP 301 (permanent) to %(new)s, and any copy of the "
            "old feed still served must carry <itunes:new-feed-url>%(new)s</itunes:new-feed-url>."
        ) % {"host": host_name or _("the old host"), "new": new_url, "old": old_url}
    return [
        first,
        _("Check it: curl -sI %(old)s must show “301” and “Location: %(new)s”.")
        % {"old": old_url, "new": new_url},
        _(
            "Keep the redirect for at least four weeks (Apple asks for it until every app has moved), "
            "better for good; do not delete the old show before."
        ),
        _("Do not publish new episodes at the old host any more: publish them here."),
    ]


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
    import again skips the guids already there and retries the rest. The result says per field
    what was brought and what was left out, and why (``ImportResult.report``).
    """
    progress = progress or ImportProgress()
    reading = ImportResult(show=Show(), created_show=False)  # what the reading says, before a show exists
    feed = _read_feed(source, timeout, reading)
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
    result = ImportResult(
        show=show or Show(),
        created_show=created,
        warnings=warnings,
        fields=reading.fields,
        source_url=reading.source_url,
    )
    if show is None:
        data = _show_data(feed.channel, slug, owner_email, host, warnings)
        data.update(_funding(feed.channel, result))
        if feed.channel.complete:
            result.brought("complete")
        if feed.channel.artwork_url:
            artwork = _artwork_file(
                feed.channel.artwork_url, timeout, result, "show_artwork", _("show artwork")
            )
            if artwork is not None:
                data["artwork"] = artwork
            else:
                reason = result.of("show_artwork").dropped[-1].split(": ", 1)[-1]
                warnings.append(_("Artwork not imported: %(error)s") % {"error": reason})
        else:
            warnings.append(_("The feed has no artwork: the show is imported without any."))
            result.dropped("show_artwork", _("The feed has no artwork."))
        guid = _show_guid(feed.channel, result)
        if feed.channel.persons:
            result.dropped(
                "persons",
                _("The show's own podcast:person (%(names)s): persons belong to episodes here.")
                % {"names": ", ".join(feed.channel.persons)},
            )
        if feed.channel.keywords:
            result.dropped(
                "topics",
                _("The show's own keywords (%(words)s): topics belong to episodes here.")
                % {"words": ", ".join(feed.channel.keywords)},
            )
        if guid is not None:
            data["podcast_guid"] = guid  # the source's, not one computed from our URL: the same podcast
        try:
            # Not inside a transaction of ours: show_create stores the artwork and its renditions
            # (network calls with a bucket) before its own transaction opens.
            show = show_create(host=host, data=data)
        except ValidationError as error:
            raise FeedImportError(
                _("The show could not be created: %(error)s") % {"error": _reason(error)}
            ) from None
        audit_record(
            actor=host,
            action=EpisodeAction.SHOW_IMPORTED,
            obj=show,
            data={"source": source, "podcast_guid": str(show.podcast_guid)},
        )
    else:
        result.noted("feed", _("Resumed into an existing show: its own fields are left as they are."))
    result.show = show
    known = _known_guids(show)
    # Oldest first, so episodes are stored in the order they were published (undated items were
    # given dates that keep their place).
    oldest = datetime.max.replace(tzinfo=UTC)
    entries = sorted(feed.entries, key=lambda entry: entry.publish_at or oldest)
    for index, entry in enumerate(entries, start=1):
        progress.episode_started(index, len(entries), entry.title)
        if entry.guid in known:
            result.skipped.append(entry.guid)
            progress.episode_finished("skipped")
            continue
        scratch = ImportResult(show=show, created_show=False)  # merged once the episode is in
        try:
            _refuse_other_audio(entry)
            extras = _extras(entry, feed.channel, timeout, scratch)
            episode = _import_entry(
                entry, show=show, host=host, timeout=timeout, progress=progress, extras=extras
            )
        except (
            EpisodeImportError,
            AudioError,
            ValidationError,
            PublishingError,
            DatabaseError,
            OSError,
        ) as error:
            result.failed.append((entry.guid, _reason(error)))
            result.dropped("episodes", f"{entry.title}: {_reason(error)}")
            progress.episode_finished("failed", _reason(error))
        else:
            known.add(entry.guid)
            result.imported.append(entry.guid)
            result.merge(scratch)
            _report_entry(entry, result)
            _report_audio(entry, episode, result)
            progress.episode_finished("imported")
    result.redirect_steps = redirect_steps(
        source, show.feed_url, _old_host(feed, result.source_url or source)
    )
    return result
