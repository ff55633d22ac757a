"""What other servers fetch: the outbox (paged, newest first, Create activities of public episodes) and
each object by its id, with content negotiation (ActivityPub JSON for servers, a redirect to the
page for browsers); an object that is not public is 404, one deleted after it was federated 410."""

import datetime

import pytest
from django.utils import timezone

from discussion.models import Comment
from episodes.models import Episode
from fediverse import sync
from fediverse.keys import actor_key
from fediverse.models import ActorKey, Delivery, Follower, RemoteActor
from fediverse.views_content import OUTBOX_PAGE_SIZE
from testkit import factories

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _get(client, url: str, accept: str = AP):
    return client.get(url, HTTP_ACCEPT=accept)


@pytest.fixture
def federating(show):
    key = actor_key(show)
    ActorKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    actor = RemoteActor.objects.create(
        url="https://social.example/users/ann", domain="social.example", inbox="https://social.example/inbox"
    )
    Follower.objects.create(show=show, actor=actor, follow_activity_id="https://social.example/f/1")
    return show


# --- Episode Notes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [AP, LD, "", "*/*"])
def test_an_episode_note_is_served_as_activity_json(client, episode, accept):
    response = _get(client, f"/ap/episodes/{episode.pk}", accept)
    assert response.status_code == 200
    assert response["Content-Type"] == AP
    assert "Accept" in response["Vary"]
    data = response.json()
    assert data["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert (data["id"], data["type"]) == (f"{SITE}/ap/episodes/{episode.pk}", "Note")


def test_a_browser_is_redirected_to_the_episode_page(client, episode):
    response = _get(client, f"/ap/episodes/{episode.pk}", BROWSER)
    assert response.status_code == 302 and response["Location"] == episode.get_absolute_url()
    assert "Accept" in response["Vary"]


def test_a_draft_or_scheduled_or_missing_episode_is_404(client, show, episode):
    scheduled = factories.make_episode(
        show, slug="later", publish_at=timezone.now() + datetime.timedelta(days=1)
    )
    draft = factories.make_episode(show, slug="draft", status=Episode.Status.DRAFT, publish_at=None)
    for pk in (scheduled.pk, draft.pk, 999999):
        assert _get(client, f"/ap/episodes/{pk}").status_code == 404
        assert _get(client, f"/ap/episodes/{pk}", BROWSER).status_code == 404


def test_a_deleted_episode_is_gone_with_its_tombstone(client, federating, episode):
    sync.sync_show(federating.pk)
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.DRAFT)
    sync.sync_show(federating.pk)
    response = _get(client, f"/ap/episodes/{episode.pk}")
    assert response.status_code == 410
    data = response.json()
    assert (data["id"], data["type"], data["formerType"]) == (
        f"{SITE}/ap/episodes/{episode.pk}",
        "Tombstone",
        "Note",
    )
    assert data["deleted"].endswith("Z")
    assert _get(client, f"/ap/episodes/{episode.pk}", BROWSER).status_code == 404  # the page is gone too


def test_an_updated_episode_note_says_when(client, federating, episode):
    sync.sync_show(federating.pk)
    assert "updated" not in _get(client, f"/ap/episodes/{episode.pk}").json()
    Episode.objects.filter(pk=episode.pk).update(title="Revised")
    sync.sync_show(federating.pk)
    data = _get(client, f"/ap/episodes/{episode.pk}").json()
    assert data["updated"] == Delivery.objects.order_by("-pk").first().activity["object"]["updated"]


def test_objects_answer_only_reads(client, episode):
    assert client.post(f"/ap/episodes/{episode.pk}", HTTP_ACCEPT=AP).status_code == 405
    assert client.head(f"/ap/episodes/{episode.pk}", HTTP_ACCEPT=AP).status_code == 200


# --- Comment Notes ---------------------------------------------------------------------------------


@pytest.fixture
def site_comment(episode, make_user):
    return Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.SITE,
        author=make_user("ada@example.org", profile=True),
        body_html="<p>Nice.</p>",
        status=Comment.Status.SHOWN,
    )


def test_a_shown_site_comment_is_the_shows_reply(client, site_comment):
    data = _get(client, f"/ap/comments/{site_comment.pk}").json()
    assert (data["id"], data["type"]) == (f"{SITE}/ap/comments/{site_comment.pk}", "Note")
    assert data["attributedTo"] == f"{SITE}/ap/shows/airway-rounds"
    response = _get(client, f"/ap/comments/{site_comment.pk}", BROWSER)
    assert response.status_code == 302 and response["Location"] == site_comment.get_absolute_url()


def test_a_held_or_remote_comment_is_404(client, site_comment, episode):
    Comment.objects.filter(pk=site_comment.pk).update(status=Comment.Status.HELD)
    assert _get(client, f"/ap/comments/{site_comment.pk}").status_code == 404
    remote = Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.REMOTE,
        remote_actor_url="https://social.example/users/bob",
        remote_object_id="https://social.example/users/bob/statuses/1",
        body_html="<p>Hi</p>",
        status=Comment.Status.SHOWN,
    )
    assert _get(client, f"/ap/comments/{remote.pk}").status_code == 404


def test_a_hidden_comment_once_federated_is_gone(client, federating, site_comment):
    sync.sync_show(federating.pk)
    assert sync.sync_comment(site_comment.pk) == "created"
    Comment.objects.filter(pk=site_comment.pk).update(status=Comment.Status.HIDDEN, hidden_reason="Spam")
    assert sync.sync_comment(site_comment.pk) == "deleted"
    response = _get(client, f"/ap/comments/{site_comment.pk}")
    assert response.status_code == 410 and response.json()["type"] == "Tombstone"


# --- The outbox ------------------------------------------------------------------------------------


@pytest.fixture
def many(show):
    """25 public episodes (the newest published most recently), a draft and a scheduled one."""
    now = timezone.now()
    episodes = [
        factories.make_episode(
            show, slug=f"e{n}", title=f"Episode {n}", publish_at=now - datetime.timedelta(days=30 - n)
        )
        for n in range(25)
    ]
    factories.make_episode(show, slug="draft", status=Episode.Status.DRAFT, publish_at=None)
    factories.make_episode(show, slug="later", publish_at=now + datetime.timedelta(days=1))
    return episodes


def test_the_outbox_is_a_paged_collection(client, many):
    outbox = f"{SITE}/ap/shows/airway-rounds/outbox"
    response = _get(client, "/ap/shows/airway-rounds/outbox")
    assert response.status_code == 200 and response["Content-Type"] == AP
    assert response.json() == {
        "@context": response.json()["@context"],
        "id": outbox,
        "type": "OrderedCollection",
        "totalItems": 25,
        "first": f"{outbox}?page=1",
        "last": f"{outbox}?page=2",
    }


def test_outbox_pages_hold_create_activities_newest_first(client, many, django_assert_max_num_queries):
    outbox = f"{SITE}/ap/shows/airway-rounds/outbox"
    with django_assert_max_num_queries(10 + 3 * OUTBOX_PAGE_SIZE):
        first = _get(client, "/ap/shows/airway-rounds/outbox?page=1").json()
    assert (first["type"], first["partOf"], first["next"]) == (
        "OrderedCollectionPage",
        outbox,
        f"{outbox}?page=2",
    )
    assert "prev" not in first
    items = first["orderedItems"]
    assert len(items) == OUTBOX_PAGE_SIZE
    assert [item["object"]["id"] for item in items[:2]] == [
        f"{SITE}/ap/episodes/{many[24].pk}",
        f"{SITE}/ap/episodes/{many[23].pk}",
    ]
    assert {item["type"] for item in items} == {"Create"}
    assert items[0]["actor"] == f"{SITE}/ap/shows/airway-rounds" and "@context" not in items[0]
    second = _get(client, "/ap/shows/airway-rounds/outbox?page=2").json()
    assert len(second["orderedItems"]) == 5 and "next" not in second and second["prev"] == f"{outbox}?page=1"
    titles = [i["object"]["content"] for i in items + second["orderedItems"]]
    assert not any("draft" in t.lower() or "later" in t.lower() for t in titles)


def test_the_outbox_create_is_the_one_that_was_delivered(client, federating, episode):
    sync.sync_show(federating.pk)
    delivered = Delivery.objects.get().activity
    (item,) = _get(client, "/ap/shows/airway-rounds/outbox?page=1").json()["orderedItems"]
    assert item["id"] == delivered["id"]
    assert item["object"] == delivered["object"]


@pytest.mark.parametrize(
    ("page", "status"), [("abc", 400), ("0", 400), ("-1", 400), ("1.5", 400), ("3", 404)]
)
def test_a_bad_outbox_page_is_refused(client, many, page, status):
    response = _get(client, f"/ap/shows/airway-rounds/outbox?page={page}")
    assert response.status_code == status
    if status == 400:
        assert b"page must be a whole number" in response.content


def test_an_empty_outbox_has_one_empty_page(client, show):
    assert _get(client, "/ap/shows/airway-rounds/outbox").json()["totalItems"] == 0
    assert _get(client, "/ap/shows/airway-rounds/outbox?page=1").json()["orderedItems"] == []


def test_the_outbox_of_an_unknown_show_is_404_and_a_browser_goes_to_the_show_page(client, show):
    assert _get(client, "/ap/shows/nope/outbox").status_code == 404
    response = _get(client, "/ap/shows/airway-rounds/outbox", BROWSER)
    assert response.status_code == 302 and response["Location"] == show.get_absolute_url()


def test_a_moved_show_has_an_empty_outbox(client, show, episode):
    type(show).objects.filter(pk=show.pk).update(moved_away_at=timezone.now())
    assert _get(client, "/ap/shows/airway-rounds/outbox").json()["totalItems"] == 0
    assert _get(client, f"/ap/episodes/{episode.pk}").status_code == 404
