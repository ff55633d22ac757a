"""Importing a podcast: reading the RSS feed (lxml, entities and network off)."""

import html
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from lxml import etree

from ..categories import APPLE_CATEGORIES
from ..models import Episode, NotesFormat, ShowType
from ..text import clean_line, sanitise_html, strip_control_chars
from .common import (
    _TRUE,
    ATOM_NS,
    AUDIO_URL_EXTENSIONS,
    CONTENT_NS,
    ITUNES_NS,
    KNOWN_PREFIXES,
    LEGACY_CATEGORIES,
    MAX_GUID_LENGTH,
    NO_NS,
    PODCAST_NS,
    PSC_NS,
    RDF_NS,
    FeedChannel,
    FeedEntry,
    FeedImportError,
    FeedPerson,
    FeedTranscript,
    ParsedFeed,
    hashed_guid,
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


def _audio_enclosure(item, base_url: str) -> tuple[str, str, int | None, bool] | None:
    """The first audio enclosure: URL (resolved against the feed's when relative), type, length."""
    for enclosure in _children(item, NO_NS, "enclosure"):
        url = strip_control_chars(enclosure.get("url") or "").strip()
        mime = (enclosure.get("type") or "").strip().lower()
        if not url:
            continue
        # application/ogg: older Ogg feeds' type (RFC 5334 keeps it for multiplexed Ogg); read as audio
        # when the name says so, and the content is checked on download.
        generic = not mime or mime in {"application/octet-stream", "binary/octet-stream", "application/ogg"}
        if mime.startswith("audio/") or (generic and _extension_of(url) in AUDIO_URL_EXTENSIONS):
            length = (enclosure.get("length") or "").strip()
            absolute, relative = _absolute(url, base_url)
            return absolute, mime, int(length) if length.isdigit() else None, relative
    return None


def _absolute(url: str, base_url: str) -> tuple[str, bool]:
    """``url`` made absolute against the feed's address; True when it was relative."""
    if urlsplit(url).scheme:
        return url, False
    if not base_url:
        return url, True  # a local file gives nothing to resolve against: the fetch says why
    return urljoin(base_url, url), True


def _extension_of(url: str) -> str:
    return Path(unquote(urlsplit(url).path)).suffix.lower()


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


# podcast: tags the import reads; any other one is reported as not brought.
HANDLED_PODCAST_TAGS = {
    "guid", "locked", "funding", "person", "transcript", "chapters", "season", "episode", "trailer", "medium",
}  # fmt: skip
_PREFIX_USED = re.compile(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]")
_RSS_START = re.compile(rb"<rss\b")


def _declare_prefixes(data: bytes) -> tuple[bytes, list[str]]:
    """Declare on <rss> the well-known prefixes a feed uses without declaring them (podcastparser
    and apps read such feeds); returns the new bytes and the prefixes declared."""
    used = {match.decode() for match in _PREFIX_USED.findall(data)}
    missing = sorted(
        prefix for prefix in used if prefix in KNOWN_PREFIXES and f"xmlns:{prefix}=".encode() not in data
    )
    match = _RSS_START.search(data)
    if not missing or match is None:
        return data, []
    declarations = b"".join(f' xmlns:{prefix}="{KNOWN_PREFIXES[prefix]}"'.encode() for prefix in missing)
    return data[: match.end()] + declarations + data[match.end() :], missing


def parse_feed(data: bytes, base_url: str = "") -> ParsedFeed:
    """Read an RSS 2.0 podcast feed; refuse anything else with a message saying what it is.

    ``base_url`` is where the feed was read from: relative enclosure and file URLs resolve against it.
    """
    if not data.strip():
        raise FeedImportError(_("The feed is empty."))
    # No DTDs, no entities, no network: a feed is data, not instructions to our parser.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    declared: list[str] = []
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        if _looks_like_html(data):
            raise FeedImportError(_("This is an HTML page, not a podcast feed (RSS).")) from None
        root = None
        if "Namespace prefix" in str(error):
            fixed, declared = _declare_prefixes(data)
            if declared:
                try:
                    root = etree.fromstring(fixed, parser)
                except etree.XMLSyntaxError:
                    root = None
        if root is None:
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
        entry = _entry(item, base_url)
        if entry is not None:
            entries.append(entry)
    if not entries:
        raise FeedImportError(
            _("None of the %(count)d items of this feed has an audio enclosure: it is not a podcast.")
            % {"count": len(items)}
        )
    _date_undated(entries)
    unhandled: Counter[tuple[str, str]] = Counter()
    for element in [channel, *items]:
        for child in element:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            if (qname.namespace or "").lower() in PODCAST_NS and qname.localname not in HANDLED_PODCAST_TAGS:
                unhandled[("channel" if element is channel else "item", qname.localname)] += 1
    return ParsedFeed(
        channel=_channel(channel, base_url),
        entries=entries,
        ignored=len(items) - len(entries),
        undeclared_prefixes=declared,
        unhandled_tags=dict(unhandled),
    )


def _date_undated(entries: list[FeedEntry]) -> None:
    """Items without a pubDate keep their place: each is dated a second before the item above it
    (feeds list newest first; an oldest-first feed is read from its end)."""
    if all(entry.dated for entry in entries):
        return
    dated = [entry.publish_at for entry in entries if entry.publish_at is not None]
    newest_first = len(dated) < 2 or dated[0] >= dated[-1]
    ordered = entries if newest_first else list(reversed(entries))
    now = datetime.now(UTC).replace(microsecond=0)
    above = max(dated) + timedelta(seconds=len(entries)) if dated else now
    for entry in ordered:
        if entry.publish_at is None:
            entry.publish_at = above - timedelta(seconds=1)
        above = entry.publish_at


def _keywords(element) -> list[str]:
    """itunes:keywords (comma separated) and RSS <category> elements, in order, without repeats."""
    words: list[str] = []
    raw = _text(element, ITUNES_NS, "keywords")
    candidates = [word.strip() for word in raw.split(",")] if raw else []
    candidates += [(category.text or "").strip() for category in _children(element, NO_NS, "category")]
    for word in candidates:
        word = clean_line(word)
        if word and word.lower() not in {known.lower() for known in words}:
            words.append(word)
    return words


def _channel(channel, base_url: str = "") -> FeedChannel:
    owner = _child(channel, ITUNES_NS, "owner")
    locked = _child(channel, PODCAST_NS, "locked")
    image = _child(channel, ITUNES_NS, "image")
    artwork_url = (image.get("href") or "").strip() if image is not None else ""
    if not artwork_url:
        rss_image = _child(channel, NO_NS, "image")
        artwork_url = _text(rss_image, NO_NS, "url") if rss_image is not None else ""
    if artwork_url:
        artwork_url = _absolute(artwork_url, base_url)[0]
    category = _child(channel, ITUNES_NS, "category")  # only the first counts, as in Apple's reading
    subcategory = _child(category, ITUNES_NS, "category") if category is not None else None
    funding = [
        ((element.get("url") or "").strip(), clean_line(element.text or ""))
        for element in _children(channel, PODCAST_NS, "funding")
        if (element.get("url") or "").strip()
    ]
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
        podcast_guid=_text(channel, PODCAST_NS, "guid"),
        funding=funding,
        complete=_text(channel, ITUNES_NS, "complete").lower() == "yes",
        new_feed_url=_text(channel, ITUNES_NS, "new-feed-url"),
        keywords=_keywords(channel),
        generator=_text(channel, NO_NS, "generator"),
        persons=[person.name for person in _persons(channel)],
    )


# The line a podcastcme feed adds to an accredited episode's notes; it belongs to that site.
_CME_LINE = re.compile(
    r"\s*<p>\s*Earn CME credit:\s*<a\s+href=\"[^\"]*\"[^>]*>[^<]*</a>\s*</p>\s*$", re.IGNORECASE
)
_CME_DISCLOSURES = "<p><strong>CME: "  # how credits.versions.listener_notes_html begins
_HTML_MARKUP = re.compile(
    r"</?(?:p|br|a|ul|ol|li|strong|b|em|i|u|s|h[1-6]|div|span|blockquote|img|table|tr|td|th|pre|code|hr|"
    r"sup|sub|abbr|figure|iframe|script|style)\b[^>]*>|&(?:[a-z]+|#\d+|#x[0-9a-f]+);",
    re.IGNORECASE,
)


def _notes(raw: str) -> tuple[str, str, bool]:
    """The notes as written, their format ("html" or "text") and whether the CME line was removed.

    HTML is sanitised with the feed's allow-list and never read as Markdown; text stays text.
    """
    notes = strip_control_chars(raw).strip()
    without = _CME_LINE.sub("", notes)
    removed = without != notes
    if removed:
        # The activity's disclosures come just before that line: they belong to that site's activity.
        start = without.rfind(_CME_DISCLOSURES)
        if start >= 0:
            without = without[:start]
    notes = without.strip()
    if _HTML_MARKUP.search(notes):
        return sanitise_html(notes).strip(), NotesFormat.HTML, removed
    return notes, NotesFormat.TEXT, removed


def _whole_number(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and int(value) < 2**31 else None


def _seconds(value: str) -> float | None:
    """Normal play time (psc:chapter start): "90", "01:30", "1:01:30.500"."""
    try:
        parts = [float(part) for part in value.strip().split(":")]
    except ValueError:
        return None
    if not parts or len(parts) > 3 or any(part < 0 for part in parts):
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def _psc_chapters(item, base_url: str) -> list[dict]:
    chapters = []
    for group in _children(item, PSC_NS, "chapters"):
        for element in _children(group, PSC_NS, "chapter"):
            start = _seconds(element.get("start") or "")
            if start is None:
                continue
            chapter: dict = {"startTime": start, "title": clean_line(element.get("title") or "")}
            href = (element.get("href") or "").strip()
            image = (element.get("image") or "").strip()
            if href:
                chapter["url"] = _absolute(href, base_url)[0]
            if image:
                chapter["img"] = _absolute(image, base_url)[0]
            chapters.append(chapter)
    return sorted(chapters, key=lambda chapter: chapter["startTime"])


def _persons(item) -> list[FeedPerson]:
    return [
        FeedPerson(
            name=clean_line(element.text or ""),
            role=(element.get("role") or "").strip().lower(),
            group=(element.get("group") or "").strip().lower(),
            href=(element.get("href") or "").strip(),
            img=(element.get("img") or "").strip(),
        )
        for element in _children(item, PODCAST_NS, "person")
    ]


def _entry(item, base_url: str = "") -> FeedEntry | None:
    enclosure = _audio_enclosure(item, base_url)
    if enclosure is None:
        return None
    url, mime, length, relative = enclosure
    # Apple falls back to the enclosure URL when an item has no guid; so do we, so a later
    # re-import recognises the same episode.
    guid = strip_control_chars(_text(item, NO_NS, "guid")).strip() or url
    source_guid = ""
    if len(guid) > MAX_GUID_LENGTH:
        # Too long for our column: it holds a hash, the feed keeps publishing the original.
        source_guid, guid = guid, hashed_guid(guid)
    title = clean_line(_text(item, NO_NS, "title") or _text(item, ITUNES_NS, "title"))
    episode_type = _text(item, ITUNES_NS, "episodeType").lower() or _podcast_trailer_type(item)
    explicit = _text(item, ITUNES_NS, "explicit")
    raw_notes = (
        _text(item, CONTENT_NS, "encoded")
        or _text(item, NO_NS, "description")
        or _text(item, ITUNES_NS, "summary")
    )
    notes, notes_format, cme_line = _notes(raw_notes)
    raw_season = _text(item, ITUNES_NS, "season") or _text(item, PODCAST_NS, "season")
    raw_number = _text(item, ITUNES_NS, "episode") or _text(item, PODCAST_NS, "episode")
    image = _child(item, ITUNES_NS, "image")
    artwork_url = (image.get("href") or "").strip() if image is not None else ""
    chapters = _child(item, PODCAST_NS, "chapters")
    chapters_url = (chapters.get("url") or "").strip() if chapters is not None else ""
    publish_at = _date(_text(item, NO_NS, "pubDate"))
    not_kept = []
    itunes_title = clean_line(_text(item, ITUNES_NS, "title"))
    if title and itunes_title and itunes_title != title:
        message = _("itunes:title “%(value)s” (the episode keeps its <title>)")
        not_kept.append(message % {"value": itunes_title})
    for name, attribute in (("season", "name"), ("episode", "display")):
        element = _child(item, PODCAST_NS, name)
        if element is not None and (element.get(attribute) or "").strip():
            not_kept.append(f"podcast:{name} {attribute}=“{clean_line(element.get(attribute) or '')}”")
    return FeedEntry(
        guid=guid,
        source_guid=source_guid,
        title=title or Path(unquote(urlsplit(url).path)).stem or guid,
        audio_url=url,
        audio_type=mime,
        audio_length=length,
        notes=notes,
        notes_format=notes_format,
        cme_line_removed=cme_line,
        publish_at=publish_at,
        dated=publish_at is not None,
        season=_positive_int(raw_season),
        number=_positive_int(raw_number),
        raw_season=raw_season,
        raw_number=raw_number,
        episode_type=episode_type if episode_type in Episode.EpisodeType.values else Episode.EpisodeType.FULL,
        explicit=_flag(explicit) if explicit else None,
        artwork_url=_absolute(artwork_url, base_url)[0] if artwork_url else "",
        transcripts=[
            FeedTranscript(
                url=_absolute((element.get("url") or "").strip(), base_url)[0],
                type=(element.get("type") or "").split(";")[0].strip().lower(),  # "text/vtt; charset=utf-8"
                rel=(element.get("rel") or "").strip().lower(),
            )
            for element in _children(item, PODCAST_NS, "transcript")
            if (element.get("url") or "").strip()
        ],
        chapters_url=_absolute(chapters_url, base_url)[0] if chapters_url else "",
        chapters_type=(chapters.get("type") or "").strip().lower() if chapters is not None else "",
        psc_chapters=_psc_chapters(item, base_url),
        persons=_persons(item),
        keywords=_keywords(item),
        relative_url=relative,
        not_kept=not_kept,
    )


def _podcast_trailer_type(item) -> str:
    return Episode.EpisodeType.TRAILER if _child(item, PODCAST_NS, "trailer") is not None else ""


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
