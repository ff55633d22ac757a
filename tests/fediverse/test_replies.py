"""Replies that come home (fediverse.replies, called by the inbox after the signature is checked):
a public Note answering one of our Notes or a reply we hold becomes a comment, by the show's
moderation rule (a follower is shown at once under "auto-approve followers"); everything else is
"ignored: <why>" and writes nothing: an unknown object, a private message, a wrong type, an id on
another domain, another actor's edit or deletion, oversized content; scripts are stripped; the
same Note delivered again makes no second comment."""

import pytest
from django.utils import timezone

from discussion.models import Comment, Moderation, ShowDiscussion
from episodes.models import Episode
from fediverse.models import Follower, RemoteActor
from fediverse.replies import MAX_CONTENT_BYTES, receive_create, receive_delete, receive_update

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BOB = "https://social.example/users/bob"
STATUS = "https://social.example/users/bob/statuses/1"


@pytest.fixture
def bob(db):
    return RemoteActor.objects.create(
        url=BOB,
        domain="social.example",
        preferred_username="bob",
        name="Bob Builder",
        inbox=f"{BOB}/inbox",
        shared_inbox="https://social.example/inbox",
    )


@pytest.fixture
def eve(db):
    return RemoteActor.objects.create(
        url="https://social.example/users/eve", domain="social.example", preferred_username="eve",
        inbox="https://social.example/users/eve/inbox",
    )  # fmt: skip


@pytest.fixture
def followers_only(show):
    """The show auto-approves its followers and holds everyone else's replies."""
    return ShowDiscussion.objects.create(show=show, moderation=Moderation.AUTO_APPROVE_FOLLOWERS)


def _note(in_reply_to: str, *, object_id: str = STATUS, content: str = "<p>Great case</p>", **extra) -> dict:
    return {
        "id": object_id,
        "type": "Note",
        "attributedTo": BOB,
        "inReplyTo": in_reply_to,
        "to": [PUBLIC],
        "cc": [f"{BOB}/followers"],
        "content": content,
        "url": "https://social.example/@bob/1",
        "published": "2026-11-01T10:00:00Z",
        **extra,
    }


def _create(obj, activity_id: str = f"{STATUS}/activity") -> dict:
    return {"id": activity_id, "type": "Create", "actor": BOB, "object": obj}


def _episode_note(episode: Episode) -> str:
    return f"{SITE}/ap/episodes/{episode.pk}"


def test_a_reply_to_an_episode_becomes_a_held_comment_from_someone_who_does_not_follow(
    episode, bob, followers_only
):
    assert receive_create(activity=_create(_note(_episode_note(episode))), actor=bob) == "accepted"
    comment = Comment.objects.get()
    assert (comment.episode, comment.in_reply_to, comment.origin) == (episode, None, Comment.Origin.REMOTE)
    assert (comment.remote_actor_url, comment.remote_handle, comment.remote_name) == (
        BOB,
        "@bob@social.example",
        "Bob Builder",
    )
    assert (comment.remote_object_id, comment.remote_url) == (STATUS, "https://social.example/@bob/1")
    assert comment.status == Comment.Status.HELD
    assert comment.created_at.isoformat().startswith("2026-11-01T10:00:00")


def test_the_handle_names_the_port_of_an_actor_on_a_non_default_port(episode):
    actor = RemoteActor.objects.create(
        url="http://127.0.0.1:8081/users/al", domain="127.0.0.1", preferred_username="al",
        inbox="http://127.0.0.1:8081/inbox",
    )  # fmt: skip
    obj = _note(_episode_note(episode), object_id="http://127.0.0.1:8081/notes/1", attributedTo=actor.url)
    assert receive_create(activity=_create(obj), actor=actor) == "accepted"
    assert Comment.objects.get().remote_handle == "@al@127.0.0.1:8081"


def test_a_followers_reply_is_shown_at_once(episode, bob, followers_only):
    Follower.objects.create(show=episode.show, actor=bob, follow_activity_id=f"{BOB}/follow/1")
    assert receive_create(activity=_create(_note(_episode_note(episode))), actor=bob) == "accepted"
    assert Comment.objects.get().status == Comment.Status.SHOWN


def test_an_ended_follow_does_not_count(episode, bob, followers_only):
    Follower.objects.create(
        show=episode.show, actor=bob, follow_activity_id=f"{BOB}/follow/1", ended_at=timezone.now()
    )
    receive_create(activity=_create(_note(_episode_note(episode))), actor=bob)
    assert Comment.objects.get().status == Comment.Status.HELD


def test_a_reply_to_a_site_comment_or_to_a_remote_reply_is_threaded(episode, bob, make_user):
    site = Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.SITE,
        author=make_user("ada@example.org"),
        body_html="<p>Hi</p>",
        status=Comment.Status.SHOWN,
    )
    assert receive_create(activity=_create(_note(f"{SITE}/ap/comments/{site.pk}")), actor=bob) == "accepted"
    first = Comment.objects.get(remote_object_id=STATUS)
    assert first.in_reply_to == site
    second_id = "https://social.example/users/bob/statuses/2"
    outcome = receive_create(
        activity=_create(_note(STATUS, object_id=second_id), activity_id=f"{second_id}/activity"), actor=bob
    )
    assert outcome == "accepted"
    assert Comment.objects.get(remote_object_id=second_id).episode == episode


@pytest.mark.parametrize(
    "target",
    [
        "https://elsewhere.example/notes/1",  # not ours, not a reply we hold
        f"{SITE}/ap/episodes/999999",  # no such episode
        f"{SITE}/ap/shows/airway-rounds",  # ours, but not a Note
        "",  # not a reply at all
    ],
)
def test_a_reply_to_an_unknown_object_is_ignored(episode, bob, target):
    assert receive_create(activity=_create(_note(target)), actor=bob) == "ignored: unknown object"
    assert not Comment.objects.exists()


def test_a_reply_to_a_draft_episode_or_a_held_site_comment_is_unknown(episode, bob, make_user):
    held = Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.SITE,
        author=make_user("ada@example.org"),
        body_html="<p>Hi</p>",
        status=Comment.Status.HELD,
    )
    activity = _create(_note(f"{SITE}/ap/comments/{held.pk}"))
    assert receive_create(activity=activity, actor=bob) == "ignored: unknown object"
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.DRAFT)
    assert (
        receive_create(activity=_create(_note(_episode_note(episode))), actor=bob)
        == "ignored: unknown object"
    )
    assert Comment.objects.filter(origin=Comment.Origin.REMOTE).count() == 0


def test_a_private_message_is_never_published(episode, bob):
    direct = _note(_episode_note(episode), to=[f"{SITE}/ap/shows/airway-rounds"], cc=[])
    assert receive_create(activity=_create(direct), actor=bob) == "ignored: not public"
    followers = _note(_episode_note(episode), to=[f"{BOB}/followers"], cc=[])
    assert receive_create(activity=_create(followers), actor=bob) == "ignored: not public"
    assert not Comment.objects.exists()
    unlisted = _note(_episode_note(episode), to=[f"{BOB}/followers"], cc=["as:Public"])
    assert receive_create(activity=_create(unlisted), actor=bob) == "accepted"


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({"type": "Article"}, "ignored: not a Note"),
        ({"type": None}, "ignored: not a Note"),
        ({"id": None}, "ignored: no object id"),
        ({"id": "https://evil.example/statuses/1"}, "ignored: object id not on actor's domain"),
        ({"id": "ftp://social.example/statuses/1"}, "ignored: object id not on actor's domain"),
        ({"attributedTo": "https://social.example/users/eve"}, "ignored: not attributed to the actor"),
        ({"content": ["<p>a list</p>"]}, "ignored: content is not a string"),
        ({"content": None}, "ignored: content is not a string"),
        ({"content": "<p>" + "x" * MAX_CONTENT_BYTES + "</p>"}, "ignored: content too large"),
    ],
)
def test_a_malformed_note_is_ignored(episode, bob, change, outcome):
    obj = {**_note(_episode_note(episode)), **change}
    assert receive_create(activity=_create(obj), actor=bob) == outcome
    assert not Comment.objects.exists()


def test_an_object_given_only_by_its_id_is_ignored(episode, bob):
    assert receive_create(activity=_create(STATUS), actor=bob) == "ignored: object not embedded"
    assert receive_update(activity=_create(None), actor=bob) == "ignored: object not embedded"


def test_content_just_under_the_limit_is_taken(episode, bob):
    content = "<p>" + "y" * (MAX_CONTENT_BYTES - 7) + "</p>"
    assert len(content.encode()) == MAX_CONTENT_BYTES
    assert (
        receive_create(activity=_create(_note(_episode_note(episode), content=content)), actor=bob)
        == "accepted"
    )


def test_scripts_and_unsafe_markup_are_stripped(episode, bob):
    content = (
        '<p onclick="steal()">See <a href="javascript:alert(1)">this</a><script>alert("x")</script>'
        '<img src="https://evil.example/x.png" onerror="alert(2)"><style>p{}</style> now</p>'
    )
    assert (
        receive_create(activity=_create(_note(_episode_note(episode), content=content)), actor=bob)
        == "accepted"
    )
    body = Comment.objects.get().body_html.lower()
    for bad in ("script", "alert", "onclick", "onerror", "javascript:", "<img", "<style"):
        assert bad not in body, bad
    assert "see" in body and "now" in body


def test_the_same_note_delivered_again_makes_no_second_comment(episode, bob):
    activity = _create(_note(_episode_note(episode)))
    assert receive_create(activity=activity, actor=bob) == "accepted"
    again = {**activity, "id": f"{STATUS}/activity-again"}  # e.g. to the shared inbox and the show's
    assert receive_create(activity=again, actor=bob) == "ignored: already received"
    assert Comment.objects.count() == 1


# --- Update and Delete ---------------------------------------------------------------------------


@pytest.fixture
def reply(episode, bob):
    receive_create(activity=_create(_note(_episode_note(episode))), actor=bob)
    return Comment.objects.get()


def _update(obj, actor_url: str = BOB) -> dict:
    return {"id": f"{STATUS}#update", "type": "Update", "actor": actor_url, "object": obj}


def test_its_author_edits_a_reply(reply, bob, episode):
    edited = _note(_episode_note(episode), content="<p>Great case, with a caveat<script>x()</script></p>")
    assert receive_update(activity=_update(edited), actor=bob) == "accepted"
    reply.refresh_from_db()
    assert "caveat" in reply.body_html and "script" not in reply.body_html and reply.edited_at


def test_another_actor_cannot_edit_or_delete_it(reply, eve, episode):
    before = reply.body_html
    # eve on the same server: the Note says bob wrote it ...
    forged = _note(_episode_note(episode), content="<p>Spam</p>")
    assert (
        receive_update(activity=_update(forged, eve.url), actor=eve) == "ignored: not attributed to the actor"
    )
    # ... or claims to be hers: the reply we hold is still bob's.
    claimed = {**forged, "attributedTo": eve.url}
    assert receive_update(activity=_update(claimed, eve.url), actor=eve) == "ignored: not the author"
    delete = {"id": f"{STATUS}#delete", "type": "Delete", "actor": eve.url, "object": STATUS}
    assert receive_delete(activity=delete, actor=eve) == "ignored: not the author"
    reply.refresh_from_db()
    assert reply.body_html == before and reply.deleted_at is None


def test_an_actor_on_another_server_cannot_edit_it(reply, episode):
    mallory = RemoteActor.objects.create(
        url="https://evil.example/users/m", domain="evil.example", inbox="https://evil.example/inbox"
    )
    forged = {**_note(_episode_note(episode), content="<p>Spam</p>"), "attributedTo": mallory.url}
    assert receive_update(activity=_update(forged, mallory.url), actor=mallory) == (
        "ignored: object id not on actor's domain"
    )


def test_an_update_of_an_unknown_note_is_ignored(bob, episode):
    assert (
        receive_update(activity=_update(_note(_episode_note(episode))), actor=bob)
        == "ignored: unknown object"
    )
    assert not Comment.objects.exists()


def test_an_oversized_update_is_ignored(reply, bob, episode):
    big = _note(_episode_note(episode), content="z" * (MAX_CONTENT_BYTES + 1))
    assert receive_update(activity=_update(big), actor=bob) == "ignored: content too large"


@pytest.mark.parametrize("obj", [STATUS, {"id": STATUS, "type": "Tombstone"}])
def test_its_author_deletes_it_a_tombstone_stays(reply, bob, obj):
    delete = {"id": f"{STATUS}#delete", "type": "Delete", "actor": BOB, "object": obj}
    assert receive_delete(activity=delete, actor=bob) == "accepted"
    reply.refresh_from_db()
    assert reply.deleted_at is not None and reply.body_html == ""
    assert (
        receive_delete(activity={**delete, "id": f"{STATUS}#delete2"}, actor=bob)
        == "ignored: already deleted"
    )
    edited = _note("", content="<p>back</p>")
    assert receive_update(activity=_update(edited), actor=bob) == "ignored: deleted"


def test_a_delete_of_something_unknown_or_without_an_id_is_ignored(bob):
    unknown = {
        "id": "x",
        "type": "Delete",
        "actor": BOB,
        "object": "https://social.example/users/bob/statuses/9",
    }
    assert receive_delete(activity=unknown, actor=bob) == "ignored: unknown object"
    assert (
        receive_delete(activity={"id": "y", "type": "Delete", "actor": BOB}, actor=bob)
        == "ignored: no object id"
    )
