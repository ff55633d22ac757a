"""Reads for the public pages: shows, public episodes, topics and search, in constant query counts."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Episode, EpisodePerson, Show, ShowType, Topic

SEARCH_MAX_CHARS = 200
# More words than this are noise for a title/notes search and only make the SQL longer.
SEARCH_MAX_TERMS = 8


def show_list() -> QuerySet[Show]:
    """Every show (a show has no status of its own), with how many episodes are public now."""
    now = timezone.now()
    public = Q(episodes__status=Episode.Status.PUBLISHED, episodes__publish_at__lte=now)
    return Show.objects.annotate(public_episode_count=Count("episodes", filter=public)).order_by("title")


def show_by_slug(*, slug: str) -> Show | None:
    return Show.objects.filter(slug=slug).first()


def _listing(episodes: QuerySet[Episode]) -> QuerySet[Episode]:
    # One query for the page of episodes (show joined) and one for all their topics, whatever the count.
    return episodes.select_related("show").prefetch_related("topics")


def show_episodes(*, show: Show) -> QuerySet[Episode]:
    """The show's public episodes: newest first, or oldest first for a serial show (as Apple lists them)."""
    episodes = Episode.objects.published().filter(show=show)
    if show.show_type == ShowType.SERIAL:
        episodes = episodes.order_by("publish_at", "id")
    else:
        episodes = episodes.newest_first()
    return _listing(episodes)


def episode_for_page(*, show_slug: str, slug: str, include_unpublished: bool = False) -> Episode | None:
    """One episode with its show, topics and persons; only a public one unless asked otherwise."""
    episodes = Episode.objects.all() if include_unpublished else Episode.objects.published()
    return (
        episodes.filter(show__slug=show_slug, slug=slug)
        .select_related("show")
        .prefetch_related(
            "topics", Prefetch("persons", queryset=EpisodePerson.objects.order_by("position", "id"))
        )
        .first()
    )


def topic_by_slug(*, slug: str) -> Topic | None:
    return Topic.objects.filter(slug=slug).first()


def topic_episodes(*, topic: Topic) -> QuerySet[Episode]:
    """Public episodes tagged with the topic, across every show, newest first."""
    return _listing(Episode.objects.published().filter(topics=topic).newest_first())


def search_terms(query: str) -> list[str]:
    """Words of the query; a leading # is dropped so `#POCUS` finds the topic POCUS."""
    terms = []
    for word in query.split():
        word = word.lstrip("#")
        if word and word.lower() not in {t.lower() for t in terms}:
            terms.append(word)
    return terms[:SEARCH_MAX_TERMS]


def episode_search(*, query: str) -> QuerySet[Episode]:
    """Public episodes whose title, notes or a topic contain every word of the query (any case).

    `icontains` works the same on SQLite and PostgreSQL, so results do not depend on the database;
    PostgreSQL full-text search would add stemming but also a second behaviour to test and explain.
    """
    terms = search_terms(query)
    if not terms:
        return Episode.objects.none()
    episodes = Episode.objects.published()
    tagged = Episode.topics.through.objects
    for term in terms:
        # A subquery rather than a join on topics, so an episode is listed once (no DISTINCT needed).
        topic_match = tagged.filter(topic__name__icontains=term).values("episode_id")
        episodes = episodes.filter(
            Q(title__icontains=term) | Q(notes__icontains=term) | Q(pk__in=topic_match)
        )
    return _listing(episodes.newest_first())
