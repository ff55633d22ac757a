"""Importing a podcast: reading the RSS feed (lxml, entities and network off)."""

import html
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from lxml import etree

from ..categories import APPLE_CATEGORIES
from ..models import Episode, ShowType
from ..text import clean_line, strip_control_chars
from .common import (
    _TRUE,
    ATOM_NS,
    CONTENT_NS,
    ITUNES_NS,
    LEGACY_CATEGORIES,
    NO_NS,
    PODCAST_NS,
    RDF_NS,
    FeedChannel,
    FeedEntry,
    FeedImportError,
    ParsedFeed,
)

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
