"""A show's RSS feed: built with feedgen from the database, cached until something in it changes."""

import gzip
import hashlib
import logging
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from time import monotonic as time_monotonic
from time import sleep

import nh3
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.db.models import Case, F, Min, Q, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.translation import gettext as _
from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator  # before .podcast_ext: feedgen.ext.* needs feedgen.feed loaded

from . import push
from .artwork import current_renditions, feed_width_of, rendition_stem
from .cme_credits import credit_offers
from .feed_limits import MAX_DESCRIPTION_BYTES, cut_description, enclosure_type, utf8_length
from .itunes_keywords import most_used, register_keywords
from .models import Episode, EpisodePerson, Show, audio_extension_of, podcast_guid_for
from .models.shows import EpisodeQuerySet, audio_media_type
from .person_links import person_links
from .personal_feed_items import PersonalFeedItem, personal_feed_items
from .podcast_ext import CmeCredit, Person, Transcript, register, register_cme
from .text import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, clean_line, strip_control_chars

CACHE_KEY = "podcastcme:feed:v1:{pk}"
# Every extension an episode's audio URL can end in (models.audio_extension_of, urls.py).
AUDIO_EXTENSIONS = ("mp3", "m4a", "ogg", "opus")
# A "feeds" cache, when configured, keeps built feeds out of the default (database) cache: a hit
# there would cost a query and the transfer of the whole feed from the database.
FEED_CACHE_ALIAS = "feeds"
CACHE_TIMEOUT = 7 * 24 * 3600  # the entry is replaced on change; the timeout only bounds stale memory
# A shared cache (Redis: several nodes): one rebuild after a change across the cluster. The builder
# holds "<key>:building" (cache.add: SET NX EX in Redis) for at most BUILD_LOCK_SECONDS; the others
# wait for it up to BUILD_WAIT_SECONDS, then build themselves. docs/shared-state.md.
BUILD_LOCK_SECONDS = 30
BUILD_WAIT_SECONDS = 5.0

logger = logging.getLogger(__name__)

# Podcasting 2.0 person roles we can write as they are; see _person_role for "faculty".
_PODCAST_ROLES: dict[str, str] = {EpisodePerson.Role.HOST: "host", EpisodePerson.Role.GUEST: "guest"}


def episode_credit_link(episode: "FeedItem", page_url: str) -> str | None:
    """The absolute URL where a listener earns CME credit for this episode, or None.

    An episode that is an accredited activity still open for claims links to its episode page:
    the page shows the disclosures first and leads (through log-in or sign-up) to the post-test.
    ``credit_until`` (the activity's expiry date) is loaded for all items in one query.
    """
    if episode.credit_until is None or episode.credit_until < timezone.localdate():
        return None
    return page_url


def _person_role(role: str) -> str:
    # "faculty" (CME teaching faculty) is not in the Podcasting 2.0 role taxonomy; apps ignore
    # unknown roles, so faculty are announced as "guest", the closest role apps display.
    return _PODCAST_ROLES.get(role, "guest")


class _UrlTemplates:
    """Absolute URLs for many episodes without calling reverse() for each (it dominates at 1,000).

    Each template is produced by reverse() itself with sentinel arguments, so it follows urls.py;
    tests compare the feed's URLs with the models' get_*_url().
    """

    _PK, _SLUG, _STEM = 987654321, "zzslugzz", "0123456789abcdef-9999"

    def __init__(self, show: Show, token: str | None = None):
        site = settings.SITE_URL
        self.page = site + self._template("episodes:episode", show.slug, self._SLUG)
        if token is None:
            self.audio = {
                ext: site + self._template("episodes:audio", self._PK, self._SLUG, ext)
                for ext in AUDIO_EXTENSIONS
            }
        else:  # a personal feed: its enclosures carry the token, so downloads are the listener's
            self.audio = {
                ext: site + self._template("episodes:personal_audio", token, self._PK, self._SLUG, ext)
                for ext in AUDIO_EXTENSIONS
            }
        self.artwork = {
            ext: site + self._template("episodes:episode_artwork", self._PK, ext) for ext in ("jpg", "png")
        }
        self.artwork_rendition = site + self._template(
            "episodes:episode_artwork_rendition", self._PK, self._STEM
        ).replace(self._STEM, "{stem}")
        self.transcript = {
            ext: site + self._template("episodes:transcript", self._PK, ext) for ext in ("vtt", "srt")
        }
        self.chapters = site + self._template("episodes:chapters", self._PK)

    def _template(self, name: str, *args) -> str:
        url = reverse(name, args=args)
        return url.replace(str(self._PK), "{pk}").replace(self._SLUG, "{slug}")

    def episode_artwork(self, episode: "FeedItem") -> str:
        if not episode.artwork:
            return ""
        # The feed cover made from the artwork (square RGB JPEG, 1400-3000 px; episodes/artwork.py).
        widths = current_renditions(episode.artwork, episode.artwork_renditions)
        feed_width = feed_width_of(widths)
        if feed_width:
            return self.artwork_rendition.format(pk=episode.pk, stem=rendition_stem(widths[feed_width]))
        ext = episode.artwork.rsplit(".", 1)[-1].lower()
        return self.artwork["jpg" if ext in ("jpg", "jpeg") else "png"].format(pk=episode.pk)

    def episode_transcript(self, episode: "FeedItem") -> str:
        if not episode.transcript:
            return ""
        ext = "vtt" if episode.transcript_type == Episode.TranscriptType.VTT else "srt"
        return self.transcript[ext].format(pk=episode.pk)


@dataclass(slots=True)
class FeedItem:
    """One public episode as the feed needs it: plain values, no model instance or related manager.

    At 1,000 episodes, model instances and prefetched managers (5,000 objects with persons and
    topics) cost more than feedgen itself; plain rows keep the build within 2x of bare feedgen.
    """

    pk: int
    slug: str
    title: str
    guid: str
    source_guid: str  # an imported guid too long for the guid column (which holds its hash)
    publish_at: datetime
    notes_html: str
    audio_mime: str
    audio_size: int
    audio_duration: float
    season: int | None
    number: int | None
    episode_type: str
    explicit: bool
    artwork: str  # stored file names ("" when none)
    artwork_renditions: dict[str, str]
    transcript: str
    transcript_type: str
    chapters: str
    credit_until: date | None = None  # the CME activity's expiry date, when the episode is one
    # The version's disclosure notes (credits' ActivityVersion.listener_notes_html), when published.
    cme_notes: str | None = None
    # The version's frozen content (credits.versions.version_content), for <cme:credit> (cme_credits.py).
    cme_content: dict | None = None
    show_id: int = 0  # a topic feed's items come from several shows (episodes/topic_feeds.py)
    topics: list[str] = field(default_factory=list)
    persons: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, role, href, img
    corrections: list[tuple[datetime, str]] = field(default_factory=list)  # published at, text; newest first

    @property
    def audio_extension(self) -> str:
        return audio_extension_of(self.audio_mime)  # the model's own mapping, on a plain row


_ITEM_COLUMNS = [f.name for f in fields(FeedItem) if f.name not in ("topics", "persons", "corrections")]


def _published_items(show: Show, now: datetime) -> list[FeedItem]:
    """Public episodes, newest first (only the newest ``show.feed_episode_limit`` when it is set),
    with topics and persons: three queries at any count."""
    published = Episode.objects.published(now=now).filter(show=show)
    limit = show.feed_episode_limit or None  # a 10,000-episode show need not publish an 18 MB feed
    return feed_items(published, limit)


def feed_items(published: EpisodeQuerySet, limit: int | None) -> list[FeedItem]:
    """The newest ``limit`` (None: all) of the ``published`` episodes as feed rows, newest first,
    with their topics and persons: three queries at any count (the show feed and topic feeds)."""
    # Only a published activity offers credit (a draft or a withdrawn one does not); the expiry the
    # feed announces is the one of the version learners are shown now.
    credit_until = Case(
        When(activity__status="published", then=F("activity__current_version__expiry_date")),
        default=None,
    )
    # ACCME Standard 3.5: the disclosures are transmitted to listeners, in the item's notes. Read by
    # the relation's name (episodes never imports credits), in the same query as the items.
    cme_notes = Case(
        When(activity__status="published", then=F("activity__current_version__listener_notes_html")),
        default=None,
    )
    cme_content = Case(
        When(activity__status="published", then=F("activity__current_version__content")),
        default=None,
    )
    rows = published.newest_first().annotate(
        credit_until=credit_until, cme_notes=cme_notes, cme_content=cme_content
    )
    items = [FeedItem(*row) for row in rows.values_list(*_ITEM_COLUMNS)[:limit]]
    by_pk = {item.pk: item for item in items}
    # The same rows as a subquery (LIMIT inside IN: SQLite and PostgreSQL both take it).
    ids = published.newest_first().values("pk")[:limit]
    topics = (
        Episode.topics.through.objects.filter(episode__in=ids)
        .order_by(Lower("topic__name"))
        .values_list("episode_id", "topic__name")
    )
    for episode_id, name in topics:
        if episode_id in by_pk:
            by_pk[episode_id].topics.append(name)
    persons = (
        EpisodePerson.objects.filter(episode__in=ids)
        .order_by("position", "id")
        .values_list("episode_id", "name", "role", "href", "img")
    )
    for episode_id, name, role, href, img in persons:
        if episode_id in by_pk:
            by_pk[episode_id].persons.append((name, role, href, img))
    # The hosts' corrections (discussion's Correction rows, read by the relation's name: episodes never
    # imports discussion), one query for all items whatever their count.
    corrections = (
        Episode.objects.filter(pk__in=ids, corrections__isnull=False)
        .order_by("-corrections__published_at", "-corrections__id")
        .values_list("pk", "corrections__published_at", "corrections__text")
    )
    for episode_id, published_at, text in corrections:
        if episode_id in by_pk:
            by_pk[episode_id].corrections.append((published_at, text))
    if any(item.persons for item in items):
        # A verified clinician links to their page (credits registers it: episodes/person_links.py).
        links = person_links(ids)
        for item in items:
            item.persons = [
                (name, role, links.get((item.pk, name), href), img) for name, role, href, img in item.persons
            ]
    return items


def _text(value: str) -> str:
    # The services store cleaned text; stripping again keeps rows written any other way from
    # breaking the XML (feedgen/lxml raise on control characters).
    return strip_control_chars(value)


def _cme_notes(html: str | None) -> str:
    """The activity's disclosure notes, through the same allow-list as show notes (p, ul, li,
    strong, em survive; anything else a stored row might carry does not)."""
    if not html:
        return ""
    return nh3.clean(
        _text(html), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"}
    )


def _corrections_html(corrections: list[tuple[datetime, str]]) -> str:
    """Each correction as a dated paragraph, newest first: "<p><strong>Correction (29 Nov 2026):</strong>
    text</p>", the host's plain text escaped. The item's pubDate stays the episode's: a new pubDate
    would make apps announce the episode again as new; the correction is dated in its text."""
    paragraphs = []
    for published_at, text in corrections:
        label = _("Correction (%(date)s):") % {"date": date_format(timezone.localtime(published_at), "j M Y")}
        body = escape(_text(text)).replace("\n", "<br>")
        paragraphs.append(f"<p><strong>{escape(label)}</strong> {body}</p>")
    return "".join(paragraphs)


def _item_notes(episode: FeedItem, page_url: str) -> tuple[str, str]:
    """(content:encoded, description): the whole notes, and the same cut to Apple's 4,000 bytes.

    A cut description keeps its "Earn CME credit" line whole: only the notes and disclosures
    before it are cut (apps that show only the description still lead listeners to the credit).
    The hosts' corrections come first, so a cut description keeps them too.
    """
    notes = _text(episode.notes_html)
    credit_line = ""
    credit_url = episode_credit_link(episode, page_url)
    if credit_url:
        # Credits and expiry, people and relevant relationships, mitigation, commercial support and
        # the statements, then the link: what ACCME asks learners to be told before they start.
        notes += _cme_notes(episode.cme_notes)
        link = f'<a href="{escape(credit_url)}">{escape(credit_url)}</a>'
        credit_line = "<p>" + _("Earn CME credit: %(url)s") % {"url": link} + "</p>"
    if not notes and not credit_line:
        notes = _text(episode.title)
    notes = _corrections_html(episode.corrections) + notes
    content = notes + credit_line
    if len(content) * 4 <= MAX_DESCRIPTION_BYTES or utf8_length(content) <= MAX_DESCRIPTION_BYTES:
        return content, content
    return content, cut_description(notes, MAX_DESCRIPTION_BYTES - utf8_length(credit_line)) + credit_line


def _add_cme_credits(fg: FeedGenerator, fe: FeedEntry, episode: FeedItem, page_url: str) -> None:
    """<cme:credit>, one per credit type, exactly while the "Earn CME credit" line is in the notes
    (docs/cme-namespace.md). The namespace is declared only by a feed that has such an item."""
    credit_url = episode_credit_link(episode, page_url)
    if credit_url is None or episode.credit_until is None:
        return
    offers = credit_offers(episode.cme_content)
    if not offers:
        return
    if not hasattr(fg, "cme"):
        register_cme(fg)  # also loads it into the entries already added (they carry no credit)
        fg.cme.cme_spec(settings.SITE_URL + reverse("episodes:cme_namespace"))
    expires = episode.credit_until.isoformat()
    for offer in offers:
        fe.cme.cme_credit(
            CmeCredit(
                url=credit_url,
                type=offer.type,
                label=clean_line(offer.label),
                amount=f"{offer.amount.normalize():f}",
                expires=expires,
                provider=clean_line(offer.provider),
                accreditor=offer.accreditor,
            )
        )


def _add_item(fg: FeedGenerator, episode: FeedItem, urls: _UrlTemplates) -> FeedEntry:
    """Append the item; returned so a topic feed can add to it (episodes/topic_feeds.py)."""
    fe = fg.add_entry(order="append")  # the queryset is already newest first
    fe.title(clean_line(episode.title))
    page_url = urls.page.format(slug=episode.slug)
    fe.link(href=page_url)
    fe.guid(_text(episode.source_guid or episode.guid), permalink=False)
    fe.pubDate(episode.publish_at)
    content, description = _item_notes(episode, page_url)
    fe.description(description)
    fe.content(content)
    ext = episode.audio_extension
    fe.enclosure(urls.audio[ext].format(pk=episode.pk, slug=episode.slug), str(episode.audio_size),
                 enclosure_type(audio_media_type(episode.audio_mime)))  # fmt: skip
    _add_cme_credits(fg, fe, episode, page_url)
    for topic in episode.topics:
        fe.category(term=topic)
    fe.keywords.itunes_keywords(episode.topics)

    fe.podcast.itunes_duration(round(episode.audio_duration))
    fe.podcast.itunes_episode_type(episode.episode_type)
    if episode.season is not None:
        fe.podcast.itunes_season(episode.season)
    if episode.number is not None:
        fe.podcast.itunes_episode(episode.number)
    artwork = urls.episode_artwork(episode)
    if artwork:
        fe.podcast.itunes_image(artwork)

    p2 = fe.podcastindex
    p2.itunes_explicit_bool(episode.explicit)
    p2.podcast_season(episode.season)
    p2.podcast_episode(episode.number)
    transcript = urls.episode_transcript(episode)
    if transcript:
        # Both WebVTT and SRT carry time codes: apps may show them as captions.
        p2.podcast_transcript(Transcript(url=transcript, type=episode.transcript_type, captions=True))
    if episode.chapters:
        p2.podcast_chapters(urls.chapters.format(pk=episode.pk))
    for name, role, href, img in episode.persons:
        p2.podcast_person(Person(name=clean_line(name), role=_person_role(role), href=href, img=img))
    return fe


def _channel(
    fg: FeedGenerator,
    show: Show,
    last_modified: datetime,
    *,
    self_url: str | None = None,
    block: bool = False,
) -> None:
    site = settings.SITE_URL
    page = site + show.get_absolute_url()
    fg.title(clean_line(show.title))
    fg.description(_text(show.description).strip() or clean_line(show.title))
    # feedgen writes the last link as the RSS <link>, and the "self" one as atom:link.
    fg.link(href=self_url or show.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=show.website or page, rel="alternate")
    fg.language(show.language)
    fg.lastBuildDate(last_modified)  # not "now": the same content gives the same bytes and ETag
    fg.generator("podcastcme")
    if show.copyright:
        fg.copyright(_text(show.copyright))
    artwork = site + show.get_feed_artwork_url() if show.artwork else ""
    if artwork:
        fg.image(url=artwork, title=clean_line(show.title), link=page)

    fg.podcast.itunes_author(clean_line(show.author))
    fg.podcast.itunes_owner(name=clean_line(show.owner_name), email=show.owner_email)
    category = {"cat": show.category}
    if show.subcategory:
        category["sub"] = show.subcategory
    fg.podcast.itunes_category(category)
    if artwork:
        fg.podcast.itunes_image(artwork)
    fg.podcast.itunes_type(show.show_type)
    if show.complete:
        fg.podcast.itunes_complete("yes")  # Apple: only "Yes" means anything; omit otherwise
    if show.new_feed_url and not block:
        fg.podcast.itunes_new_feed_url(show.new_feed_url)
    if block:  # a personal feed must never be listed in a directory
        fg.podcast.itunes_block(True)

    p2 = fg.podcastindex
    p2.itunes_explicit_bool(show.explicit)
    if block and self_url:
        # A personal feed is a feed of its own: its own podcast:guid (the UUIDv5 of its own URL, as
        # the spec derives one; the token cannot be read back from it), so no directory or app merges
        # it with the public show; and podcast:block, for every platform, not only Apple's.
        p2.podcast_guid(str(podcast_guid_for(self_url)))
        p2.podcast_block(True)
    elif show.podcast_guid:
        p2.podcast_guid(str(show.podcast_guid))
    if not block:  # where changes are announced (episodes/push.py); a personal feed has no pings
        p2.websub_hubs(push.declared_hubs())
        p2.podcast_podping(push.declares_podping())
    p2.podcast_locked(show.locked, show.owner_email)
    if show.funding_url:
        p2.podcast_funding(show.funding_url, clean_line(show.funding_label) or _("Support the show"))
    p2.podcast_medium("podcast")


def _new_generator() -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("podcast", atom=False)
    register(fg)
    register_keywords(fg)
    return fg


def _render(
    show: Show,
    items: list[FeedItem],
    last_modified: datetime,
    *,
    token: str | None = None,
    extra: list[PersonalFeedItem] | None = None,
) -> bytes:
    fg = _new_generator()
    with translation.override(show.language):  # one cached body, whatever the requester's language
        if token is None:
            _channel(fg, show, last_modified)
        else:
            self_url = settings.SITE_URL + reverse("episodes:personal_feed", args=[token, show.slug])
            _channel(fg, show, last_modified, self_url=self_url, block=True)
        # The show's most used topics (Apple's limit: episodes/itunes_keywords.py).
        fg.keywords.itunes_keywords(most_used(item.topics for item in items))
        urls = _UrlTemplates(show, token)
        for item in items:
            _add_item(fg, item, urls)
        for bonus in extra or []:  # a personal feed's extra items (episodes/personal_feed_items.py), on top
            _add_personal_item(fg, bonus)
    return fg.rss_str(pretty=False, encoding="UTF-8", xml_declaration=True)


def _last_modified(show: Show, items: list[FeedItem]) -> datetime:
    # Newest first: the first item's publish time is when the last scheduled one became public.
    if items and items[0].publish_at > show.content_changed_at:
        return items[0].publish_at
    return show.content_changed_at


def build_feed(show: Show, *, now: datetime | None = None) -> bytes:
    """The RSS 2.0 feed of ``show`` as UTF-8 bytes, with the episodes public at ``now``."""
    now = now or timezone.now()
    items = _published_items(show, now)
    return _render(show, items, _last_modified(show, items))


def _add_personal_item(fg: FeedGenerator, item: PersonalFeedItem) -> None:
    fe = fg.add_entry(order="prepend")
    fe.title(clean_line(item.title))
    fe.link(href=item.link)
    fe.guid(item.guid, permalink=False)
    fe.pubDate(item.published)
    fe.description(item.description_html)
    fe.content(item.description_html)
    fe.enclosure(item.enclosure_url, str(item.enclosure_length), item.enclosure_type)
    fe.podcast.itunes_duration(item.duration_seconds)
    fe.podcast.itunes_episode_type("bonus")


def build_personal_feed(show: Show, token: str, *, now: datetime | None = None, user=None) -> bytes:
    """A listener's private copy of the feed: enclosures carry their token, itunes:block and
    podcast:block are yes, and its podcast:guid is its own (never the show's); no hub is declared.

    Built per request (a personal feed is polled by one app, not by directories), so the token
    never enters a shared cache.
    """
    now = now or timezone.now()
    items = _published_items(show, now)
    extra = personal_feed_items(user, show, now) if user is not None else []
    return _render(show, items, _last_modified(show, items), token=token, extra=extra)


@dataclass(frozen=True)
class FeedState:
    """A built feed as the caches keep it, with what decides whether it is still current."""

    body: bytes
    gzipped: bytes
    etag: str
    last_modified: datetime
    last_modified_http: str
    version: object  # the show's content_changed_at as the database returned it when built
    next_due_at: datetime | None  # the earliest scheduled episode: the feed changes then

    def is_current(self, version: object, now: datetime) -> bool:
        return self.version == version and (self.next_due_at is None or now < self.next_due_at)

    @classmethod
    def built(
        cls, body: bytes, *, last_modified: datetime, version: object, next_due_at: datetime | None
    ) -> "FeedState":
        """A feed just rendered, with its gzipped copy and validators (a show's or a topic's)."""
        return cls(
            body=body,
            gzipped=gzip.compress(body, compresslevel=6, mtime=0),
            # Weak: the identity and gzip bodies are the same feed; If-None-Match compares weakly.
            etag=f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"',
            last_modified=last_modified,
            last_modified_http=http_date(last_modified.timestamp()),
            version=version,
            next_due_at=next_due_at,
        )


def _build_state(pk: int, version: object, now: datetime) -> FeedState | None:
    due = Q(episodes__status=Episode.Status.PUBLISHED, episodes__publish_at__gt=now)
    show = Show.objects.annotate(next_due_at=Min("episodes__publish_at", filter=due)).filter(pk=pk).first()
    if show is None:
        return None  # deleted since the version check
    started = time_monotonic()
    items = _published_items(show, now)
    last_modified = _last_modified(show, items)
    body = _render(show, items, last_modified)
    logger.info("Feed %s built: %d episodes in %.3f s.", show.slug, len(items), time_monotonic() - started)
    due_at = _next_change(show.next_due_at, items, now)
    return FeedState.built(body, last_modified=last_modified, version=version, next_due_at=due_at)


def _next_change(next_publish: datetime | None, items: list[FeedItem], now: datetime) -> datetime | None:
    """When the feed changes by itself: a scheduled episode comes due, or an activity expires
    (its "Earn CME credit" line goes the day after its expiry date)."""
    moments = [next_publish] if next_publish else []
    zone = timezone.get_current_timezone()
    for item in items:
        if item.credit_until is not None:
            ends = datetime.combine(item.credit_until + timedelta(days=1), time.min, tzinfo=zone)
            if ends > now:  # an activity already expired changes nothing any more
                moments.append(ends)
    return min(moments, default=None)


def _cache_key(pk: int) -> str:
    # The hubs and podping a feed declares come from settings: a copy built before the operator
    # changed them (and restarted) must not be served from a cache that outlived the processes.
    declared = f"{push.declared_hubs()}{push.declares_podping()}"
    return CACHE_KEY.format(pk=pk) + ":" + hashlib.blake2b(declared.encode(), digest_size=4).hexdigest()


def _show_version(slug: str) -> tuple[int, object] | None:
    """(pk, content_changed_at) of the show: the one query of a cache hit.

    Plain SQL: the ORM's query compilation alone costs more than the rest of a cached answer,
    and this runs on every poll of every podcast app.
    """
    meta = Show._meta
    quote = connection.ops.quote_name
    pk, changed = quote(meta.pk.column), quote(meta.get_field("content_changed_at").column)
    table, slug_column = quote(meta.db_table), quote(meta.get_field("slug").column)
    sql = f"SELECT {pk}, {changed} FROM {table} WHERE {slug_column} = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug])
        return cursor.fetchone()


# The last few feeds built or fetched by this process, so a hit neither unpickles megabytes from
# the cache backend nor waits on it. Bounded; every entry is checked against the database anyway.
_MEMO_SIZE = 16
_memo: OrderedDict[int, FeedState] = OrderedDict()
_memo_lock = threading.Lock()


def _memo_get(pk: int) -> FeedState | None:
    with _memo_lock:
        state = _memo.get(pk)
        if state is not None:
            _memo.move_to_end(pk)
        return state


def _memo_put(pk: int, state: FeedState) -> None:
    with _memo_lock:
        _memo[pk] = state
        _memo.move_to_end(pk)
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)


# slug -> (pk, version, when checked): within PODCASTCME_FEED_RECHECK_SECONDS a worker answers
# from its copy without asking the database. A change reaches listeners that much later; apps poll
# hourly, and a poll storm then costs no query at all.
_checked: dict[str, tuple[int, object, float]] = {}


def _recently_checked(slug: str) -> tuple[int, object] | None:
    window = settings.PODCASTCME_FEED_RECHECK_SECONDS
    if window <= 0:
        return None
    entry = _checked.get(slug)
    if entry is None or time_monotonic() - entry[2] > window:
        return None
    return entry[0], entry[1]


def _remember_check(slug: str, row: tuple[int, object]) -> None:
    if settings.PODCASTCME_FEED_RECHECK_SECONDS > 0:
        if len(_checked) > 1000:  # bounded: unknown slugs polled by bots must not grow it forever
            _checked.clear()
        _checked[slug] = (row[0], row[1], time_monotonic())


def forget_built_feeds() -> None:
    """Drop this process's copies of built feeds (tests; the cache backend is cleared separately)."""
    _checked.clear()
    with _memo_lock:
        _memo.clear()


def current_feed(slug: str, *, now: datetime | None = None) -> FeedState | None:
    """The current feed of the show ``slug`` (None if there is no such show).

    No cron job: a built feed remembers the show's ``content_changed_at`` (bumped by every service
    that changes the show or its episodes) and when the next scheduled episode is due. A hit costs
    one query (that version check); a rebuild five, whatever the number of episodes.
    """
    now = now or timezone.now()
    row = _recently_checked(slug)
    if row is None:
        row = _show_version(slug)
        if row is None:
            return None
        _remember_check(slug, row)
    pk, version = row
    state = _memo_get(pk)
    if state is not None and state.is_current(version, now):
        return state
    cache = caches[FEED_CACHE_ALIAS if FEED_CACHE_ALIAS in settings.CACHES else "default"]
    if not isinstance(cache, LocMemCache):
        state = _shared_feed(cache, slug, pk, version, now)
    else:  # the embedded default: each worker process keeps its own copy
        key = _cache_key(pk)
        state = cache.get(key)
        if not (isinstance(state, FeedState) and state.is_current(version, now)):
            state = _build_state(pk, version, now)
            if state is not None:
                cache.set(key, state, CACHE_TIMEOUT)
    if state is None:
        return None
    _memo_put(pk, state)
    return state


try:
    from redis.exceptions import RedisError

    _CACHE_DOWN: tuple[type[Exception], ...] = (RedisError, OSError)
except ImportError:  # pragma: no cover - the embedded default needs no Redis client
    _CACHE_DOWN = (OSError,)


def _shared_feed(cache: BaseCache, slug: str, pk: int, version: object, now: datetime) -> FeedState | None:
    """The feed from a cache all nodes share (Redis), built once across the cluster after a change.

    The node that wins ``cache.add`` of the lock builds and stores it; the others wait for the lock
    to go (up to BUILD_WAIT_SECONDS) and read that copy, or build themselves if it does not come.
    With the cache down, the node builds its own copy (kept in its memo) and logs a warning:
    podcast apps keep getting a current feed, only the single flight is lost.
    """
    key = _cache_key(pk)
    lock = f"{key}:building"
    try:
        state = _shared_current(cache, key, slug, pk, version, now)
        if state is not None:
            return state
        token = uuid.uuid4().hex
        if cache.add(lock, token, BUILD_LOCK_SECONDS):
            try:
                # Another node may have stored it between our read and the lock.
                state = _shared_current(cache, key, slug, pk, version, now)
                return state if state is not None else _build_shared(cache, key, slug, now)
            finally:
                if cache.get(lock) == token:  # not a lock that expired and was taken by another
                    cache.delete(lock)
        deadline = time_monotonic() + BUILD_WAIT_SECONDS
        pause = 0.005
        while time_monotonic() < deadline:
            sleep(pause)
            pause = min(pause * 2, 0.05)
            if cache.get(lock) is None:  # a few bytes a poll; the feed is read once, when ready
                state = _shared_current(cache, key, slug, pk, version, now)
                if state is not None:
                    return state
                break
        logger.warning("Feed %s: no copy from the node building it; building here.", slug)
        return _build_shared(cache, key, slug, now)
    except _CACHE_DOWN as error:
        logger.warning("Feed %s: the shared cache is unavailable (%s); building on this node.", slug, error)
        return _build_state(pk, version, now)


def _shared_current(
    cache: BaseCache, key: str, slug: str, pk: int, version: object, now: datetime
) -> FeedState | None:
    state = cache.get(key)
    if not isinstance(state, FeedState):
        return None
    if state.is_current(version, now):
        return state
    if state.version != version:
        # Built by a node that saw another version: this node's check may be up to
        # PODCASTCME_FEED_RECHECK_SECONDS old, so ask the database rather than rebuild.
        fresh = _show_version(slug)
        if fresh is not None and fresh[0] == pk:
            _remember_check(slug, fresh)
            if state.is_current(fresh[1], now):
                return state
    return None


def _build_shared(cache: BaseCache, key: str, slug: str, now: datetime) -> FeedState | None:
    # The version is read again here: the built copy is labelled with what the database says now,
    # never with an older version this node remembered (the other nodes would rebuild it).
    row = _show_version(slug)
    if row is None:
        return None
    _remember_check(slug, row)
    state = _build_state(row[0], row[1], now)
    if state is not None:
        cache.set(key, state, CACHE_TIMEOUT)
    return state
