"""The inboxes against requests signed by bovine (an independent implementation): each refusal
answers its status with a clear message and writes nothing; Follow, Undo, Delete of the actor,
Like and replays do what Mastodon expects."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from bovine.crypto import generate_rsa_public_private_key
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from fediverse import replies
from fediverse.audit_actions import FediverseAction
from fediverse.blocks import domain_block
from fediverse.keys import actor_url
from fediverse.models import Delivery, Follower, InboxActivity, RemoteActor
from testkit import factories

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        InboxActivity.objects.count(),
        Follower.objects.count(),
        Delivery.objects.count(),
        RemoteActor.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def inbox(show) -> str:
    return f"/ap/shows/{show.slug}/inbox"


@pytest.fixture
def before(remote_actor, show):
    actor_url(show)
    return _counts()


def _follow(remote_actor, show) -> dict:
    return remote_actor.activity("Follow", actor_url(show))


# --- Refusals: each one its own status, nothing written ----------------------------------------


def test_a_body_over_the_limit_is_413(client, inbox, remote_actor, show, before, settings):
    settings.PODCASTCME_FEDIVERSE_MAX_BYTES = 2048
    activity = _follow(remote_actor, show) | {"padding": "x" * 4096}
    response = remote_actor.post(client, inbox, activity)
    assert response.status_code == 413
    assert b"larger than 2 KB" in response.content
    assert _counts() == before


def test_a_body_that_is_not_json_is_400(client, inbox, remote_actor, before):
    response = remote_actor.post(client, inbox, None, body=b"<xml>not json</xml>")
    assert response.status_code == 400
    assert b"not JSON" in response.content
    assert _counts() == before


def test_json_that_is_not_an_object_is_400(client, inbox, remote_actor, before):
    response = remote_actor.post(client, inbox, [{"type": "Follow"}])
    assert response.status_code == 400
    assert b"must be a JSON object" in response.content
    assert _counts() == before


@pytest.mark.parametrize("depth", [40, 100_000])
def test_json_nested_too_deep_is_400(client, inbox, remote_actor, show, before, depth):
    # 100 000 brackets exhaust Python's parser (RecursionError, a 500 before); 40 parse but are refused.
    nested = "[" * depth + "]" * depth
    body = json.dumps(_follow(remote_actor, show))[:-1].encode() + b', "tag": ' + nested.encode() + b"}"
    response = remote_actor.post(client, inbox, None, body=body)
    assert response.status_code == 400
    assert b"nests deeper than 32 levels" in response.content
    assert _counts() == before


def test_an_activity_id_on_another_server_than_its_actor_is_400(client, inbox, remote_actor, show, before):
    # Else social.example could spend mastodon.example's activity ids: the real one, arriving
    # later, would be ignored as a replay.
    activity = _follow(remote_actor, show) | {"id": "https://mastodon.example/users/bob/follows/1"}
    response = remote_actor.post(client, inbox, activity)
    assert response.status_code == 400
    assert b"not on its actor's server" in response.content
    assert _counts() == before


@pytest.mark.parametrize("field", ["id", "type", "actor"])
def test_an_activity_without_id_type_or_actor_is_400(client, inbox, remote_actor, show, before, field):
    activity = _follow(remote_actor, show)
    del activity[field]
    response = remote_actor.post(client, inbox, activity)
    assert response.status_code == 400
    assert f"has no {field}".encode() in response.content
    assert _counts() == before


def test_an_unsigned_request_is_401(client, inbox, remote_actor, show, before):
    response = remote_actor.post(client, inbox, _follow(remote_actor, show), unsigned=True)
    assert response.status_code == 401
    assert b"not signed" in response.content
    assert _counts() == before


def test_a_request_signed_with_another_key_is_401(client, inbox, remote_actor, show, before, monkeypatch):
    _public, other_private = generate_rsa_public_private_key()
    # Refused only after fetching the actor again (its key may have changed since we fetched it ten
    # minutes ago): it has not. (A key fetched less than a minute ago is not: test_httpsig.py.)
    RemoteActor.objects.filter(pk=remote_actor.row.pk).update(
        fetched_at=timezone.now() - timedelta(minutes=10)
    )
    fetched = []

    def same_document(url, **kwargs):
        fetched.append(url)
        return remote_actor.document(), url

    monkeypatch.setattr("fediverse.remote.get_json", same_document)
    response = remote_actor.post(client, inbox, _follow(remote_actor, show), private_key_pem=other_private)
    assert response.status_code == 401
    assert b"signature does not match the request" in response.content
    assert fetched == [remote_actor.url]
    assert _counts()[:3] == before[:3]  # the actor's row was refreshed, nothing else


def _no_network(url, **kwargs):
    from fediverse.remote import RemoteError

    raise RemoteError(f"{url}: no network in this test")


def test_a_body_changed_after_signing_is_401(client, inbox, remote_actor, show, before):
    activity = _follow(remote_actor, show)
    signed = json.dumps(activity).encode()
    headers = remote_actor.signed_headers(inbox, signed)
    changed = json.dumps(activity | {"object": actor_url(show) + "x"}).encode()
    response = client.post(inbox, data=changed, content_type="application/activity+json", headers=headers)
    assert response.status_code == 401
    assert b"does not match its Digest" in response.content
    assert _counts() == before


@pytest.mark.parametrize("minutes", [-10, 10, -60 * 24])
def test_a_date_far_from_now_is_401(client, inbox, remote_actor, show, before, minutes):
    date = datetime.now(tz=UTC) + timedelta(minutes=minutes)
    response = remote_actor.post(client, inbox, _follow(remote_actor, show), date=date)
    assert response.status_code == 401
    assert b"more than five minutes from now" in response.content
    assert _counts() == before


def test_an_activity_of_another_actor_than_the_signer_is_401(client, inbox, remote_actor, show, before):
    activity = _follow(remote_actor, show) | {"actor": "https://social.example/users/mallory"}
    response = remote_actor.post(client, inbox, activity)
    assert response.status_code == 401
    assert b"not the one that signed it" in response.content
    assert _counts() == before


def test_a_signature_without_the_digest_is_401(client, inbox, remote_actor, show, before):
    activity = _follow(remote_actor, show)
    body = json.dumps(activity).encode()
    headers = remote_actor.signed_headers(inbox, body)
    headers["Signature"] = headers["Signature"].replace(' digest"', '"')
    response = client.post(inbox, data=body, content_type="application/activity+json", headers=headers)
    assert response.status_code == 401
    assert b"does not cover digest" in response.content
    assert _counts() == before


def test_a_site_wide_blocked_domain_is_403(client, inbox, remote_actor, show):
    domain_block(domain="social.example", by=None, reason="spam")
    before = _counts()
    response = remote_actor.post(client, inbox, _follow(remote_actor, show))
    assert response.status_code == 403
    assert b"social.example is blocked" in response.content
    assert _counts() == before


def test_a_domain_blocked_for_the_show_is_403_there_only(client, inbox, remote_actor, show):
    other = factories.make_show(title="Other", slug="other-show")
    domain_block(domain="social.example", show=show, by=None, reason="")
    before = _counts()
    response = remote_actor.post(client, inbox, _follow(remote_actor, show))
    assert response.status_code == 403
    assert _counts() == before
    response = remote_actor.post(client, f"/ap/shows/{other.slug}/inbox", _follow(remote_actor, other))
    assert response.status_code == 202
    assert Follower.objects.get().show == other


def test_a_replayed_activity_is_202_and_ignored(client, inbox, remote_actor, show):
    like = remote_actor.activity("Like", "http://testserver/ap/episodes/1")
    assert remote_actor.post(client, inbox, like).status_code == 202
    before = _counts()
    response = remote_actor.post(client, inbox, like)  # signed afresh, same activity id
    assert response.status_code == 202
    assert b"Already received" in response.content
    assert _counts() == before


def test_get_on_an_inbox_is_405(client, inbox, show):
    assert client.get(inbox).status_code == 405
    assert client.get("/ap/inbox").status_code == 405


def test_an_unknown_shows_inbox_is_404(client, remote_actor, show, before):
    response = remote_actor.post(client, "/ap/shows/nope/inbox", _follow(remote_actor, show))
    assert response.status_code == 404
    assert _counts() == before


# --- What verified activities do ------------------------------------------------------------------


def test_follow_records_the_follower_audits_and_queues_an_accept(client, inbox, remote_actor, show):
    follow = _follow(remote_actor, show)
    response = remote_actor.post(client, inbox, follow)
    assert response.status_code == 202, response.content
    follower = Follower.objects.get()
    assert (follower.show, follower.actor.url, follower.follow_activity_id) == (
        show,
        remote_actor.url,
        follow["id"],
    )
    assert AuditEvent.objects.filter(
        action=FediverseAction.FOLLOW_ACCEPTED, object_id=str(follower.pk)
    ).exists()
    accept = Delivery.objects.get()
    assert accept.inbox == remote_actor.row.inbox  # the actor's own inbox, not the shared one
    assert accept.activity["type"] == "Accept"
    assert accept.activity["actor"] == actor_url(show)
    assert accept.activity["object"]["id"] == follow["id"]
    assert accept.status == Delivery.Status.PENDING  # sent by a task after the commit
    record = InboxActivity.objects.get()
    assert (record.activity_id, record.type, record.show, record.outcome) == (
        follow["id"],
        "Follow",
        show,
        "accepted",
    )


def test_follow_through_the_shared_inbox_finds_the_show(client, remote_actor, show):
    response = remote_actor.post(client, "/ap/inbox", _follow(remote_actor, show))
    assert response.status_code == 202
    assert Follower.objects.get().show == show


def test_follow_of_something_else_is_recorded_and_ignored(client, inbox, remote_actor, show):
    response = remote_actor.post(
        client, inbox, remote_actor.activity("Follow", "https://elsewhere.example/u/x")
    )
    assert response.status_code == 202
    assert not Follower.objects.exists()
    assert InboxActivity.objects.get().outcome == "ignored: not one of our shows"


def test_undo_follow_ends_it(client, inbox, remote_actor, show):
    follow = _follow(remote_actor, show)
    remote_actor.post(client, inbox, follow)
    undo = remote_actor.activity("Undo", {k: v for k, v in follow.items() if k != "@context"})
    response = remote_actor.post(client, inbox, undo)
    assert response.status_code == 202
    follower = Follower.objects.get()
    assert follower.ended_at is not None
    assert AuditEvent.objects.filter(action=FediverseAction.FOLLOW_ENDED, object_id=str(follower.pk)).exists()
    assert client.get(f"/ap/shows/{show.slug}/followers").json()["totalItems"] == 0


def test_undo_naming_only_the_follow_id_through_the_shared_inbox(client, inbox, remote_actor, show):
    follow = _follow(remote_actor, show)
    remote_actor.post(client, inbox, follow)
    response = remote_actor.post(client, "/ap/inbox", remote_actor.activity("Undo", follow["id"]))
    assert response.status_code == 202
    assert Follower.objects.get().ended_at is not None


def test_delete_of_the_actor_marks_it_gone_and_ends_its_follows(client, inbox, remote_actor, show):
    remote_actor.post(client, inbox, _follow(remote_actor, show))
    response = remote_actor.post(client, "/ap/inbox", remote_actor.activity("Delete", remote_actor.url))
    assert response.status_code == 202
    assert RemoteActor.objects.get().gone_at is not None
    assert Follower.objects.get().ended_at is not None


def test_delete_of_an_actor_we_never_knew_is_202_without_a_fetch(client, show, monkeypatch):
    monkeypatch.setattr("fediverse.remote.get_json", _no_network)
    before = _counts()
    activity = {"id": "https://gone.example/users/bob#delete", "type": "Delete"}
    activity |= {"actor": "https://gone.example/users/bob", "object": "https://gone.example/users/bob"}
    response = client.post("/ap/inbox", data=json.dumps(activity), content_type="application/activity+json")
    assert response.status_code == 202
    assert _counts() == before


def test_like_and_announce_are_recorded_and_ignored(client, inbox, remote_actor, show):
    for kind in ("Like", "Announce"):
        response = remote_actor.post(
            client, inbox, remote_actor.activity(kind, "http://testserver/ap/episodes/1")
        )
        assert response.status_code == 202
    assert sorted(InboxActivity.objects.values_list("type", "outcome")) == [
        ("Announce", "ignored: Announce"),
        ("Like", "ignored: Like"),
    ]


@pytest.mark.parametrize("kind", ["Create", "Update", "Delete"])
def test_notes_go_to_the_replies_module(client, inbox, remote_actor, show, monkeypatch, kind):
    calls = []

    def handler(*, activity, actor):
        calls.append((activity["id"], actor.url))
        return "test outcome"

    monkeypatch.setattr(replies, f"receive_{kind.lower()}", handler)
    note = {"id": remote_actor.url + "/statuses/1", "type": "Note", "content": "<p>Hi</p>"}
    activity = remote_actor.activity(kind, note)
    response = remote_actor.post(client, inbox, activity)
    assert response.status_code == 202
    assert calls == [(activity["id"], remote_actor.url)]
    assert InboxActivity.objects.get().outcome == "test outcome"


def test_the_inbox_needs_no_csrf_token_its_signature_protects_it(remote_actor, show, inbox):
    strict = Client(enforce_csrf_checks=True)
    response = remote_actor.post(strict, inbox, _follow(remote_actor, show))
    assert response.status_code == 202
    assert Follower.objects.exists()


def test_a_show_block_holds_at_the_shared_inbox_for_replies_to_its_episodes(client, remote_actor, show):
    episode = factories.make_episode(show)
    other = factories.make_show(title="Other", slug="other-show")
    other_episode = factories.make_episode(other, slug="other-episode")
    domain_block(domain="social.example", show=show, by=None, reason="")
    before = _counts()
    note = {"id": remote_actor.url + "/statuses/9", "type": "Note", "content": "<p>Hi</p>"}
    reply = remote_actor.activity(
        "Create", note | {"inReplyTo": f"http://testserver/ap/episodes/{episode.pk}"}
    )
    response = remote_actor.post(client, "/ap/inbox", reply)
    assert response.status_code == 403
    assert _counts() == before
    # The same server replying to another show's episode is heard.
    reply = remote_actor.activity(
        "Create", note | {"inReplyTo": f"http://testserver/ap/episodes/{other_episode.pk}"}
    )
    assert remote_actor.post(client, "/ap/inbox", reply).status_code == 202
    assert InboxActivity.objects.get().show == other


def test_a_collision_while_handling_asks_the_sender_to_retry(client, inbox, remote_actor, show, monkeypatch):
    # Before, any IntegrityError answered 202 "Already received": the sender never sent it again.
    from django.db import IntegrityError

    from fediverse import inbox as inbox_module

    def collide(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: fediverse_follower")

    monkeypatch.setattr(inbox_module, "dispatch", collide)
    before = _counts()
    follow = _follow(remote_actor, show)
    response = remote_actor.post(client, inbox, follow)
    assert response.status_code == 503
    assert _counts() == before
    monkeypatch.undo()
    response = remote_actor.post(client, inbox, follow)  # the sender's retry: the same activity
    assert response.status_code == 202 and b"Accepted (accepted)" in response.content
    assert Follower.objects.filter(show=show).count() == 1
