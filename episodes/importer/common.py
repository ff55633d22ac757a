"""Importing a podcast: the feed data it reads, its errors and limits."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from ..models import Episode, Show, ShowType

USER_AGENT = "podcastcme-import/1.0 (+https://github.com/podcastcme)"
DEFAULT_TIMEOUT = 30.0
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
    # Ogg: imported as it is (Vorbis or Opus, told apart by the content, episodes/audio.py).
    "audio/ogg": ".ogg",
    "audio/vorbis": ".ogg",
    "audio/opus": ".opus",
    "audio/x-opus": ".opus",
    "application/ogg": ".ogg",
}
# Audio podcast feeds carry that we cannot publish (our feed and audio URLs are MP3, M4A, Ogg, Opus).
OTHER_AUDIO_TYPES = {"audio/flac", "audio/x-flac", "audio/wav", "audio/x-wav", "audio/wave"}
OTHER_AUDIO_EXTENSIONS = {".flac", ".wav"}
AUDIO_URL_EXTENSIONS = {".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus"}
# Kept as the temporary file's name while an enclosure downloads (the content decides the rest).
KEPT_AUDIO_SUFFIXES = {".mp3", ".m4a", ".ogg", ".oga", ".opus"}
# Prefixes real feeds use without declaring them, and the namespace each one means.
KNOWN_PREFIXES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
    "psc": "http://podlove.org/simple-chapters",
    "googleplay": "http://www.google.com/schemas/play-podcasts/1.0",
    "media": "http://search.yahoo.com/mrss/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
    "spotify": "http://www.spotify.com/ns/rss",
}
PSC_NS = {"http://podlove.org/simple-chapters", "http://podlove.org/simple-chapters/"}
MAX_GUID_LENGTH = 500
# Apple's retired categories (still found in old feeds) and where they live now.
LEGACY_CATEGORIES = {
    "health": "Health & Fitness",
    "science & medicine": "Science",
    "games & hobbies": "Leisure",
    "sports & recreation": "Sports",
    "government & organizations": "Government",
}
FALLBACK_CATEGORY = ("Health & Fitness", "Medicine")
_TRUE = {"yes", "true", "explicit", "1"}


def hashed_guid(guid: str) -> str:
    """What the guid column holds for a guid longer than it: a stable hash (the same on every run)."""
    return "sha256:" + hashlib.sha256(guid.encode()).hexdigest()


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
    podcast_guid: str = ""  # as the feed writes it; checked when the show is created
    funding: list[tuple[str, str]] = field(default_factory=list)  # (url, label)
    complete: bool = False
    new_feed_url: str = ""
    keywords: list[str] = field(default_factory=list)
    generator: str = ""
    persons: list[str] = field(default_factory=list)  # podcast:person on the channel (names)


@dataclass
class FeedPerson:
    name: str
    role: str = ""
    group: str = ""
    href: str = ""
    img: str = ""


@dataclass
class FeedTranscript:
    url: str
    type: str
    rel: str = ""


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
    source_guid: str = ""  # the feed's guid when it is too long for ours (guid is then its hash)
    notes_format: str = "text"
    cme_line_removed: bool = False
    raw_number: str = ""  # itunes:episode as written, to report one we cannot keep (0, -1, "1a")
    raw_season: str = ""
    artwork_url: str = ""
    transcripts: list[FeedTranscript] = field(default_factory=list)
    chapters_url: str = ""
    chapters_type: str = ""
    psc_chapters: list[dict] = field(default_factory=list)  # JSON chapters made from psc:chapter
    persons: list[FeedPerson] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    dated: bool = True  # False: no (readable) pubDate, publish_at is made from its neighbours
    relative_url: bool = False  # the enclosure URL was relative to the feed's
    not_kept: list[str] = field(default_factory=list)  # what the item says that has no place here


@dataclass
class ParsedFeed:
    channel: FeedChannel
    entries: list[FeedEntry]
    ignored: int = 0  # items without an audio enclosure (video, text posts)
    undeclared_prefixes: list[str] = field(default_factory=list)
    # podcast: tags the import does not read: (where, name) -> how many
    unhandled_tags: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass
class FieldReport:
    """What became of one field across the import: how many were brought, what was not and why."""

    imported: int = 0
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# The fields the summary lists, in this order.
SUMMARY_FIELDS = (
    "feed",
    "podcast_guid",
    "show_artwork",
    "funding",
    "complete",
    "episodes",
    "guid",
    "pub_date",
    "notes",
    "episode_artwork",
    "transcript",
    "chapters",
    "persons",
    "season",
    "number",
    "explicit",
    "episode_type",
    "topics",
    "other_tags",
)


@dataclass
class ImportResult:
    show: Show
    created_show: bool
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fields: dict[str, FieldReport] = field(default_factory=dict)
    source_url: str = ""  # the address the feed was finally read from (after redirects)
    redirect_steps: list[str] = field(default_factory=list)

    def of(self, name: str) -> FieldReport:
        return self.fields.setdefault(name, FieldReport())

    def brought(self, name: str, count: int = 1) -> None:
        self.of(name).imported += count

    def dropped(self, name: str, reason: str) -> None:
        self.of(name).dropped.append(reason)

    def noted(self, name: str, note: str) -> None:
        self.of(name).notes.append(note)

    def merge(self, other: "ImportResult") -> None:
        for name, values in other.fields.items():
            mine = self.of(name)
            mine.imported += values.imported
            mine.dropped.extend(values.dropped)
            mine.notes.extend(values.notes)

    def report(self) -> dict[str, dict]:
        """The per-field summary as plain data (what tests compare with the expected summaries)."""
        ordered = [name for name in SUMMARY_FIELDS if name in self.fields]
        ordered += sorted(name for name in self.fields if name not in SUMMARY_FIELDS)
        return {
            name: {
                "imported": self.fields[name].imported,
                "dropped": list(self.fields[name].dropped),
                "notes": list(self.fields[name].notes),
            }
            for name in ordered
        }

    def field_lines(self) -> list[str]:
        """The per-field summary as text, one line per field, then one per item dropped."""
        lines = []
        for name, values in self.report().items():
            line = _("%(field)s: %(imported)d imported") % {"field": name, "imported": values["imported"]}
            if values["dropped"]:
                line += _(", %(count)d dropped") % {"count": len(values["dropped"])}
            lines.append(line)
            lines.extend(f"  - {note}" for note in values["notes"])
            lines.extend(f"  - {_('dropped')}: {reason}" for reason in values["dropped"])
        return lines

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
