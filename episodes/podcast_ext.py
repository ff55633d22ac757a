"""A feedgen extension for the Podcasting 2.0 namespace, plus itunes:explicit written as true/false."""

from dataclasses import dataclass

import feedgen.feed  # noqa: F401  (feedgen.ext.* modules need feedgen.feed imported first)
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM_NS = "http://www.w3.org/2005/Atom"  # declared by feedgen on every RSS feed
# Our CME credit namespace (docs/cme-namespace.md): one fixed name on every site, so parsers match
# its elements whichever site wrote the feed; each site serves the document at /ns/cme/1.0
# (episodes:cme_namespace) and the channel's <cme:spec url="..."> points to that copy.
CME_NS = "https://podcastcme.org/ns/cme/1.0"

_P = f"{{{PODCAST_NS}}}"
_I = f"{{{ITUNES_NS}}}"
_ATOM = f"{{{ATOM_NS}}}"
_CME = f"{{{CME_NS}}}"


@dataclass(frozen=True)
class Person:
    """podcast:person: the name is the element text; role from the Podcasting 2.0 taxonomy."""

    name: str
    role: str = "guest"
    href: str = ""
    img: str = ""
    group: str = "cast"


@dataclass(frozen=True)
class Transcript:
    url: str
    type: str  # text/vtt, application/x-subrip, application/json, text/html
    captions: bool = False  # rel="captions": the file carries time codes


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


class PodcastIndexExtension(BaseExtension):
    """Channel-level podcast:* tags and itunes:explicit (feedgen's own only takes yes/no/clean)."""

    def __init__(self):
        self._guid: str | None = None
        self._locked: tuple[bool, str] | None = None
        self._funding: tuple[str, str] | None = None
        self._medium: str | None = None
        self._explicit: bool | None = None
        self._block = False
        self._podping = False
        self._hubs: list[str] = []

    def extend_ns(self):
        return {"podcast": PODCAST_NS, "itunes": ITUNES_NS}

    def extend_rss(self, rss_feed):
        channel = rss_feed[0]
        if self._explicit is not None:
            xml_elem(_I + "explicit", channel).text = _bool_text(self._explicit)
        if self._guid:
            xml_elem(_P + "guid", channel).text = self._guid
        if self._locked is not None:
            locked, owner = self._locked
            element = xml_elem(_P + "locked", channel)
            if owner:
                element.attrib["owner"] = owner
            element.text = "yes" if locked else "no"
        if self._funding is not None:
            url, label = self._funding
            xml_elem(_P + "funding", channel, url=url).text = label
        if self._medium:
            xml_elem(_P + "medium", channel).text = self._medium
        if self._block:  # no id attribute: every platform (docs/tags/block.md)
            xml_elem(_P + "block", channel).text = "yes"
        if self._podping:
            xml_elem(_P + "podping", channel, usesPodping="true")
        for hub in self._hubs:  # WebSub discovery: rel="hub" beside feedgen's rel="self"
            xml_elem(_ATOM + "link", channel, rel="hub", href=hub)
        return rss_feed

    def podcast_guid(self, value: str) -> None:
        self._guid = value

    def podcast_locked(self, locked: bool, owner: str = "") -> None:
        self._locked = (locked, owner)

    def podcast_funding(self, url: str, label: str) -> None:
        self._funding = (url, label)

    def podcast_medium(self, medium: str) -> None:
        self._medium = medium

    def itunes_explicit_bool(self, explicit: bool) -> None:
        self._explicit = bool(explicit)

    def podcast_block(self, block: bool) -> None:
        """podcast:block yes: no platform may list the feed publicly (itunes:block speaks to Apple only)."""
        self._block = block

    def podcast_podping(self, uses_podping: bool) -> None:
        """podcast:podping usesPodping="true": changes are announced, apps may poll less."""
        self._podping = uses_podping

    def websub_hubs(self, hubs: list[str]) -> None:
        """atom:link rel="hub" for each WebSub hub the feed's changes are published to."""
        self._hubs = list(hubs)


class PodcastIndexEntryExtension(BaseEntryExtension):
    """Item-level podcast:* tags and itunes:explicit as true/false."""

    def __init__(self):
        self._persons: list[Person] = []
        self._transcripts: list[Transcript] = []
        self._chapters: str | None = None
        self._season: int | None = None
        self._episode: int | None = None
        self._explicit: bool | None = None

    def extend_rss(self, entry):
        if self._explicit is not None:
            xml_elem(_I + "explicit", entry).text = _bool_text(self._explicit)
        for transcript in self._transcripts:
            element = xml_elem(_P + "transcript", entry, url=transcript.url, type=transcript.type)
            if transcript.captions:
                element.attrib["rel"] = "captions"
        if self._chapters:
            xml_elem(_P + "chapters", entry, url=self._chapters, type="application/json+chapters")
        if self._season is not None:
            xml_elem(_P + "season", entry).text = str(self._season)
        if self._episode is not None:
            xml_elem(_P + "episode", entry).text = str(self._episode)
        for person in self._persons:
            element = xml_elem(_P + "person", entry, role=person.role, group=person.group)
            if person.href:
                element.attrib["href"] = person.href
            if person.img:
                element.attrib["img"] = person.img
            element.text = person.name
        return entry

    def podcast_person(self, person: Person) -> None:
        self._persons.append(person)

    def podcast_transcript(self, transcript: Transcript) -> None:
        self._transcripts.append(transcript)

    def podcast_chapters(self, url: str) -> None:
        self._chapters = url

    def podcast_season(self, season: int | None) -> None:
        self._season = season

    def podcast_episode(self, number: int | None) -> None:
        self._episode = number

    def itunes_explicit_bool(self, explicit: bool) -> None:
        self._explicit = bool(explicit)


@dataclass(frozen=True)
class CmeCredit:
    """cme:credit: one credit type a CME episode's activity offers while it is open for claims."""

    url: str  # the claim page
    type: str  # a code: ama-pra-1, ancc, acpe, aapa-1, ipce, participation
    label: str  # the credit's printed name (the element text)
    amount: str  # decimal, e.g. "0.75"
    expires: str  # ISO 8601 date: the last day credit can be claimed
    provider: str
    accreditor: str


class CmeExtension(BaseExtension):
    """Channel level: the namespace and <cme:spec url>, where this site serves its document."""

    def __init__(self):
        self._spec: str | None = None

    def extend_ns(self):
        return {"cme": CME_NS}

    def extend_rss(self, rss_feed):
        if self._spec:
            xml_elem(_CME + "spec", rss_feed[0], url=self._spec, version="1.0")
        return rss_feed

    def cme_spec(self, url: str) -> None:
        self._spec = url


class CmeEntryExtension(BaseEntryExtension):
    """Item level: one <cme:credit> per credit type offered."""

    def __init__(self):
        self._credits: list[CmeCredit] = []

    def extend_rss(self, entry):
        for credit in self._credits:
            attributes = {
                "url": credit.url,
                "type": credit.type,
                "amount": credit.amount,
                "expires": credit.expires,
                "provider": credit.provider,
                "accreditor": credit.accreditor,
            }
            xml_elem(_CME + "credit", entry, **attributes).text = credit.label
        return entry

    def cme_credit(self, credit: CmeCredit) -> None:
        self._credits.append(credit)


def register_cme(fg: feedgen.feed.FeedGenerator) -> None:
    """Add the CME extension (declares xmlns:cme); reach it as ``fg.cme`` / ``fe.cme``. Loaded only
    by feeds with a claimable CME item, so other feeds stay byte-identical."""
    fg.register_extension("cme", CmeExtension, CmeEntryExtension, atom=False)


def register(fg: feedgen.feed.FeedGenerator) -> None:
    """Add the extension to a FeedGenerator; reach it as ``fg.podcastindex`` / ``fe.podcastindex``."""
    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension, atom=False)
