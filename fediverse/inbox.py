"""The inboxes (each show's and the shared one): what other servers send us.

Checked in this order, and nothing is written before the last check passes:
body over ``PODCASTCME_FEDIVERSE_MAX_BYTES`` -> 413; not JSON, not an object or nested deeper than
MAX_DEPTH -> 400; no id, type or actor, or an id on another server than the actor's -> 400; the
actor's or the key's domain blocked (site-wide, or for the show) -> 403;
unsigned, wrongly signed, Date more than five minutes from now, or signed by another actor than
the activity's -> 401; an activity id seen before -> 202 and ignored (a replay).
Then the activity is recorded (InboxActivity, with its outcome) and handled: Follow (recorded and
answered with an Accept, delivered by the task queue), Undo of a Follow, Delete of the actor itself,
Create / Update / Delete of Notes (``replies``: replies become discussion); anything else (Like,
Announce ...) is recorded and ignored. docs/fediverse.md.
"""

import json
import logging
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from discussion.selectors import comment_by_object_id
from episodes.models import Show

from . import replies
from .blocks import is_blocked
from .delivery import deliver
from .follows import actor_gone, follow_accept, follow_end
from .httpsig import SignatureError, verify_request
from .keys import actor_url
from .models import InboxActivity, RemoteActor
from .remote import url_domain

logger = logging.getLogger(__name__)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
MAX_DEPTH = 32  # a Mastodon activity nests 4 or 5 levels; deeper is an attack on the parser


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _id_of(value: object) -> str:
    """An object's id: the string itself, or a dict's ``id``."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _body(request: HttpRequest) -> bytes | HttpResponse:
    limit = settings.PODCASTCME_FEDIVERSE_MAX_BYTES
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > limit:
        return _text(f"The activity is larger than {limit // 1024} KB.", 413)
    body = request.read(limit + 1)
    if len(body) > limit:
        return _text(f"The activity is larger than {limit // 1024} KB.", 413)
    request._body = body  # the signature check reads request.body (its Digest)
    return body


def _depth(value: object) -> int:
    """How deeply ``value``'s lists and objects nest (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend(
                    (child, level + 1) for child in (item.values() if isinstance(item, dict) else item)
                )
    return deepest


def _activity(body: bytes) -> dict | HttpResponse:
    try:
        activity = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return _text("The body is not JSON.", 400)
    except RecursionError:  # thousands of nested brackets: Python's parser gives up
        return _text(f"The activity nests deeper than {MAX_DEPTH} levels.", 400)
    if not isinstance(activity, dict):
        return _text("The activity must be a JSON object.", 400)
    if _depth(activity) > MAX_DEPTH:
        return _text(f"The activity nests deeper than {MAX_DEPTH} levels.", 400)
    for field in ("id", "type", "actor"):
        value = activity.get(field) if field != "actor" else _id_of(activity.get("actor"))
        if not isinstance(value, str) or not value:
            return _text(f"The activity has no {field}.", 400)
    if not activity["id"].startswith(("https://", "http://")) or len(activity["id"]) > 500:
        return _text("The activity's id must be an http(s) URL.", 400)
    if len(activity["type"]) > 40:
        return _text("The activity's type is not one we know.", 400)
    # Its id is taken once (a replay is refused): an id on another server than its actor's would
    # let one server spend another's ids before they arrive.
    if url_domain(activity["id"]) != url_domain(_id_of(activity["actor"])):
        return _text("The activity's id is not on its actor's server.", 400)
    return activity


def _show_of_object(url: str) -> Show | None:
    """The show one of our objects belongs to (an actor, an episode's or a site comment's Note), or
    a remote reply we hold: so that a show's own blocks hold at the shared inbox too."""
    if not url:
        return None
    if url.startswith(settings.SITE_URL + "/"):
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            return None
        if match.namespace != "fediverse":
            return None
        if match.url_name in {"actor", "inbox", "followers"}:
            return Show.objects.filter(slug=match.kwargs["slug"]).first()
        if match.url_name == "episode_note":
            return Show.objects.filter(episodes__pk=match.kwargs["pk"]).first()
        if match.url_name == "comment_note":
            return Show.objects.filter(episodes__comments__pk=match.kwargs["pk"]).first()
        return None
    reply = comment_by_object_id(url)
    return reply.episode.show if reply is not None else None


def _target_show(activity: dict, show: Show | None) -> Show | None:
    """The show an activity concerns: the inbox's or, at the shared inbox, the show of what it
    names (the actor a Follow or Undo names, the Note a reply answers or an edit changes)."""
    if show is not None:
        return show
    inner = activity.get("object")
    if activity.get("type") == "Undo" and isinstance(inner, dict):
        inner = inner.get("object")
    if isinstance(inner, dict) and inner.get("inReplyTo"):
        found = _show_of_object(_id_of(inner.get("inReplyTo")))
        if found is not None:
            return found
    return _show_of_object(_id_of(inner))


def _unknown_actor_deleted(activity: dict) -> bool:
    """A Delete of an actor we never knew: Mastodon sends these to every server it knows of, and the
    key cannot be fetched any more; nothing to do, nothing to check."""
    actor = _id_of(activity.get("actor"))
    return (
        activity.get("type") == "Delete"
        and _id_of(activity.get("object")) == actor
        and not RemoteActor.objects.filter(url=actor).exists()
    )


def receive(request: HttpRequest, show: Show | None) -> HttpResponse:
    body = _body(request)
    if isinstance(body, HttpResponse):
        return body
    activity = _activity(body)
    if isinstance(activity, HttpResponse):
        return activity
    actor_id = _id_of(activity.get("actor"))
    target = _target_show(activity, show)
    header = request.headers.get("Signature", "")
    key_domain = url_domain(header.split('keyId="', 1)[1].split('"', 1)[0]) if 'keyId="' in header else ""
    for domain in {url_domain(actor_id), key_domain} - {""}:
        if is_blocked(domain, show=target):
            return _text(f"{domain} is blocked here.", 403)
    if _unknown_actor_deleted(activity):
        return _text("Accepted (an actor we did not know).", 202)
    try:
        signer = verify_request(request)
    except SignatureError as error:
        return _text(str(error), 401)
    if signer.url != actor_id:
        return _text("The activity's actor is not the one that signed it.", 401)
    if InboxActivity.objects.filter(activity_id=activity["id"]).exists():
        return _text("Already received (ignored).", 202)
    try:
        with transaction.atomic():
            record = InboxActivity.objects.create(
                activity_id=activity["id"],
                actor_url=actor_id,
                type=activity["type"][:40],
                show=target,
                outcome="received",
            )
            outcome = dispatch(activity=activity, actor=signer, show=target)
            record.outcome = outcome[:40]
            record.save(update_fields=["outcome"])
    except IntegrityError:
        if InboxActivity.objects.filter(activity_id=activity["id"]).exists():
            # The same activity arriving twice at once: the first one recorded is the one handled.
            return _text("Already received (ignored).", 202)
        # Another write collided while handling it (nothing was kept): the sender tries again on a
        # 5xx, where a 202 would have lost the activity (a Follow never recorded, never accepted).
        logger.warning("Fediverse: handling %s collided with another write; asked to retry.", activity["id"])
        return _text("Busy: please try again.", 503)
    return _text(f"Accepted ({outcome}).", 202)


@csrf_exempt
@require_POST
def show_inbox(request: HttpRequest, slug: str) -> HttpResponse:
    show = get_object_or_404(Show, slug=slug)
    return receive(request, show)


@csrf_exempt
@require_POST
def shared_inbox(request: HttpRequest) -> HttpResponse:
    return receive(request, None)


# --- Handling what was received ------------------------------------------------------------------


def dispatch(*, activity: dict, actor: RemoteActor, show: Show | None) -> str:
    """Handle a verified activity; the outcome recorded in InboxActivity."""
    kind = activity["type"]
    if kind == "Follow":
        return _follow(activity, actor, show)
    if kind == "Undo":
        return _undo(activity, actor, show)
    if kind == "Delete" and _id_of(activity.get("object")) == actor.url:
        ended = actor_gone(actor=actor)
        return f"actor deleted ({ended} follows ended)"
    if kind == "Create":
        return replies.receive_create(activity=activity, actor=actor)
    if kind == "Update":
        return replies.receive_update(activity=activity, actor=actor)
    if kind == "Delete":
        return replies.receive_delete(activity=activity, actor=actor)
    return f"ignored: {kind}"


def new_activity_id() -> str:
    return settings.SITE_URL + reverse("fediverse:activity", args=[uuid.uuid4()])


def _follow(activity: dict, actor: RemoteActor, show: Show | None) -> str:
    if show is None or _id_of(activity.get("object")) != actor_url(show):
        return "ignored: not one of our shows"
    follow_accept(show=show, actor=actor, follow_activity_id=activity["id"])
    accept = {
        "@context": AS_CONTEXT,
        "id": new_activity_id(),
        "type": "Accept",
        "actor": actor_url(show),
        "object": {
            "id": activity["id"],
            "type": "Follow",
            "actor": actor.url,
            "object": actor_url(show),
        },
    }
    deliver(show=show, activity=accept, inboxes=[actor.inbox])
    return "accepted"


def _undo(activity: dict, actor: RemoteActor, show: Show | None) -> str:
    inner = activity.get("object")
    inner_type = inner.get("type") if isinstance(inner, dict) else None
    if isinstance(inner, dict) and _id_of(inner.get("actor") or actor.url) != actor.url:
        return "ignored: undo of another actor's activity"
    if inner_type not in {None, "Follow"}:
        return f"ignored: Undo {str(inner_type)[:20]}"
    if show is None:
        # An Undo naming only the Follow's id: the follow it ended tells the show.
        follow_id = _id_of(inner)
        follows = actor.follows.filter(follow_activity_id=follow_id, ended_at__isnull=True).select_related(
            "show"
        )
        ended = sum(follow_end(show=f.show, actor=actor, why="undo") for f in follows)
        return "follow ended" if ended else "ignored: no such follow"
    return "follow ended" if follow_end(show=show, actor=actor, why="undo") else "ignored: not following"
