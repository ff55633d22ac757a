"""Reads for the public pages (shows, public episodes, topics, search) and the host's download dashboard."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import DailyEpisodeDownloads, Episode, EpisodePerson, Show, ShowType, Topic

SEARCH_MAX_CHARS = 200
# More words than this are noise for a title/notes search and only make the SQL longer.
SEARCH_MAX_TERMS = 8
DASHBOARD_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
TOP_APPS = 8


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
    terms: list[str] = []
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


# --- The host dashboard: counted downloads from the daily totals, never the request log ---------


def parse_days(value: str | None) -> int:
    """The dashboard period from ``?days=``: 7, 30 or 90; anything else falls back to 30."""
    try:
        days = int(value or DEFAULT_DAYS)
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days in DASHBOARD_DAYS else DEFAULT_DAYS


@dataclass(frozen=True)
class ShowDownloads:
    days: int
    first_day: date
    last_day: date
    per_day: list[tuple[date, int]]  # every day of the period, zeros included
    episodes: list[Episode]  # annotated with .period_downloads and .all_time_downloads
    apps: list[tuple[str, int]]  # the most used apps in the period, most first
    total: int


def show_downloads(*, show: Show, days: int, today: date | None = None) -> ShowDownloads:
    """Counted downloads of one show over the last ``days`` days: three queries, whatever the traffic."""
    last_day = today or timezone.localdate()
    first_day = last_day - timedelta(days=days - 1)
    period = DailyEpisodeDownloads.objects.filter(show=show, day__gte=first_day, day__lte=last_day)
    by_day = dict(period.values_list("day").annotate(total=Sum("count")).order_by())
    per_day = [(first_day + timedelta(n), by_day.get(first_day + timedelta(n), 0)) for n in range(days)]
    in_period = Q(daily_downloads__day__gte=first_day, daily_downloads__day__lte=last_day)
    episodes = list(
        Episode.objects.filter(show=show)
        .annotate(
            period_downloads=Coalesce(Sum("daily_downloads__count", filter=in_period), 0),
            all_time_downloads=Coalesce(Sum("daily_downloads__count"), 0),
        )
        .order_by("-period_downloads", "-publish_at", "-id")
    )
    apps = list(period.values_list("app").annotate(total=Sum("count")).order_by("-total", "app")[:TOP_APPS])
    return ShowDownloads(
        days=days,
        first_day=first_day,
        last_day=last_day,
        per_day=per_day,
        episodes=episodes,
        apps=[(app or "Other", total) for app, total in apps],
        total=sum(count for _, count in per_day),
    )
