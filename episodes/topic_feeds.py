"""A topic's RSS feed (/topics/<slug>/feed.xml): the public episodes tagged with it, from every show.

A learner subscribes to #POCUS in any podcast app and gets each show's POCUS episodes, CME episodes
marked. The items are the show feed's own (episodes/feeds.py: the same rows, notes, "Earn CME
credit" line, enclosure URLs and guids), so downloads count for the show as from its own feed.
docs/topic-feeds.md.

Cached like the show feed, keyed on a version that changes whenever an item of the feed can change:
every service that changes an episode, a show or a CME activity bumps ``Show.content_changed_at``
(an episode gaining or losing the topic bumps its show), so the newest bump among the shows with an
episode tagged with the topic, with how many such shows there are, changes with every change that
matters (a show whose last tagged episode lost the tag leaves the count). The next scheduled
episode and the end of an open activity are kept with the built feed (FeedState.next_due_at).
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count, Max, Min
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .feeds import (
    _CACHE_DOWN,
    CACHE_TIMEOUT,
    FEED_CACHE_ALIAS,
    FeedItem,
    FeedState,
    _add_item,
    _new_generator,
    _next_change,
    _UrlTemplates,
    episode_credit_link,
    feed_items,
)
from .itunes_keywords import most_used
from .models import Episode, Show, Topic, podcast_guid_for
from .text import clean_line

# The newest episodes the feed carries: a topic may gather thousands across shows, and an app wants
# what is new; the topic page lists them all.
TOPIC_FEED_LIMIT = 100
# The site's name in the channel title ("#POCUS on podcastcme"), as podcastcme/templatetags/site_title.py
# names it on every page (that module sits above episodes, which may not import it).
SITE_NAME = "podcastcme"
CME_MARK = "(CME)"
CME_KEYWORD = "CME"
CACHE_KEY = "podcastcme:topic-feed:v1:{pk}"
# The channel's Apple category: every show here is continuing medical education.
CATEGORY = {"cat": "Health & Fitness", "sub": "Medicine"}

logger = logging.getLogger(__name__)


def topic_episodes(topic_id: int, now: datetime):
    """The episodes a topic feed may carry: public now (published, publish time come; what the show
    feed and the pages call public, EpisodeQuerySet.published), tagged with the topic, of a show that
    has not moved away to another host (its feed now answers 301 there)."""
    return Episode.objects.published(now=now).filter(topics=topic_id, show__moved_away_at__isnull=True)


def topic_version(slug: str) -> tuple[int, tuple] | None:
    """(pk, version) of the topic ``slug`` (exact, as stored), or None: the one query of a cache hit.

    The version: the topic's name and slug (the channel title, its links) and, over the shows that
    have an episode tagged with it (any status), the newest ``content_changed_at`` and how many they are.
    """
    row = (
        Topic.objects.filter(slug=slug)
        .order_by()
        .annotate(changed=Max("episodes__show__content_changed_at"))
        .annotate(shows=Count("episodes__show", distinct=True))
        .values_list("pk", "name", "slug", "changed", "shows")
        .first()
    )
    if row is None:
        return None
    pk, *version = row
    return pk, tuple(version)


def canonical_slug(slug: str) -> str | None:
    """The stored slug of a topic asked for in another case (/topics/POCUS/ for pocus), or None."""
    return Topic.objects.filter(slug__iexact=slug).values_list("slug", flat=True).first()


def _item_title(item: FeedItem, show_title: str, marked: bool) -> str:
    title = clean_line(item.title)
    if marked:
        title = f"{title} {CME_MARK}"
    return _("%(episode)s · %(show)s") % {"episode": title, "show": clean_line(show_title)}


def _unique_guids(items: list[FeedItem]) -> dict[int, str]:
    """pk -> the item's guid when another item of the feed carries the same one.

    Every item keeps the guid it has in its show's feed (apps that know the episode know it by that
    guid). Guids are unique per show only: two imported shows may carry the same one. In the topic
    feed the oldest episode (lowest pk) keeps it; the others get "#<show id>" appended, so no app
    merges two episodes into one.
    """
    by_guid: dict[str, list[FeedItem]] = {}
    for item in items:
        by_guid.setdefault(item.source_guid or item.guid, []).append(item)
    renamed: dict[int, str] = {}
    for guid, same in by_guid.items():
        for item in sorted(same, key=lambda row: row.pk)[1:]:
            renamed[item.pk] = f"{guid}#{item.show_id}"
    return renamed


def _render(topic: Topic, items: list[FeedItem], shows: dict[int, Show], last_modified: datetime) -> bytes:
    site = settings.SITE_URL
    page = site + topic.get_absolute_url()
    self_url = site + reverse("episodes:topic_feed", args=[topic.slug])
    fg = _new_generator()
    with translation.override(settings.LANGUAGE_CODE):  # one cached body, whatever the requester's
        fg.title(_("#%(topic)s on %(site)s") % {"topic": topic.name, "site": SITE_NAME})
        fg.description(
            _(
                "Episodes tagged #%(topic)s from every show on %(site)s, newest first. Episodes marked "
                "%(mark)s are accredited: their notes link to the page where you earn CME credit."
            )
            % {"topic": topic.name, "site": SITE_NAME, "mark": CME_MARK}
        )
        fg.link(href=self_url, rel="self", type="application/rss+xml")
        fg.link(href=page, rel="alternate")
        fg.language(settings.LANGUAGE_CODE)
        fg.lastBuildDate(last_modified)
        fg.generator(SITE_NAME)
        fg.podcast.itunes_author(SITE_NAME)
        fg.podcast.itunes_category(CATEGORY)
        fg.podcast.itunes_type("episodic")
        # Not for directories: the episodes are listed there in their own shows' feeds (a directory
        # refuses a feed that repeats other podcasts). Apps still subscribe to it by its URL.
        fg.podcast.itunes_block(True)
        p2 = fg.podcastindex
        p2.itunes_explicit_bool(any(item.explicit for item in items))
        p2.podcast_guid(str(podcast_guid_for(self_url)))
        p2.podcast_block(True)
        p2.podcast_medium("podcast")
        fg.keywords.itunes_keywords(most_used((item.topics for item in items), first=[topic.name]))

        urls: dict[int, _UrlTemplates] = {}
        guids = _unique_guids(items)
        for item in items:
            show = shows[item.show_id]
            if show.pk not in urls:
                urls[show.pk] = _UrlTemplates(show)
            page_url = urls[show.pk].page.format(slug=item.slug)
            cme = episode_credit_link(item, page_url) is not None
            fe = _add_item(fg, item, urls[show.pk])  # notes with the "Earn CME credit" line, guid
            fe.title(_item_title(item, show.title, cme))
            if item.pk in guids:
                fe.guid(guids[item.pk], permalink=False)
            if not item.artwork and show.artwork:  # each item shows its own show's cover
                fe.podcast.itunes_image(site + show.get_feed_artwork_url())
            if cme:
                fe.category(term=CME_KEYWORD)
                fe.keywords.itunes_keywords([CME_KEYWORD, *item.topics])
    return fg.rss_str(pretty=False, encoding="UTF-8", xml_declaration=True)


def _build_state(pk: int, version: tuple, now: datetime) -> FeedState | None:
    topic = Topic.objects.filter(pk=pk).first()
    if topic is None:
        return None  # deleted since the version check
    episodes = topic_episodes(pk, now)
    items = feed_items(episodes, TOPIC_FEED_LIMIT)
    shows = Show.objects.in_bulk({item.show_id for item in items})
    next_publish = Episode.objects.filter(
        status=Episode.Status.PUBLISHED, publish_at__gt=now, topics=pk, show__moved_away_at__isnull=True
    ).aggregate(next=Min("publish_at"))["next"]
    changed = version[2]
    moments = [moment for moment in (changed, items[0].publish_at if items else None) if moment]
    last_modified = max(moments, default=now)
    body = _render(topic, items, shows, last_modified)
    return FeedState.built(
        body, last_modified=last_modified, version=version, next_due_at=_next_change(next_publish, items, now)
    )


def current_topic_feed(slug: str, *, now: datetime | None = None) -> FeedState | None:
    """The current feed of the topic ``slug`` (None if there is no such topic).

    A hit costs one query (the version); a rebuild six, whatever the number of episodes and shows.
    The built feed is kept in the feeds cache (the default one when none is configured); with a
    shared cache unavailable, the feed is built here and answered all the same.
    """
    now = now or timezone.now()
    row = topic_version(slug)
    if row is None:
        return None
    pk, version = row
    cache = caches[FEED_CACHE_ALIAS if FEED_CACHE_ALIAS in settings.CACHES else "default"]
    key = CACHE_KEY.format(pk=pk)
    try:
        state = cache.get(key)
    except _CACHE_DOWN as error:  # a cache outage must not take the feed down
        logger.warning("Topic feed %s: the cache is unavailable (%s); building here.", slug, error)
        return _build_state(pk, version, now)
    if isinstance(state, FeedState) and state.is_current(version, now):
        return state
    state = _build_state(pk, version, now)
    if state is not None:
        try:
            cache.set(key, state, CACHE_TIMEOUT)
        except _CACHE_DOWN as error:
            logger.warning("Topic feed %s: the cache is unavailable (%s).", slug, error)
    return state
