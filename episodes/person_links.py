"""Links other apps give to the people heard in episodes (podcast:person ``href``).

Episodes sits below credits (docs/architecture.md) and may not ask it who is a verified clinician.
credits registers a function here from its ``AppConfig.ready()`` (credits/clinicians.py): given the
episodes of a feed, it answers the page each verified person's ``podcast:person`` links to. The feed
calls ``person_links`` once per build, whatever the number of episodes (a registered function must
answer in a constant number of queries: it receives the episodes as a subquery or a list of ids).

``people_links_changed`` is the service a higher app calls when what it answers changes (a
verification made or revoked): the shows' feeds are rebuilt and their hubs told.
"""

from collections.abc import Callable, Iterable

from django.db.models import QuerySet
from django.utils import timezone

from .models import Show
from .push import feed_changed

# (episode id, the EpisodePerson's name as stored) -> absolute URL the person links to.
PersonLinks = dict[tuple[int, str], str]
# ``episode_ids``: a list of ids, or a queryset of episodes' ``pk`` values (used as a subquery).
PersonLinkSource = Callable[[Iterable[int] | QuerySet], PersonLinks]
_sources: list[PersonLinkSource] = []


def register_person_links(source: PersonLinkSource) -> None:
    """Called once by a higher app's AppConfig.ready(); registering twice keeps one."""
    if source not in _sources:
        _sources.append(source)


def person_links(episode_ids: Iterable[int] | QuerySet) -> PersonLinks:
    """What the registered sources answer for these episodes (a later source wins a tie)."""
    links: PersonLinks = {}
    for source in _sources:
        links.update(source(episode_ids))
    return links


def people_links_changed(*, shows: QuerySet[Show]) -> None:
    """The links of people in ``shows``' episodes changed: their feeds are rebuilt (the feed cache
    keys on ``content_changed_at``) and hubs hear of it after the commit."""
    now = timezone.now()
    changed = list(shows.only("pk"))
    Show.objects.filter(pk__in=[show.pk for show in changed]).update(content_changed_at=now)
    for show in changed:
        feed_changed(show)
