"""Replies that come home: what the inbox hands over after checking the signature (``inbox`` records
the activity and calls these; each returns the outcome written to InboxActivity.outcome).

A Create of a Note answering one of our episode Notes, one of the show's replies (a site comment),
or a remote reply we already hold becomes a comment on the episode through
``discussion.services.comment_receive_remote``: the show's moderation rule decides whether it is
shown at once (``author_follows``: the actor follows the show now) or held. An Update changes the
text only when it comes from the author's actor; a Delete leaves a tombstone.

Nothing that is not clearly a public reply is taken: the object must be embedded, a Note, its id a
URL on the sending actor's own domain, attributed to that actor, addressed to the public (a direct
or followers-only message is private: never published as a comment), its content a string under
``MAX_CONTENT_BYTES``. Anything else is "ignored: <why>" and writes nothing.
"""

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.dateparse import parse_datetime

from discussion.errors import DiscussionError
from discussion.models import Comment
from discussion.selectors import comment_by_object_id
from discussion.services import comment_delete_remote, comment_edit_remote, comment_receive_remote
from episodes.models import Episode

from .models import Follower, RemoteActor
from .remote import url_domain
from .sync import comment_is_federated, episode_is_federated

MAX_CONTENT_BYTES = 20 * 1024  # a Mastodon post is 500 characters; other servers allow more
MAX_OUTCOME = 40  # InboxActivity.outcome
_PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
_ACCEPTED = "accepted"


class Ignored(Exception):
    """The activity is not taken; the message is the outcome ("ignored: ...")."""

    def __init__(self, why: str):
        super().__init__(why)
        self.outcome = f"ignored: {why}"[:MAX_OUTCOME]


def _id_of(value: Any) -> str:
    """An id given as a string or as an object with an ``id``."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"}:
        return ""
    return url_domain(url)  # as the actor's domain was recorded (IDNA, no trailing dot)


def _listed(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [_id_of(item) for item in items if _id_of(item)]


def _note(activity: dict, actor: RemoteActor, *, for_update: bool = False) -> dict:
    """The activity's Note, checked; raises Ignored."""
    obj = activity.get("object")
    if not isinstance(obj, dict):
        raise Ignored("object not embedded")
    if obj.get("type") != "Note":
        raise Ignored("not a Note")
    object_id = obj.get("id")
    if not isinstance(object_id, str) or not object_id or len(object_id) > 500:
        raise Ignored("no object id")
    domain = (actor.domain or _host(actor.url)).lower()
    if not _host(object_id) or _host(object_id) != domain:
        raise Ignored("object id not on actor's domain")
    attributed = _listed(obj.get("attributedTo"))
    if attributed and attributed != [actor.url]:
        raise Ignored("not attributed to the actor")
    content = obj.get("content")
    if not isinstance(content, str):
        raise Ignored("content is not a string")
    if len(content.encode("utf-8", "replace")) > MAX_CONTENT_BYTES:
        raise Ignored("content too large")
    if not for_update:
        audience = set(_listed(obj.get("to"))) | set(_listed(obj.get("cc")))
        if not audience & _PUBLIC:
            raise Ignored("not public")
    return obj


def _our_object(url: str) -> tuple[str, int] | None:
    """("episode_note" | "comment_note", pk) when ``url`` is one of our Note ids."""
    site = settings.SITE_URL.rstrip("/")
    if not url.startswith(site + "/"):
        return None
    path = urlsplit(url).path
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.namespace != "fediverse" or match.url_name not in {"episode_note", "comment_note"}:
        return None
    return match.url_name, int(match.kwargs["pk"])


def _reply_target(in_reply_to: str) -> tuple[Episode, Comment | None]:
    """The episode (and the comment) a reply answers; raises Ignored for anything unknown."""
    ours = _our_object(in_reply_to) if in_reply_to else None
    if ours is not None:
        kind, pk = ours
        if kind == "episode_note":
            episode = Episode.objects.select_related("show").filter(pk=pk).first()
            if episode is None or not episode_is_federated(episode):
                raise Ignored("unknown object")
            return episode, None
        comment = (
            Comment.objects.select_related("episode__show").filter(pk=pk, origin=Comment.Origin.SITE).first()
        )
        if comment is None or not comment_is_federated(comment):
            raise Ignored("unknown object")
        return comment.episode, comment
    remote = comment_by_object_id(in_reply_to) if in_reply_to else None
    if remote is None or remote.deleted_at is not None or not episode_is_federated(remote.episode):
        raise Ignored("unknown object")
    return remote.episode, remote


def _page_url(obj: dict) -> str:
    """The post's web page: ``url`` as a string, a Link or a list of them; else its id."""
    value = obj.get("url")
    for item in value if isinstance(value, list) else [value]:
        candidate = item.get("href") if isinstance(item, dict) else item
        if isinstance(candidate, str) and _host(candidate) and len(candidate) <= 500:
            return candidate
    return obj["id"]


def _handle(actor: RemoteActor) -> str:
    """@name@host as WebFinger resolves it: the actor's host, with its port when it has one."""
    if not actor.preferred_username:
        return ""
    parts = urlsplit(actor.url)
    host = (parts.hostname or actor.domain).lower()
    return (
        f"@{actor.preferred_username}@{host}:{parts.port}"
        if parts.port
        else f"@{actor.preferred_username}@{host}"
    )


def _published(obj: dict) -> datetime | None:
    value = obj.get("published")
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def receive_create(*, activity: dict, actor: RemoteActor) -> str:
    """A reply to one of our Notes or to a reply we hold becomes a comment; the outcome."""
    try:
        obj = _note(activity, actor)
        episode, parent = _reply_target(_id_of(obj.get("inReplyTo")))
    except Ignored as ignored:
        return ignored.outcome
    if comment_by_object_id(obj["id"]) is not None:
        return "ignored: already received"
    follows = Follower.objects.filter(show=episode.show, actor=actor, ended_at__isnull=True).exists()
    try:
        comment_receive_remote(
            episode=episode,
            in_reply_to=parent,
            object_id=obj["id"],
            url=_page_url(obj),
            actor_url=actor.url,
            handle=_handle(actor),
            name=actor.name,
            content_html=obj["content"],
            published=_published(obj),
            author_follows=follows,
        )
    except DiscussionError as error:
        message = error.message if error.message.startswith("ignored: ") else f"ignored: {error.message}"
        return message[:MAX_OUTCOME]
    return _ACCEPTED


def receive_update(*, activity: dict, actor: RemoteActor) -> str:
    """Its author edited a reply we hold: the new text (only from the same actor); the outcome."""
    try:
        obj = _note(activity, actor, for_update=True)
    except Ignored as ignored:
        return ignored.outcome
    comment = comment_by_object_id(obj["id"])
    if comment is None:
        return "ignored: unknown object"
    if comment.remote_actor_url != actor.url:
        return "ignored: not the author"
    if comment.deleted_at is not None:
        return "ignored: deleted"
    if comment_edit_remote(object_id=obj["id"], actor_url=actor.url, content_html=obj["content"]) is None:
        return "ignored: unknown object"
    return _ACCEPTED


def receive_delete(*, activity: dict, actor: RemoteActor) -> str:
    """Its author deleted a reply we hold: a tombstone (the row stays, its text goes); the outcome."""
    object_id = _id_of(activity.get("object"))
    if not object_id:
        return "ignored: no object id"
    comment = comment_by_object_id(object_id)
    if comment is None:
        return "ignored: unknown object"
    if comment.remote_actor_url != actor.url:
        return "ignored: not the author"
    if comment.deleted_at is not None:
        return "ignored: already deleted"
    comment_delete_remote(object_id=object_id, actor_url=actor.url)
    return _ACCEPTED
