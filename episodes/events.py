"""Who hears that an episode became public: higher apps (webhooks sends ``episode.published``)
register here from their AppConfig.ready(); episodes never imports them.

``episode_published(episode)`` is called by the services where a host publishes an episode (at
once or for later). After the commit, an episode public now is told at once; a scheduled one is
told by a task deferred to its publish time (as episodes/push.py pings for it), which first checks
that it is still published for that very time (unpublished or moved in the meantime: nothing).
The immediate task backend (development, tests) cannot wait: there ``episode_publish_due`` is run
by whoever moves time on. Listeners get ``fn(EPISODE_PUBLISHED, episode_id)``; each one on its own,
so one failure does not silence the others.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import Episode

logger = logging.getLogger(__name__)

EPISODE_PUBLISHED = "episode.published"

EpisodeListener = Callable[[str, int], None]
_listeners: list[EpisodeListener] = []


def register_episode_listener(fn: EpisodeListener) -> None:
    """Call ``fn(event, episode_id)`` once an episode becomes public; once per fn."""
    if fn not in _listeners:
        _listeners.append(fn)


def _notify(event: str, episode_id: int) -> None:
    for fn in list(_listeners):
        try:
            fn(event, episode_id)
        except Exception:
            logger.exception("episode listener %r failed for %s %s", fn, event, episode_id)


def episode_published(episode: Episode) -> None:
    """The episode was just published (now or for later): tell the listeners when it is public."""
    if _listeners and episode.status == Episode.Status.PUBLISHED and episode.publish_at is not None:
        transaction.on_commit(partial(_after_commit, episode.pk, episode.publish_at), robust=True)


def _after_commit(episode_id: int, publish_at: datetime) -> None:
    if publish_at <= timezone.now():
        _notify(EPISODE_PUBLISHED, episode_id)
    elif episode_publish_due.get_backend().supports_defer:
        episode_publish_due.using(run_after=publish_at + timedelta(seconds=1)).enqueue(
            episode_id, publish_at.isoformat()
        )


@task()
def episode_publish_due(episode_id: int, publish_at: str) -> bool:
    """A scheduled episode's time came: tell the listeners if it is still published for that time."""
    due = datetime.fromisoformat(publish_at)
    episode = Episode.objects.filter(pk=episode_id).only("status", "publish_at").first()
    if episode is None or episode.publish_at != due or not episode.is_public:
        return False
    _notify(EPISODE_PUBLISHED, episode_id)
    return True
