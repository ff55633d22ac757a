"""Extra items in a listener's personal feed, from apps above episodes (followups' follow-up reminders):
they register ``fn(user, show, now) -> list[PersonalFeedItem]`` from their AppConfig.ready(); episodes
never imports them. Each item is rendered like a bonus episode: a title, notes with a link, a guid of
its own, and one small enclosure (apps drop an item without one; docs/follow-up.md)."""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PersonalFeedItem:
    guid: str
    title: str
    link: str
    description_html: str
    published: datetime.datetime
    enclosure_url: str
    enclosure_length: int
    enclosure_type: str = "audio/mpeg"
    duration_seconds: int = 1


PersonalFeedItems = Callable[..., list[PersonalFeedItem]]
_sources: list[PersonalFeedItems] = []


def register_personal_feed_items(fn: PersonalFeedItems) -> None:
    if fn not in _sources:
        _sources.append(fn)


def personal_feed_items(user, show, now: datetime.datetime) -> list[PersonalFeedItem]:
    """Every registered source's items for this listener and show; a failing source adds nothing
    (the feed itself must still be served)."""
    items: list[PersonalFeedItem] = []
    for fn in list(_sources):
        try:
            items.extend(fn(user, show, now))
        except Exception:
            logger.exception("personal feed items from %r failed", fn)
    return items
