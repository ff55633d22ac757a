"""Every list endpoint costs a fixed number of queries per page, whatever the number of rows: measured
at two data sizes (a page of 2 items, then of 9)."""

from decimal import Decimal

import pytest

from episodes.models import Episode, Topic
from testkit import factories
from testkit.mfa import give_totp

# endpoint -> queries for one page. An authenticated call adds one (the token and its user).
LISTS = {
    "/api/v1/shows": 1,
    "/api/v1/shows/airway-rounds/episodes": 3,  # the show, the page, the page's topics
    "/api/v1/episodes": 2,  # the page (show and activity joined), its topics
    "/api/v1/topics": 1,
    "/api/v1/topics/airway/episodes": 3,
    "/api/v1/activities": 1,  # provider, episode, show and version joined
    "/api/v1/me/claims": 2,
    "/api/v1/me/certificates": 2,
    "/api/v1/me/transcript": 4,  # credits' transcript: certificates, self-reported credits, labels
    # ... and the coordinator's one more: their authenticator predates the token (CoordinatorTokenAuth).
    "/api/v1/coordinator/activities": 3,
    "/api/v1/coordinator/activities/{activity}/completions": 4,  # the activity (theirs?), the page
}


@pytest.fixture
def data(learner, coordinator, provider, show, show_grant, activity):
    topic = Topic.objects.create(name="airway", slug="airway")

    def grow(size: int, prefix: str) -> None:
        for n in range(size):
            factories.make_show(title=f"{prefix} show {n}", slug=f"{prefix}-show-{n}")
        factories.add_claims(learner, show=show, provider=provider, count=size, prefix=prefix)
        tagged = list(Episode.objects.filter(show=show).exclude(topics=topic))
        Episode.topics.through.objects.bulk_create(
            Episode.topics.through(episode=e, topic=topic) for e in tagged
        )
        for n, episode in enumerate(tagged):  # and a topic of its own, so the topic list grows too
            episode.topics.add(Topic.objects.create(name=f"{prefix}{n}", slug=f"{prefix}-{n}"))
        factories.add_prior_claims(activity, size, prefix=f"{prefix}-prior")

    return grow


def _items(client, url: str, headers: dict, queries: int, assert_num_queries) -> int:
    with assert_num_queries(queries):
        response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    return len(body.get("results", body.get("rows", [])))


@pytest.mark.parametrize("path", list(LISTS))
def test_list_costs_the_same_at_two_sizes(
    client, data, learner, coordinator, activity, make_token, bearer, django_assert_num_queries, path
):
    url = path.format(activity=activity.pk)
    owner = coordinator if "/coordinator/" in url else learner
    if owner == coordinator:
        give_totp(coordinator)  # before the token: coordinator data needs it (CoordinatorTokenAuth)
    headers = bearer(make_token(owner)) if ("/me/" in url or "/coordinator/" in url) else {}
    queries = LISTS[path]
    data(1, "small")
    client.get(url, **headers)  # the token's first use writes last_used_at: not part of the page's cost
    small = _items(client, url, headers, queries, django_assert_num_queries)
    data(7, "large")
    large = _items(client, url, headers, queries, django_assert_num_queries)
    assert large > small >= 1


def test_a_transcript_page_costs_the_same_whatever_the_transcript_length(
    client, data, learner, make_token, bearer, django_assert_num_queries
):
    """The transcript is paged like the other lists (a learner's grows for a whole career): a page of
    2 rows out of a few, then out of many, costs the same queries (the totals span every row)."""
    headers = bearer(make_token(learner))
    url = "/api/v1/me/transcript?limit=2"
    data(2, "small")
    client.get(url, **headers)  # the token's first use writes last_used_at
    with django_assert_num_queries(LISTS["/api/v1/me/transcript"]):
        small = client.get(url, **headers).json()
    data(20, "large")
    with django_assert_num_queries(LISTS["/api/v1/me/transcript"]):
        large = client.get(url, **headers).json()
    assert len(small["results"]) == len(large["results"]) == 2
    assert small["next"] is None and large["next"] is not None
    # ... and the totals count every row, not the page's.
    assert Decimal(large["totals"][0]["credits"]) > Decimal(small["totals"][0]["credits"])
