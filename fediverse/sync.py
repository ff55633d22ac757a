"""What a show's followers have seen, kept equal to what is public: Create, Update and Delete of the
episodes' Notes, and the show's replies (site comments).

A FederatedObject row per object we published holds the digest of what was last sent
(``notes.note_digest``): a public episode without a row is announced (Create), a changed digest is
an Update, an object that is no longer public (back to draft, unpublished, or its show moved away
from this site) gets a Delete (a Tombstone), and it is announced again if it comes back. Running
the reconciliation twice sends nothing the second time.

When it runs: after every change of a show's public feed (``episodes.push.register_feed_listener``,
registered in ``FediverseConfig.ready``), at the moment a scheduled episode becomes public and when
a CME activity's claim window opens or closes (the credit line changes; a deferred task, as
episodes/push.py does for pings), and for a site comment when discussion says it was shown or
hidden (``discussion.listeners.register_comment_listener``). The work is a task (the worker in
production; at once with the immediate backend): a show with hundreds of episodes never holds a
host's request. Delivery itself is ``delivery.deliver``: rows written in this transaction, sent
after the commit.

Backfill: episodes that were public before the show's actor existed (its ActorKey, made the first
time anyone looks the show up) are not announced when federation first runs: a show with 500 old
episodes does not send its new followers 500 posts. They are recorded as federated without a
delivery (so an edit or an unpublishing of one still sends an Update or a Delete) and are in the
outbox, where servers that look at the profile find them.
"""

import logging
import math
import uuid
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from credits.models import Activity
from discussion.models import Comment
from episodes.models import Episode, Show

from .delivery import deliver, follower_inboxes
from .keys import actor_url
from .models import ActorKey, FederatedObject, RemoteActor
from .notes import (
    PUBLIC,
    comment_note,
    comment_note_id,
    document,
    episode_note,
    episode_note_id,
    followers_url,
    iso,
    note_digest,
    note_facts,
)

logger = logging.getLogger(__name__)

ACTIVITY_NAMESPACE = uuid.UUID("5d3f5a8e-54c7-4b0e-9a55-2f0c7c1f1e17")
_DUE_KEY = "podcastcme:fediverse:{pk}:due:{at}"


# --- What is public ---------------------------------------------------------------------------------


def federated_episodes(show: Show, *, now: datetime | None = None) -> QuerySet[Episode]:
    """The show's episodes its actor publishes: public now, unless the show moved away (its
    listeners follow it elsewhere; topic feeds leave it out the same way)."""
    if show.moved_away_at is not None:
        return Episode.objects.none()
    return Episode.objects.published(now=now).filter(show=show)


def episode_is_federated(episode: Episode) -> bool:
    return episode.is_public and episode.show.moved_away_at is None


def comment_is_federated(comment: Comment) -> bool:
    """A site comment is the show's reply while it is shown, not withdrawn, on a public episode."""
    return (
        comment.origin == Comment.Origin.SITE
        and comment.status == Comment.Status.SHOWN
        and comment.deleted_at is None
        and episode_is_federated(comment.episode)
    )


def activity_url(activity_uuid: uuid.UUID) -> str:
    return f"{settings.SITE_URL}/ap/activities/{activity_uuid}"


def create_activity_id(note_id: str, published_at: datetime) -> str:
    """The Create of ``note_id`` announced at ``published_at``: the same id in the delivery and in
    the outbox (derived, not stored); a Create after a Delete has another."""
    return activity_url(uuid.uuid5(ACTIVITY_NAMESPACE, f"create {note_id} {published_at.isoformat()}"))


def _activity(
    kind: str, show: Show, obj: dict[str, Any], *, activity_id: str | None = None
) -> dict[str, Any]:
    return document(
        {
            "id": activity_id or activity_url(uuid.uuid4()),
            "type": kind,
            "actor": actor_url(show),
            "published": iso(timezone.now()),
            "to": obj.get("to", [PUBLIC]),
            "cc": obj.get("cc", [followers_url(show)]),
            "object": obj,
        }
    )


def create_activity(show: Show, note: dict[str, Any], published_at: datetime) -> dict[str, Any]:
    activity = _activity("Create", show, note, activity_id=create_activity_id(note["id"], published_at))
    activity["published"] = note["published"]
    return activity


def _tombstone(note_id: str, deleted_at: datetime) -> dict[str, Any]:
    return {"id": note_id, "type": "Tombstone", "formerType": "Note", "deleted": iso(deleted_at)}


def _send(show: Show, activity: dict[str, Any], extra_inboxes: list[str] | None = None) -> None:
    inboxes = follower_inboxes(show)
    for inbox in extra_inboxes or []:
        if inbox and inbox not in inboxes:
            inboxes.append(inbox)
    if inboxes:
        deliver(show=show, activity=activity, inboxes=inboxes)


# --- Episodes ------------------------------------------------------------------------------------


def sync_show(show_id: int) -> dict[str, int]:
    """Reconcile the show's episode Notes with what is public; counts of what was sent.

    Idempotent: a second run finds every digest equal and sends nothing. Takes the show's row lock,
    so two runs for one show (a listener and a due task) do not both announce an episode."""
    counts = {"created": 0, "updated": 0, "deleted": 0, "recorded": 0, "replies": 0}
    with transaction.atomic():
        show = Show.objects.select_for_update().filter(pk=show_id).first()
        if show is None:
            return counts
        key = ActorKey.objects.filter(show=show).first()
        if key is None:
            # Nobody has looked the actor up yet, so nobody follows it: nothing to send. Episodes
            # public now will count as older than the actor (see the backfill rule above).
            return counts
        now = timezone.now()
        rows: dict[int, FederatedObject] = {
            row.episode_id: row
            for row in FederatedObject.objects.filter(show=show, kind=FederatedObject.Kind.EPISODE)
            if row.episode_id is not None  # always set for an episode's row (a database constraint)
        }
        public = list(federated_episodes(show, now=now).select_related("show").prefetch_related("topics"))
        public_ids = {episode.pk for episode in public}
        facts = note_facts(public)
        silent: list[FederatedObject] = []
        for episode in public:
            note = episode_note(episode, facts=facts[episode.pk])
            digest = note_digest(note)
            row = rows.get(episode.pk)
            # The backfill rule: only an episode published after the actor existed is announced.
            announce = episode.publish_at is not None and episode.publish_at >= key.created_at
            if row is None:
                row = FederatedObject(
                    kind=FederatedObject.Kind.EPISODE,
                    show=show,
                    episode=episode,
                    content_digest=digest,
                    published_at=now,
                )
                if announce:
                    row.save()
                    _send(show, create_activity(show, note, row.published_at))
                    counts["created"] += 1
                else:  # public before the actor existed: recorded, not announced
                    silent.append(row)
                    counts["recorded"] += 1
            elif row.deleted_at is not None:
                # Public again (republished, the show's move undone): announced again by the same rule.
                row.deleted_at, row.updated_at = None, None
                row.content_digest, row.published_at = digest, now
                row.save(update_fields=["deleted_at", "updated_at", "content_digest", "published_at"])
                if announce:
                    _send(show, create_activity(show, note, row.published_at))
                    counts["created"] += 1
                else:
                    counts["recorded"] += 1
                # Its shown site comments come back as the show's replies.
                for comment in _site_comments(episode_id=episode.pk):
                    if _reconcile_comment(show, comment, now) != "unchanged":
                        counts["replies"] += 1
            elif row.content_digest != digest:
                row.content_digest, row.updated_at = digest, now
                row.save(update_fields=["content_digest", "updated_at"])
                _send(show, _activity("Update", show, {**note, "updated": iso(now)}))
                counts["updated"] += 1
        FederatedObject.objects.bulk_create(silent)
        for episode_id, row in rows.items():
            if episode_id in public_ids or row.deleted_at is not None:
                continue
            row.deleted_at = now
            row.save(update_fields=["deleted_at"])
            _send(show, _activity("Delete", show, _tombstone(episode_note_id(episode_id), now)))
            counts["deleted"] += 1
            # The show's replies under it go too (their ids would answer 404 from now on).
            for comment in _site_comments(episode_id=episode_id):
                if _reconcile_comment(show, comment, now) != "unchanged":
                    counts["replies"] += 1
    if any(counts[name] for name in ("created", "updated", "deleted", "replies")):
        logger.info("Fediverse: show %s synced: %s.", show_id, counts)
    return counts


def next_change(show_id: int, now: datetime) -> datetime | None:
    """When the show's Notes change by themselves: a scheduled episode becomes public, or a CME
    activity's claim window opens or closes (the credit line comes or goes)."""
    moments: list[datetime] = []
    due = Episode.objects.filter(
        show_id=show_id, status=Episode.Status.PUBLISHED, publish_at__gt=now, show__moved_away_at__isnull=True
    ).aggregate(due=Min("publish_at"))["due"]
    if due is not None:
        moments.append(due)
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now)
    windows = (
        Activity.objects.filter(episode__show_id=show_id, status=Activity.Status.PUBLISHED)
        .filter(Q(current_version__release_date__gt=today) | Q(current_version__expiry_date__gte=today))
        .values_list("current_version__release_date", "current_version__expiry_date")
    )
    for release, expiry in windows:
        for day in (release, expiry + timedelta(days=1) if expiry else None):
            if day is not None:
                moment = datetime.combine(day, time.min, tzinfo=zone)
                if moment > now:
                    moments.append(moment)
    return min(moments, default=None)


def _schedule_next(show_id: int) -> None:
    """A deferred run at the show's next change (once per moment, however many edits come first).
    The immediate backend cannot wait: there, ``federate_show_due`` is called by whoever runs time on."""
    if not federate_show.get_backend().supports_defer:
        return
    now = timezone.now()
    due = next_change(show_id, now)
    if due is None:
        return
    seconds_until = (due - now).total_seconds()
    key = _DUE_KEY.format(pk=show_id, at=int(due.timestamp()))
    try:
        first = cache.add(key, 1, timeout=max(1, math.ceil(seconds_until + 60)))
    except Exception as error:  # a cache backend's own errors (Redis down) have no common class
        logger.warning("Fediverse: the cache is unavailable (%s); scheduling without dedup.", error)
        first = True
    if first:
        federate_show_due.using(run_after=due + timedelta(seconds=1)).enqueue(show_id)


@task()
def federate_show(show_id: int) -> dict[str, int]:
    """The listener's work, run by the worker: reconcile, then schedule the next change."""
    counts = sync_show(show_id)
    _schedule_next(show_id)
    return counts


@task()
def federate_show_due(show_id: int) -> dict[str, int]:
    """A scheduled moment came (an episode's publish time, a credit window's edge): reconcile."""
    counts = sync_show(show_id)
    _schedule_next(show_id)
    return counts


def on_feed_changed(show_id: int) -> None:
    """episodes.push feed listener (after the commit): federate the change by a task, once the show
    has an actor (before, nobody can follow it and there is nothing to send: no task at all)."""
    if ActorKey.objects.filter(show_id=show_id).exists():
        federate_show.enqueue(show_id)


# --- Site comments as the show's replies -----------------------------------------------------------


def _remote_parent_inbox(comment: Comment) -> list[str]:
    """The inbox of the remote author a site comment answers (their server then notifies them)."""
    parent = comment.in_reply_to
    if parent is None or parent.origin != Comment.Origin.REMOTE or not parent.remote_actor_url:
        return []
    actor = RemoteActor.objects.filter(url=parent.remote_actor_url, gone_at__isnull=True).first()
    if actor is None:
        return []
    return [actor.shared_inbox or actor.inbox]


def _site_comments(*, episode_id: int) -> QuerySet[Comment]:
    return Comment.objects.filter(episode_id=episode_id, origin=Comment.Origin.SITE).select_related(
        "episode__show", "in_reply_to", "author__profile"
    )


def _reconcile_comment(show: Show, comment: Comment, now: datetime) -> str:
    """One site comment's Note made equal to its state (the show's row lock held by the caller):
    "created", "updated", "deleted" or "unchanged"."""
    row = FederatedObject.objects.filter(kind=FederatedObject.Kind.COMMENT, comment=comment).first()
    extra = _remote_parent_inbox(comment)
    if not comment_is_federated(comment) or not ActorKey.objects.filter(show=show).exists():
        if row is None or row.deleted_at is not None:
            return "unchanged"
        row.deleted_at = now
        row.save(update_fields=["deleted_at"])
        _send(show, _activity("Delete", show, _tombstone(comment_note_id(comment), now)), extra)
        return "deleted"
    note = comment_note(comment)
    digest = note_digest(note)
    if row is None or row.deleted_at is not None:
        if row is None:
            row = FederatedObject(kind=FederatedObject.Kind.COMMENT, show=show, comment=comment)
        row.content_digest, row.published_at = digest, now
        row.deleted_at, row.updated_at = None, None
        row.save()
        _send(show, create_activity(show, note, row.published_at), extra)
        return "created"
    if row.content_digest == digest:
        return "unchanged"
    row.content_digest, row.updated_at = digest, now
    row.save(update_fields=["content_digest", "updated_at"])
    _send(show, _activity("Update", show, {**note, "updated": iso(now)}), extra)
    return "updated"


def sync_comment(comment_id: int) -> str:
    """Reconcile one site comment's Note with its state: "created", "updated", "deleted" or "unchanged".

    A site comment is the show's reply while it is shown on a public episode; held, hidden, or on an
    episode that is not public (any more), it is deleted if it was sent. A remote reply is never ours."""
    with transaction.atomic():
        comment = (
            Comment.objects.select_related("episode__show", "in_reply_to", "author__profile")
            .filter(pk=comment_id)
            .first()
        )
        if comment is None or comment.origin != Comment.Origin.SITE:
            return "unchanged"
        show = Show.objects.select_for_update().get(pk=comment.episode.show_id)
        return _reconcile_comment(show, comment, timezone.now())


@task()
def federate_comment(comment_id: int) -> str:
    return sync_comment(comment_id)


def on_comment_changed(comment_id: int, event: str) -> None:
    """discussion comment listener (after the commit): "shown" or "hidden", federated by a task.
    The task reads the comment's state rather than trusting the event, so events out of order or
    repeated end in the right state."""
    if ActorKey.objects.filter(show__episodes__comments=comment_id).exists():
        federate_comment.enqueue(comment_id)
