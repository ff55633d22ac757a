"""Public reads without a token: shows, episodes (public ones only), activities, topics."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from credits.models import Activity
from episodes.models import Episode, Topic
from testkit import factories


@pytest.fixture
def topic(db):
    return Topic.objects.create(name="airway", slug="airway")


@pytest.fixture
def draft(show):
    return factories.make_episode(show, slug="draft-one", title="Draft one", status=Episode.Status.DRAFT)


@pytest.fixture
def scheduled(show):
    return factories.make_episode(
        show, slug="later-one", title="Later one", publish_at=timezone.now() + datetime.timedelta(days=2)
    )


def test_shows_list_and_detail(client, episode, show):
    body = client.get("/api/v1/shows").json()
    assert [s["slug"] for s in body["results"]] == [show.slug]
    assert body["results"][0]["public_episode_count"] == 1
    assert body["results"][0]["feed_url"].endswith(show.get_feed_url())
    one = client.get(f"/api/v1/shows/{show.slug}").json()
    assert one["title"] == show.title
    assert one["api_url"] == f"http://testserver/api/v1/shows/{show.slug}"


def test_episodes_list_only_public_ones(client, episode, draft, scheduled, show):
    ids = [e["id"] for e in client.get("/api/v1/episodes").json()["results"]]
    assert ids == [episode.pk]
    shown = [e["id"] for e in client.get(f"/api/v1/shows/{show.slug}/episodes").json()["results"]]
    assert shown == [episode.pk]


@pytest.mark.parametrize("which", ["draft", "scheduled"])
def test_draft_or_scheduled_episode_is_404(client, request, which):
    hidden = request.getfixturevalue(which)
    response = client.get(f"/api/v1/episodes/{hidden.pk}")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": f"No public episode with id {hidden.pk}."}


def test_episode_detail(client, episode, topic):
    episode.topics.add(topic)
    body = client.get(f"/api/v1/episodes/{episode.pk}").json()
    assert body["title"] == episode.title
    assert body["topics"] == ["airway"]
    assert body["audio_url"] == "http://testserver" + episode.get_audio_url()
    assert body["activity_id"] is None


def test_activities_carry_credit_expiry_provider_and_claim_url(client, activity, provider):
    body = client.get("/api/v1/activities").json()
    assert [a["id"] for a in body["results"]] == [activity.pk]
    one = client.get(f"/api/v1/activities/{activity.pk}").json()
    assert one["provider"] == {"slug": provider.slug, "name": provider.name}
    assert one["credits"] == [
        {
            "type": "ama-pra-1",
            "label": "AMA PRA Category 1 Credit(s)™",
            "amount": "0.75",
            "accreditor": "ACCME",
        }
    ]
    assert one["expiry_date"] == activity.expiry_date.isoformat()
    assert one["claimable"] is True
    assert one["claim_url"] == f"http://testserver/activities/{activity.pk}/claim/"
    # the episode points to its activity
    assert client.get(f"/api/v1/episodes/{activity.episode_id}").json()["activity_id"] == activity.pk


def test_draft_activity_is_absent_and_404(client, provider, coordinator, show, show_grant):
    episode = factories.make_episode(show, slug="with-draft-activity")
    draft = factories.make_activity(
        provider=provider, episode=episode, coordinator=coordinator, publish=False
    )
    assert draft.status == Activity.Status.DRAFT
    assert client.get("/api/v1/activities").json()["results"] == []
    assert client.get(f"/api/v1/activities/{draft.pk}").status_code == 404
    assert client.get(f"/api/v1/episodes/{episode.pk}").json()["activity_id"] is None


def test_activity_of_a_draft_episode_is_404(client, activity):
    Episode.objects.filter(pk=activity.episode_id).update(status=Episode.Status.DRAFT)
    assert client.get(f"/api/v1/activities/{activity.pk}").status_code == 404
    assert client.get("/api/v1/activities").json()["results"] == []


def test_claimable_filter_leaves_out_an_expired_activity(client, activity):
    factories.expire_activity(activity)
    assert [a["id"] for a in client.get("/api/v1/activities").json()["results"]] == [activity.pk]
    assert client.get("/api/v1/activities?claimable=true").json()["results"] == []
    assert client.get(f"/api/v1/activities/{activity.pk}").json()["claimable"] is False


def test_topics_with_public_episodes_only(client, episode, draft, topic):
    hidden = Topic.objects.create(name="drafts", slug="drafts")
    draft.topics.add(hidden)
    episode.topics.add(topic)
    body = client.get("/api/v1/topics").json()
    assert [t["slug"] for t in body["results"]] == ["airway"]
    assert client.get("/api/v1/topics/drafts").status_code == 404
    episodes = client.get("/api/v1/topics/airway/episodes").json()["results"]
    assert [e["id"] for e in episodes] == [episode.pk]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/v1/episodes/abc", "episode_id: Input should be a valid integer"),
        ("/api/v1/episodes/0", "episode_id: Input should be greater than or equal to 1"),
        ("/api/v1/activities/1.5", "activity_id: Input should be a valid integer"),
        ("/api/v1/episodes?page=0", "page: Input should be greater than or equal to 1"),
        ("/api/v1/episodes?page=x", "page: Input should be a valid integer"),
        ("/api/v1/episodes?limit=0", "limit: Input should be greater than or equal to 1"),
        ("/api/v1/activities?claimable=maybe", "claimable: Input should be a valid boolean"),
    ],
)
def test_bad_input_is_a_json_400_saying_what_is_wrong(client, db, url, message):
    response = client.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_request"
    assert body["message"].startswith(message)


def test_unknown_show_and_unknown_path_are_json_404(client, db):
    response = client.get("/api/v1/shows/no-such-show")
    assert response.status_code == 404
    assert response.json()["message"] == "No show with the slug 'no-such-show'."
    for path in ("/api/v2/shows", "/api/v2", "/api/v1/no/such/thing"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith("application/json"), path
        assert response.json()["error"] == "not_found", path
    # Only versioned paths: the rest of /api/ belongs to other apps (or to the site's 404 page).
    assert not client.get("/api/version").headers["Content-Type"].startswith("application/json")


def test_episode_of_a_show_that_offers_further_credit_types(client, show, coordinator):
    provider = factories.jointly_accredit(factories.make_provider("Joint Society", "joint"))
    factories.grant_show(show, provider)
    episode = factories.make_episode(show, slug="joint-episode")
    activity = factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=factories.make_coordinator(provider, "joint@example.org"),
        other_credits=[{"kind": "ancc"}],
    )
    credits = client.get(f"/api/v1/activities/{activity.pk}").json()["credits"]
    assert [(c["type"], Decimal(c["amount"]), c["accreditor"]) for c in credits] == [
        ("ama-pra-1", Decimal("0.75"), "JA"),
        ("ancc", Decimal("0.75"), "JA"),
    ]
