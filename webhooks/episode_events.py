"""``episode.published`` for a show's endpoints: at once for an episode public now, and for a
scheduled one by a task deferred to its publish time (as fediverse/sync.py does for its posts),
queued only when the show has an endpoint for the event."""

from datetime import datetime, timedelta

from django.db import transaction
from django_tasks import task

from episodes.events import EPISODE_PUBLISHED, EPISODE_SCHEDULED
from episodes.models import Episode

from . import payloads
from .services import deliveries_create, subscribed


def on_episode_event(event: str, episode_id: int) -> None:
    """episodes.events listener (after the commit): an episode became public, or was scheduled."""
    episode = Episode.objects.select_related("show").filter(pk=episode_id).first()
    if episode is None or episode.publish_at is None:
        return
    endpoints = subscribed(EPISODE_PUBLISHED, show_id=episode.show_id)
    if not endpoints:
        return
    if event == EPISODE_SCHEDULED and episode.is_scheduled:
        # The immediate backend (development, tests) cannot wait: there the task is run by whoever
        # moves time on. A rescheduled episode queues another; the old one then finds nothing to do.
        if episode_published_due.get_backend().supports_defer:
            episode_published_due.using(run_after=episode.publish_at + timedelta(seconds=1)).enqueue(
                episode_id, episode.publish_at.isoformat()
            )
        return
    if event != EPISODE_PUBLISHED or not episode.is_public:
        return
    # Once per publication: told at its time and again (a retried task, an edit) is one event.
    key = f"{EPISODE_PUBLISHED}:{episode_id}:{int(episode.publish_at.timestamp())}"
    with transaction.atomic():
        deliveries_create(
            event=EPISODE_PUBLISHED, event_key=key, data=payloads.episode_data(episode), endpoints=endpoints
        )


@task()
def episode_published_due(episode_id: int, publish_at: str) -> bool:
    """A scheduled episode's time came: send it if it is still published for that very time
    (unpublished or rescheduled since: nothing; a new time has its own task)."""
    episode = Episode.objects.filter(pk=episode_id).only("status", "publish_at").first()
    if episode is None or episode.publish_at != datetime.fromisoformat(publish_at) or not episode.is_public:
        return False
    on_episode_event(EPISODE_PUBLISHED, episode_id)
    return True
