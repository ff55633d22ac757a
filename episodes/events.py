"""Who hears that an episode was published: higher apps (webhooks sends ``episode.published``)
register here from their AppConfig.ready(); episodes never imports them.

The services call ``episode_published(episode)`` where a host publishes an episode or changes a
scheduled episode's time. After the commit the listeners get ``fn(EPISODE_PUBLISHED, episode_id)``
for an episode public now, or ``fn(EPISODE_SCHEDULED, episode_id)`` for one published for a later
time: a listener that must act at that moment defers its own task to it (as fediverse does for its
posts), so no task is queued for an app with nothing to do then. Each listener is called on its own,
so one failure does not silence the others.
"""

import logging
from collections.abc import Callable
from functools import partial

from django.db import transaction

from .models import Episode

logger = logging.getLogger(__name__)

EPISODE_PUBLISHED = "episode.published"  # public now
EPISODE_SCHEDULED = "episode.scheduled"  # published for a later time (its publish_at)

EpisodeListener = Callable[[str, int], None]
_listeners: list[EpisodeListener] = []


def register_episode_listener(fn: EpisodeListener) -> None:
    """Call ``fn(event, episode_id)`` after each commit that publishes or schedules an episode."""
    if fn not in _listeners:
        _listeners.append(fn)


def _notify(event: str, episode_id: int) -> None:
    for fn in list(_listeners):
        try:
            fn(event, episode_id)
        except Exception:
            logger.exception("episode listener %r failed for %s %s", fn, event, episode_id)


def episode_published(episode: Episode) -> None:
    """The episode was just published, now or for later: tell the listeners after the commit."""
    if _listeners and episode.is_public:
        transaction.on_commit(partial(_notify, EPISODE_PUBLISHED, episode.pk), robust=True)
    elif _listeners and episode.is_scheduled:
        transaction.on_commit(partial(_notify, EPISODE_SCHEDULED, episode.pk), robust=True)
