"""Followers see what is public, exactly once: sync sends a Create for a new public episode, an Update
when its Note changes, a Delete (Tombstone) when it stops being public, and nothing when run again;
scheduled episodes are federated at their moment (the due task); old episodes are not announced
when federation starts (backfill rule); site comments federate as the show's replies when shown
and are deleted when hidden. Deliveries are checked as Delivery rows, and once end to end against a
loopback inbox (signed POSTs after the commit, through the feed listener)."""

import datetime
import json

import pytest
from django.utils import timezone
from django_tasks import default_task_backend

from discussion.corrections import correction_publish
from discussion.listeners import HIDDEN, SHOWN
from discussion.models import Comment
from episodes import services as episode_services
from episodes.models import Episode
from fediverse import sync
from fediverse.keys import actor_key
from fediverse.models import ActorKey, Delivery, FederatedObject, Follower, RemoteActor
from testkit import factories
from testkit.loopback import LoopbackServer, QuietHandler

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
QUEUE = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _follow(show, name: str, domain: str, shared: str = "", inbox: str = "") -> RemoteActor:
    actor = RemoteActor.objects.create(
        url=f"https://{domain}/users/{name}",
        domain=domain,
        preferred_username=name,
        inbox=inbox or f"https://{domain}/users/{name}/inbox",
        shared_inbox=shared,
    )
    Follower.objects.create(show=show, actor=actor, follow_activity_id=f"https://{domain}/follows/{name}")
    return actor


@pytest.fixture
def federating(show):
    """The show's actor exists since 30 days (older than the test episodes), with three followers on
    two servers: one shares an inbox, so each activity goes to two inboxes."""
    key = actor_key(show)
    ActorKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    _follow(show, "ann", "social.example", shared="https://social.example/inbox")
    _follow(show, "bob", "social.example", shared="https://social.example/inbox")
    _follow(show, "cy", "other.example")
    return show


def _sent(show) -> list[tuple[str, str, str]]:
    """(activity type, object id, inbox) of every Delivery written, in order."""
    return [
        (row.activity["type"], row.activity["object"]["id"], row.inbox)
        for row in Delivery.objects.filter(show=show).order_by("pk")
    ]


INBOXES = ["https://social.example/inbox", "https://other.example/users/cy/inbox"]


def test_a_new_public_episode_is_created_once_for_each_inbox(federating, episode):
    assert sync.sync_show(federating.pk) == {
        "created": 1,
        "updated": 0,
        "deleted": 0,
        "recorded": 0,
        "replies": 0,
    }
    note_id = f"{SITE}/ap/episodes/{episode.pk}"
    assert _sent(federating) == [("Create", note_id, inbox) for inbox in INBOXES]
    activity = Delivery.objects.filter(show=federating).first().activity
    assert activity["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert activity["actor"] == f"{SITE}/ap/shows/airway-rounds"
    assert activity["id"].startswith(f"{SITE}/ap/activities/")
    assert activity["object"]["attachment"][0]["mediaType"] == "audio/mpeg"
    row = FederatedObject.objects.get(episode=episode)
    assert (row.kind, row.deleted_at, row.updated_at) == ("episode", None, None)
    # Again: nothing new.
    assert sync.sync_show(federating.pk) == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "recorded": 0,
        "replies": 0,
    }
    assert Delivery.objects.count() == 2


def test_a_changed_note_is_updated_once(federating, episode):
    sync.sync_show(federating.pk)
    Episode.objects.filter(pk=episode.pk).update(title="Difficult airway, revised")
    assert sync.sync_show(federating.pk)["updated"] == 1
    assert sync.sync_show(federating.pk)["updated"] == 0
    updates = Delivery.objects.filter(show=federating).order_by("pk")[2:]
    assert [row.activity["type"] for row in updates] == ["Update", "Update"]
    note = updates[0].activity["object"]
    assert note["content"].startswith("<p><strong>Difficult airway, revised</strong></p>")
    assert note["updated"].endswith("Z")  # Mastodon applies an edit newer than what it has
    assert FederatedObject.objects.get(episode=episode).updated_at is not None


def test_an_episode_back_to_draft_is_deleted_once_and_created_again_when_republished(federating, episode):
    sync.sync_show(federating.pk)
    first_create = Delivery.objects.filter(show=federating).first().activity["id"]
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.DRAFT)
    assert sync.sync_show(federating.pk)["deleted"] == 1
    assert sync.sync_show(federating.pk)["deleted"] == 0
    deletes = [row.activity for row in Delivery.objects.filter(show=federating).order_by("pk")[2:]]
    assert [a["type"] for a in deletes] == ["Delete", "Delete"]
    assert deletes[0]["object"] == {
        "id": f"{SITE}/ap/episodes/{episode.pk}",
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": deletes[0]["object"]["deleted"],
    }
    assert FederatedObject.objects.get(episode=episode).deleted_at is not None
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.PUBLISHED)
    assert sync.sync_show(federating.pk)["created"] == 1
    again = Delivery.objects.filter(show=federating).order_by("-pk").first().activity
    assert again["type"] == "Create" and again["id"] != first_create
    assert FederatedObject.objects.get(episode=episode).deleted_at is None


def test_a_show_moved_away_deletes_its_posts(federating, episode):
    sync.sync_show(federating.pk)
    type(federating).objects.filter(pk=federating.pk).update(moved_away_at=timezone.now())
    assert sync.sync_show(federating.pk)["deleted"] == 1


def test_without_an_actor_nothing_is_recorded_or_sent(show, episode):
    _follow(show, "ann", "social.example")
    assert sync.sync_show(show.pk) == {"created": 0, "updated": 0, "deleted": 0, "recorded": 0, "replies": 0}
    assert not FederatedObject.objects.exists() and not Delivery.objects.exists()


def test_without_an_actor_the_listeners_queue_nothing(settings, show, episode, make_user):
    settings.TASKS = QUEUE
    default_task_backend.clear()
    comment = Comment.objects.create(
        episode=episode, origin=Comment.Origin.SITE, author=make_user("ada@example.org"),
        body_html="<p>Hi</p>", status=Comment.Status.SHOWN,
    )  # fmt: skip
    sync.on_feed_changed(show.pk)
    sync.on_comment_changed(comment.pk, SHOWN)
    assert default_task_backend.results == []  # other apps' queued tasks are not crowded by ours
    actor_key(show)
    sync.on_feed_changed(show.pk)
    sync.on_comment_changed(comment.pk, SHOWN)
    assert [r.task.name.rsplit(".", 1)[-1] for r in default_task_backend.results] == [
        "federate_show",
        "federate_comment",
    ]


def test_without_followers_objects_are_recorded_and_nothing_is_sent(show, episode):
    key = actor_key(show)
    ActorKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    assert sync.sync_show(show.pk)["created"] == 1
    assert FederatedObject.objects.filter(episode=episode).exists() and not Delivery.objects.exists()


def test_backfill_old_episodes_are_not_announced_but_later_changes_are(show, django_assert_max_num_queries):
    old = timezone.now() - datetime.timedelta(days=400)
    episodes = [
        factories.make_episode(show, slug=f"old-{n}", publish_at=old + datetime.timedelta(days=n))
        for n in range(30)
    ]
    actor_key(show)  # federation starts now: every episode above is older than the actor
    _follow(show, "ann", "social.example")
    with django_assert_max_num_queries(12):  # the same few queries at any number of episodes
        assert sync.sync_show(show.pk) == {
            "created": 0,
            "updated": 0,
            "deleted": 0,
            "recorded": 30,
            "replies": 0,
        }
    assert FederatedObject.objects.filter(show=show).count() == 30 and not Delivery.objects.exists()
    with django_assert_max_num_queries(10):
        assert sync.sync_show(show.pk)["recorded"] == 0
    fresh = factories.make_episode(show, slug="fresh", publish_at=timezone.now())
    assert sync.sync_show(show.pk)["created"] == 1
    assert _sent(show) == [
        ("Create", f"{SITE}/ap/episodes/{fresh.pk}", "https://social.example/users/ann/inbox")
    ]
    # An old one edited or unpublished: its Update / Delete reach whoever fetched it from the outbox.
    Episode.objects.filter(pk=episodes[0].pk).update(title="Renamed")
    Episode.objects.filter(pk=episodes[1].pk).update(status=Episode.Status.DRAFT)
    assert sync.sync_show(show.pk) == {"created": 0, "updated": 1, "deleted": 1, "recorded": 0, "replies": 0}


def test_a_scheduled_episode_is_federated_at_its_moment(settings, federating, show_grant):
    settings.TASKS = QUEUE
    default_task_backend.clear()
    at = timezone.now() + datetime.timedelta(hours=2)
    scheduled = factories.make_episode(federating, slug="later", publish_at=at)
    sync.federate_show.call(federating.pk)
    assert not Delivery.objects.exists()  # not public yet
    (due,) = default_task_backend.results
    assert due.task.name.endswith("federate_show_due")
    assert due.task.run_after == at + datetime.timedelta(seconds=1)
    # A second change before the moment does not queue a second run for it.
    sync.federate_show.call(federating.pk)
    assert len(default_task_backend.results) == 1
    default_task_backend.clear()
    Episode.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now())  # the clock reaches it
    assert sync.federate_show_due.call(federating.pk)["created"] == 1
    assert {kind for kind, _, _ in _sent(federating)} == {"Create"}


def test_the_end_of_a_credit_window_is_a_scheduled_moment(settings, federating, activity):
    settings.TASKS = QUEUE
    default_task_backend.clear()
    sync.federate_show.call(federating.pk)
    expiry = activity.current_version.expiry_date
    end = datetime.datetime.combine(
        expiry + datetime.timedelta(days=1), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    assert [r.task.run_after for r in default_task_backend.results] == [end + datetime.timedelta(seconds=1)]
    default_task_backend.clear()
    factories.expire_activity(activity)  # the clock passes the expiry date
    assert sync.federate_show_due.call(federating.pk)["updated"] == 1
    assert (
        "Earn"
        not in Delivery.objects.filter(show=federating).order_by("-pk").first().activity["object"]["content"]
    )


def test_a_published_correction_reaches_followers_as_an_update(
    federating, episode, host, monkeypatch, django_capture_on_commit_callbacks
):
    sync.sync_show(federating.pk)
    monkeypatch.setattr("fediverse.delivery._enqueue", lambda pk, at=None: None)  # rows only, no network
    with django_capture_on_commit_callbacks(execute=True):
        correction_publish(episode=episode, text="The dose is 1 mg/kg.", by=host)
    update = Delivery.objects.order_by("-pk").first().activity
    assert update["type"] == "Update" and update["object"]["id"] == f"{SITE}/ap/episodes/{episode.pk}"
    assert "The dose is 1 mg/kg." in update["object"]["content"]
    assert [kind for kind, _, _ in _sent(federating)] == ["Create", "Create", "Update", "Update"]


# --- Site comments ---------------------------------------------------------------------------------


@pytest.fixture
def site_comment(federating, episode, make_user):
    sync.sync_show(federating.pk)
    Delivery.objects.all().delete()
    return Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.SITE,
        author=make_user("ada@example.org", profile=True),
        body_html="<p>Nice case.</p>",
        status=Comment.Status.SHOWN,
    )


def test_a_shown_site_comment_is_created_once_and_deleted_once_when_hidden(site_comment, host):
    assert sync.sync_comment(site_comment.pk) == "created"
    assert sync.sync_comment(site_comment.pk) == "unchanged"
    note_id = f"{SITE}/ap/comments/{site_comment.pk}"
    assert _sent(site_comment.episode.show) == [("Create", note_id, inbox) for inbox in INBOXES]
    create = Delivery.objects.first().activity
    assert create["object"]["inReplyTo"] == f"{SITE}/ap/episodes/{site_comment.episode_id}"
    Comment.objects.filter(pk=site_comment.pk).update(status=Comment.Status.HIDDEN, hidden_reason="Off topic")
    assert sync.sync_comment(site_comment.pk) == "deleted"
    assert sync.sync_comment(site_comment.pk) == "unchanged"
    assert [kind for kind, _, _ in _sent(site_comment.episode.show)] == [
        "Create",
        "Create",
        "Delete",
        "Delete",
    ]


def test_a_reply_to_a_remote_comment_also_goes_to_its_authors_inbox(site_comment, episode):
    bob = RemoteActor.objects.create(
        url="https://far.example/users/bob", domain="far.example", inbox="https://far.example/users/bob/inbox"
    )
    remote = Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.REMOTE,
        remote_actor_url=bob.url,
        remote_object_id="https://far.example/users/bob/statuses/9",
        body_html="<p>Source?</p>",
        status=Comment.Status.SHOWN,
    )
    Comment.objects.filter(pk=site_comment.pk).update(in_reply_to=remote)
    assert sync.sync_comment(site_comment.pk) == "created"
    assert [inbox for _, _, inbox in _sent(episode.show)] == [*INBOXES, bob.inbox]


def test_a_held_or_remote_comment_is_not_federated(site_comment, episode):
    Comment.objects.filter(pk=site_comment.pk).update(status=Comment.Status.HELD)
    assert sync.sync_comment(site_comment.pk) == "unchanged"
    remote = Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.REMOTE,
        remote_actor_url="https://far.example/users/bob",
        remote_object_id="https://far.example/users/bob/statuses/9",
        body_html="<p>Hi</p>",
        status=Comment.Status.SHOWN,
    )
    assert sync.sync_comment(remote.pk) == "unchanged"
    assert not Delivery.objects.exists()


def test_an_episode_back_to_draft_takes_its_replies_along_and_brings_them_back(site_comment, episode):
    assert sync.sync_comment(site_comment.pk) == "created"
    show = episode.show
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.DRAFT)
    assert sync.sync_show(show.pk) == {"created": 0, "updated": 0, "deleted": 1, "recorded": 0, "replies": 1}
    deleted = [(kind, obj) for kind, obj, _ in _sent(show)][2:]
    assert deleted[::2] == [
        ("Delete", f"{SITE}/ap/episodes/{episode.pk}"),
        ("Delete", f"{SITE}/ap/comments/{site_comment.pk}"),
    ]
    assert sync.sync_comment(site_comment.pk) == "unchanged"  # nothing more to take back
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.PUBLISHED)
    assert sync.sync_show(show.pk) == {"created": 1, "updated": 0, "deleted": 0, "recorded": 0, "replies": 1}
    assert [kind for kind, _, _ in _sent(show)][-4:] == ["Create"] * 4
    assert sync.sync_show(show.pk)["replies"] == 0


def test_an_old_episode_public_again_is_not_announced_again(show):
    old = factories.make_episode(show, slug="old", publish_at=timezone.now() - datetime.timedelta(days=400))
    actor_key(show)
    _follow(show, "ann", "social.example")
    sync.sync_show(show.pk)
    type(show).objects.filter(pk=show.pk).update(moved_away_at=timezone.now())
    assert sync.sync_show(show.pk)["deleted"] == 1
    type(show).objects.filter(pk=show.pk).update(moved_away_at=None)  # the move undone
    assert sync.sync_show(show.pk) == {"created": 0, "updated": 0, "deleted": 0, "recorded": 1, "replies": 0}
    assert [kind for kind, _, _ in _sent(show)] == ["Delete"]
    assert FederatedObject.objects.get(episode=old).deleted_at is None


def test_the_comment_listener_federates_after_the_commit(
    site_comment, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[int] = []
    monkeypatch.setattr("fediverse.delivery._enqueue", lambda pk, at=None: sent.append(pk))  # no network
    with django_capture_on_commit_callbacks(execute=True):
        sync.on_comment_changed(site_comment.pk, SHOWN)
    assert len(sent) == 2 and Delivery.objects.count() == 2
    Comment.objects.filter(pk=site_comment.pk).update(status=Comment.Status.HIDDEN, hidden_reason="Spam")
    sync.on_comment_changed(site_comment.pk, HIDDEN)
    assert [kind for kind, _, _ in _sent(site_comment.episode.show)] == [
        "Create",
        "Create",
        "Delete",
        "Delete",
    ]


# --- End to end: a feed change reaches a follower's inbox, signed -----------------------------------


class Inbox:
    """An inbox on 127.0.0.1 that records each POST (headers and JSON body) and answers 202."""

    def __init__(self):
        self.received: list[dict] = []
        inbox = self

        class Handler(QuietHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                inbox.received.append(
                    {"headers": dict(self.headers), "body": json.loads(self.rfile.read(length))}
                )
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = LoopbackServer(Handler)
        self.url = self.server.url("/inbox")

    def stop(self):
        self.server.stop()


@pytest.fixture
def loopback_inbox(settings):
    settings.PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK = True
    inbox = Inbox()
    yield inbox
    inbox.stop()


def test_an_edit_reaches_the_followers_inbox_signed_through_the_feed_listener(
    show, published_episode, loopback_inbox, django_capture_on_commit_callbacks
):
    key = actor_key(show)
    ActorKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    _follow(show, "ann", "127.0.0.1", inbox=loopback_inbox.url)
    with django_capture_on_commit_callbacks(execute=True):
        episode_services.episode_update(
            episode=published_episode, actor=None, data={"title": "Seventy seconds, revised"}
        )
    (first,) = loopback_inbox.received
    assert first["body"]["type"] == "Create"
    assert first["body"]["object"]["content"].startswith("<p><strong>Seventy seconds, revised</strong></p>")
    assert 'keyId="http://testserver/ap/shows/airway-rounds#main-key"' in first["headers"]["Signature"]
    assert first["headers"]["Digest"].startswith("SHA-256=")
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED
    # Back to draft: the listener sends the Delete; nothing else.
    with django_capture_on_commit_callbacks(execute=True):
        episode_services.episode_update(
            episode=published_episode, actor=None, data={"status": Episode.Status.DRAFT}
        )
    assert [r["body"]["type"] for r in loopback_inbox.received] == ["Create", "Delete"]
