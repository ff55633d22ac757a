"""Reads for the API, built on the apps' own rules: ``Episode.objects.published()`` (drafts and
scheduled episodes never appear), episodes' and credits' selectors. Each returns a queryset whose
page costs a fixed number of queries (related rows joined or prefetched)."""

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from credits.models import Activity, Certificate, CreditClaim
from credits.selectors import coordinator_activities, coordinator_activity, learner_activity
from episodes import selectors as episode_selectors
from episodes.models import Episode, Show, Topic


def _with_activity(episodes: QuerySet[Episode]) -> QuerySet[Episode]:
    # The episode's activity id comes in the same query (a reverse one-to-one join).
    return episodes.select_related("activity")


def public_episodes() -> QuerySet[Episode]:
    return _with_activity(
        Episode.objects.published().select_related("show").prefetch_related("topics").newest_first()
    )


def public_episode(*, pk: int) -> Episode | None:
    return public_episodes().filter(pk=pk).first()


def shows() -> QuerySet[Show]:
    return episode_selectors.show_list()


def show(*, slug: str) -> Show | None:
    return episode_selectors.show_list().filter(slug=slug).first()


def show_episodes(*, show: Show) -> QuerySet[Episode]:
    return _with_activity(episode_selectors.show_episodes(show=show))


def topics() -> QuerySet[Topic]:
    """Topics with at least one public episode, by name."""
    public = Q(episodes__status=Episode.Status.PUBLISHED, episodes__publish_at__lte=timezone.now())
    return (
        Topic.objects.annotate(public_episode_count=Count("episodes", filter=public))
        .filter(public_episode_count__gt=0)
        .order_by("name", "id")
    )


def topic(*, slug: str) -> Topic | None:
    return topics().filter(slug=slug).first()


def topic_episodes(*, topic: Topic) -> QuerySet[Episode]:
    return _with_activity(episode_selectors.topic_episodes(topic=topic))


def public_activities(*, claimable_only: bool = False) -> QuerySet[Activity]:
    """Published activities whose episode is public, newest release first."""
    activities = Activity.objects.claimable() if claimable_only else Activity.objects.published()
    return (
        activities.filter(episode__in=Episode.objects.published())
        .select_related("provider", "episode__show", "current_version")
        .order_by("-release_date", "-id")
    )


def public_activity(*, pk: int) -> Activity | None:
    """credits' rule for what a learner may open (a published or withdrawn activity of a public episode)."""
    return learner_activity(pk=pk)


def learner_claims(*, learner: User) -> QuerySet[CreditClaim]:
    return (
        CreditClaim.objects.filter(learner=learner)
        .select_related("activity__provider", "certificate")
        .order_by("-claimed_at", "-id")
    )


def learner_certificates(*, learner: User) -> QuerySet[Certificate]:
    """Every certificate of the learner, revoked ones included (marked: a client must see a revocation)."""
    return (
        Certificate.objects.filter(claim__learner=learner)
        .select_related("claim")
        .order_by("-issued_at", "-id")
    )


def coordinator_activity_list(*, user: User):
    return coordinator_activities(user=user)


def coordinator_completions(*, user: User, pk: int) -> QuerySet[Certificate] | None:
    """The certificates of activity ``pk`` (its completions), or None unless ``user`` coordinates it."""
    activity = coordinator_activity(user=user, pk=pk)
    if activity is None:
        return None
    return (
        Certificate.objects.filter(claim__activity=activity)
        .select_related("claim__learner")
        .order_by("-issued_at", "-id")
    )
