"""Importing a podcast: the feed data it reads, its errors and limits."""

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
