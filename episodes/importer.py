"""Importing an existing podcast from another host: its RSS feed, artwork and every audio episode."""

import html
import http.client
import io
import re
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.validators import EmailValidator, URLValidator
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from lxml import etree

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record

from .artwork import EXTENSION_BY_FORMAT, MAX_ARTWORK_BYTES, artwork_format
from .audio import AudioError
from .categories import APPLE_CATEGORIES
from .models import Episode, Show, ShowType
from .services import PublishingError, episode_create, show_create
from .text import clean_line, strip_control_chars

USER_AGENT = "podcastcme-import/1.0 (+https://github.com/podcastcme)"
DEFAULT_TIMEOUT = 30.0
# A feed of several thousand episodes with long notes stays well under this.
MAX_FEED_BYTES = getattr(settings, "PODCASTCME_IMPORT_MAX_FEED_BYTES", 50 * 1024 * 1024)
CHUNK = 64 * 1024

ITUNES_NS = {"http://www.itunes.com/dtds/podcast-1.0.dtd"}  # compared lower-cased: some feeds shout
PODCAST_NS = {
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
}
CONTENT_NS = {"http://purl.org/rss/1.0/modules/content/"}
NO_NS = {""}
ATOM_NS = "http://www.w3.org/2005/Atom"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

AUDIO_EXTENSIONS = {
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/mpeg3": ".mp3",
    "audio/x-mpeg": ".mp3",
    "audio/x-m4a": ".m4a",
    "audio/m4a": ".m4a",
    "audio/mp4": ".m4a",
    "audio/aac": ".m4a",
    "audio/x-aac": ".m4a",
}
# Apple's retired categories (still found in old feeds) and where they live now.
LEGACY_CATEGORIES = {
    "health": "Health & Fitness",
    "science & medicine": "Science",
    "games & hobbies": "Leisure",
    "sports & recreation": "Sports",
    "government & organizations": "Government",
}
FALLBACK_CATEGORY = ("Health & Fitness", "Medicine")
IMPORTED_ACTION = "show.imported"
_TRUE = {"yes", "true", "explicit", "1"}


class FeedImportError(Exception):
    """The feed cannot be imported at all; the message tells the operator why. Nothing was written."""


class EpisodeImportError(Exception):
    """One episode could not be imported (its audio could not be fetched); the others go on."""


# --- What the feed says ------------------------------------------------------------------------


@dataclass
class FeedChannel:
    title: str
    description: str = ""
    author: str = ""
    owner_name: str = ""
    owner_email: str = ""
    language: str = "en"
    explicit: bool = False
    show_type: str = ShowType.EPISODIC
    website: str = ""
    copyright: str = ""
    category: str = ""
    subcategory: str = ""
    artwork_url: str = ""
    locked: bool = False
    locked_owner: str = ""


@dataclass
class FeedEntry:
    guid: str
    title: str
    audio_url: str
    audio_type: str = ""
    audio_length: int | None = None
    notes: str = ""
    publish_at: datetime | None = None
    season: int | None = None
    number: int | None = None
    episode_type: str = Episode.EpisodeType.FULL
    explicit: bool | None = None


@dataclass
class ParsedFeed:
    channel: FeedChannel
    entries: list[FeedEntry]
    ignored: int = 0  # items without an audio enclosure (video, text posts)


@dataclass
class ImportResult:
    show: Show
    created_show: bool
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        text = _("%(imported)d imported, %(skipped)d skipped (already there), %(failed)d failed") % {
            "imported": len(self.imported),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
        }
        if self.failed:
            text += ": " + "; ".join(f"{guid} {reason}" for guid, reason in self.failed)
        return text


class ImportProgress:
    """Hooks the command uses to draw its progress bar; the default does nothing."""

    def episode_started(self, index: int, total: int, title: str) -> None:
        pass

    def bytes_downloaded(self, done: int, total: int | None) -> None:
        pass

    def episode_finished(self, outcome: str, detail: str = "") -> None:
        pass


# --- Fetching ----------------------------------------------------------------------------------


def _network_message(url: str, error: BaseException, timeout: float) -> str:
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        error = error.reason
    host = urlsplit(url).netloc
    if isinstance(error, TimeoutError | socket.timeout) or "timed out" in str(error):
        return _("No answer from %(url)s within %(seconds)g seconds (timed out).") % {
            "url": url,
            "seconds": timeout,
        }
    if isinstance(error, ConnectionRefusedError):
        return _("Connection refused by %(host)s: is the address right and the server up?") % {"host": host}
    if isinstance(error, socket.gaierror):
        return _("Unknown host %(host)s.") % {"host": host}
    if isinstance(error, ssl.SSLError):
        return _("Secure connection to %(host)s failed (%(error)s).") % {"host": host, "error": error}
    return _("Could not fetch %(url)s (%(error)s).") % {"url": url, "error": error}


def _open(url: str, timeout: float, error_class: type[Exception]):
    """Open an http(s) URL; any failure becomes ``error_class`` with a message for a person."""
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        # A feed must not make us read local files (file://) or other schemes urllib knows.
        raise error_class(_("Only http and https addresses can be fetched, not %(url)s.") % {"url": url})
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # the scheme was checked above
    except urllib.error.HTTPError as error:
        error.close()
        raise error_class(
            _("%(url)s answered HTTP %(status)d %(reason)s.")
            % {"url": url, "status": error.code, "reason": error.reason}
        ) from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise error_class(_network_message(url, error, timeout)) from None


def _copy(
    response,
    out,
    *,
    url: str,
    limit: int,
    timeout: float,
    error_class: type[Exception],
    on_bytes: Callable[[int, int | None], None] | None = None,
    expected: int | None = None,
) -> int:
    """Stream a response body into ``out`` in chunks, refusing more than ``limit`` bytes."""
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    too_large = _("%(url)s is larger than %(mb)d MB, the most we accept.") % {
        "url": url,
        "mb": limit // (1024 * 1024),
    }
    if total is not None and total > limit:
        raise error_class(too_large)
    done = 0
    try:
        while chunk := response.read(CHUNK):
            done += len(chunk)
            if done > limit:
                raise error_class(too_large)
            out.write(chunk)
            if on_bytes is not None:
                on_bytes(done, total or expected)
    except (OSError, http.client.HTTPException) as error:
        raise error_class(_network_message(url, error, timeout)) from None
    if total is not None and done < total:
        raise error_class(
            _("The download of %(url)s stopped after %(done)d of %(total)d bytes.")
            % {"url": url, "done": done, "total": total}
        )
    return done


def fetch_feed(source: str, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """The feed's bytes, from an http(s) URL or a local file."""
    if "://" in source:
        with _open(source, timeout, FeedImportError) as response:
            buffer = io.BytesIO()
            _copy(
                response,
                buffer,
                url=source,
                limit=MAX_FEED_BYTES,
                timeout=timeout,
                error_class=FeedImportError,
            )
            return buffer.getvalue()
    path = Path(source)
    if not path.is_file():
        raise FeedImportError(
            _("No such file: %(path)s (give a feed URL or a local file).") % {"path": source}
        )
    if path.stat().st_size > MAX_FEED_BYTES:
        raise FeedImportError(_("%(path)s is too large to be a podcast feed.") % {"path": source})
    return path.read_bytes()


# --- Parsing -----------------------------------------------------------------------------------


def _children(element, namespaces: set[str], name: str) -> list:
    found = []
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        qname = etree.QName(child)
        if qname.localname == name and (qname.namespace or "").lower() in namespaces:
            found.append(child)
    return found


def _child(element, namespaces: set[str], name: str):
    found = _children(element, namespaces, name)
    return found[0] if found else None


def _text(element, namespaces: set[str], name: str) -> str:
    child = _child(element, namespaces, name)
    return (child.text or "").strip() if child is not None else ""


def _flag(value: str) -> bool:
    return value.strip().lower() in _TRUE


def _positive_int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _valid_email(value: str) -> str:
    value = value.strip()
    try:
        EmailValidator()(value)
    except ValidationError:
        return ""
    return value


def _valid_url(value: str) -> str:
    value = value.strip()
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return ""
    return value if len(value) <= 200 else ""


def _plain_text(markup: str) -> str:
    """Show descriptions are plain text: drop the HTML other hosts put there, keep paragraphs."""
    markup = re.sub(r"(?i)<br\s*/?>|</p\s*>|</li\s*>|</h\d\s*>", "\n", markup)
    text = html.unescape(strip_tags(markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    # A pubDate without a zone is read as UTC, as podcast apps do.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _audio_enclosure(item) -> tuple[str, str, int | None] | None:
    for enclosure in _children(item, NO_NS, "enclosure"):
        url = (enclosure.get("url") or "").strip()
        mime = (enclosure.get("type") or "").strip().lower()
        if not url:
            continue
        if mime.startswith("audio/") or _extension_of(url) in {".mp3", ".m4a"}:
            length = (enclosure.get("length") or "").strip()
            return url, mime, int(length) if length.isdigit() else None
    return None


def _extension_of(url: str) -> str:
    return Path(unquote(urlsplit(url).path)).suffix.lower()


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def parse_feed(data: bytes) -> ParsedFeed:
    """Read an RSS 2.0 podcast feed; refuse anything else with a message saying what it is."""
    if not data.strip():
        raise FeedImportError(_("The feed is empty."))
    # No DTDs, no entities, no network: a feed is data, not instructions to our parser.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        if _looks_like_html(data):
            raise FeedImportError(_("This is an HTML page, not a podcast feed (RSS).")) from None
        raise FeedImportError(
            _("This is not XML, so not a podcast feed (%(error)s).") % {"error": error}
        ) from None
    if root is None:
        raise FeedImportError(_("This is not XML, so not a podcast feed."))
    qname = etree.QName(root)
    if qname.localname.lower() == "html":
        raise FeedImportError(_("This is an HTML page, not a podcast feed (RSS)."))
    if qname.namespace == ATOM_NS:
        raise FeedImportError(
            _("This is an Atom feed, not a podcast: podcast feeds are RSS 2.0 with audio enclosures.")
        )
    if qname.namespace == RDF_NS or qname.localname != "rss":
        raise FeedImportError(
            _("This XML is not a podcast feed (its root element is <%(tag)s>, not <rss>).")
            % {"tag": qname.localname}
        )
    channel = _child(root, NO_NS, "channel")
    if channel is None:
        raise FeedImportError(_("This RSS document has no <channel>, so it is not a podcast feed."))
    items = _children(channel, NO_NS, "item")
    if not items:
        raise FeedImportError(_("This feed has no episodes (no <item>), so there is nothing to import."))
    entries = []
    for item in items:
        entry = _entry(item)
        if entry is not None:
            entries.append(entry)
    if not entries:
        raise FeedImportError(
            _("None of the %(count)d items of this feed has an audio enclosure: it is not a podcast.")
            % {"count": len(items)}
        )
    return ParsedFeed(channel=_channel(channel), entries=entries, ignored=len(items) - len(entries))


def _channel(channel) -> FeedChannel:
    owner = _child(channel, ITUNES_NS, "owner")
    locked = _child(channel, PODCAST_NS, "locked")
    image = _child(channel, ITUNES_NS, "image")
    artwork_url = (image.get("href") or "").strip() if image is not None else ""
    if not artwork_url:
        rss_image = _child(channel, NO_NS, "image")
        artwork_url = _text(rss_image, NO_NS, "url") if rss_image is not None else ""
    category = _child(channel, ITUNES_NS, "category")  # only the first counts, as in Apple's reading
    subcategory = _child(category, ITUNES_NS, "category") if category is not None else None
    return FeedChannel(
        title=clean_line(_text(channel, NO_NS, "title")),
        description=_text(channel, ITUNES_NS, "summary") or _text(channel, NO_NS, "description"),
        author=clean_line(_text(channel, ITUNES_NS, "author")),
        owner_name=clean_line(_text(owner, ITUNES_NS, "name")) if owner is not None else "",
        owner_email=_text(owner, ITUNES_NS, "email") if owner is not None else "",
        language=_text(channel, NO_NS, "language"),
        explicit=_flag(_text(channel, ITUNES_NS, "explicit")),
        show_type=ShowType.SERIAL
        if _text(channel, ITUNES_NS, "type").lower() == "serial"
        else ShowType.EPISODIC,
        website=_text(channel, NO_NS, "link"),
        copyright=clean_line(_text(channel, NO_NS, "copyright")),
        category=(category.get("text") or "").strip() if category is not None else "",
        subcategory=(subcategory.get("text") or "").strip() if subcategory is not None else "",
        artwork_url=artwork_url,
        locked=locked is not None and (locked.text or "").strip().lower() == "yes",
        locked_owner=(locked.get("owner") or "").strip() if locked is not None else "",
    )


def _entry(item) -> FeedEntry | None:
    enclosure = _audio_enclosure(item)
    if enclosure is None:
        return None
    url, mime, length = enclosure
    # Apple falls back to the enclosure URL when an item has no guid; so do we, so a later
    # re-import recognises the same episode.
    guid = strip_control_chars(_text(item, NO_NS, "guid")).strip() or url
    title = clean_line(_text(item, NO_NS, "title") or _text(item, ITUNES_NS, "title"))
    episode_type = _text(item, ITUNES_NS, "episodeType").lower()
    explicit = _text(item, ITUNES_NS, "explicit")
    return FeedEntry(
        guid=guid,
        title=title or Path(unquote(urlsplit(url).path)).stem or guid,
        audio_url=url,
        audio_type=mime,
        audio_length=length,
        notes=(
            _text(item, CONTENT_NS, "encoded")
            or _text(item, NO_NS, "description")
            or _text(item, ITUNES_NS, "summary")
        ),
        publish_at=_date(_text(item, NO_NS, "pubDate")),
        season=_positive_int(_text(item, ITUNES_NS, "season") or _text(item, PODCAST_NS, "season")),
        number=_positive_int(_text(item, ITUNES_NS, "episode") or _text(item, PODCAST_NS, "episode")),
        episode_type=episode_type if episode_type in Episode.EpisodeType.values else Episode.EpisodeType.FULL,
        explicit=_flag(explicit) if explicit else None,
    )


def map_category(category: str, subcategory: str) -> tuple[str, str] | None:
    """The feed's itunes:category in Apple's current list, or None when it names nothing we know."""
    owner_of = {sub.lower(): (cat, sub) for cat, subs in APPLE_CATEGORIES.items() for sub in subs}
    known = {cat.lower(): cat for cat in APPLE_CATEGORIES}
    # Subcategory names are unique in Apple's list, so they say the category too; this also moves
    # the retired "Science & Medicine > Medicine" to "Health & Fitness > Medicine".
    if subcategory.lower() in owner_of:
        return owner_of[subcategory.lower()]
    name = known.get(category.lower()) or LEGACY_CATEGORIES.get(category.lower())
    if name is None:
        return None
    return name, ""


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
            not guids and AuditEvent.objects.for_object(show).filter(action=IMPORTED_ACTION).exists()
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
    limit = getattr(settings, "PODCASTCME_MAX_UPLOAD_BYTES", 1024**3)
    # A temporary file like a large upload's: streamed to disk, never whole in memory, and
    # episode_create reads it in place and moves it into storage instead of copying it.
    audio = TemporaryUploadedFile(f"audio{_audio_suffix(entry)}", entry.audio_type or "audio/mpeg", 0, None)
    try:
        with _open(entry.audio_url, timeout, EpisodeImportError) as response:
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
                audit_record(actor=host, action=IMPORTED_ACTION, obj=show, data={"source": source})
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
