"""Who follows a show: a Follow accepted, a follow ended (Undo, a block, the actor gone). Audited."""

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from episodes.models import Show

from .audit_actions import FediverseAction
from .models import Follower, RemoteActor


def follow_accept(*, show: Show, actor: RemoteActor, follow_activity_id: str) -> Follower:
    """Record that ``actor`` follows ``show`` (a second Follow while following refreshes its id)."""
    with transaction.atomic():
        follower = (
            Follower.objects.select_for_update().filter(show=show, actor=actor, ended_at__isnull=True).first()
        )
        if follower is not None:
            follower.follow_activity_id = follow_activity_id
            follower.save(update_fields=["follow_activity_id"])
            return follower
        follower = Follower.objects.create(show=show, actor=actor, follow_activity_id=follow_activity_id)
        audit_record(
            actor=None,
            action=FediverseAction.FOLLOW_ACCEPTED,
            obj=follower,
            data={"actor": actor.url, "handle": actor.handle, "show": show.slug},
        )
    return follower


def follow_end(*, show: Show, actor: RemoteActor, why: str) -> bool:
    """End ``actor``'s follow of ``show``; False when it did not follow."""
    with transaction.atomic():
        follower = (
            Follower.objects.select_for_update().filter(show=show, actor=actor, ended_at__isnull=True).first()
        )
        if follower is None:
            return False
        follower.ended_at = timezone.now()
        follower.save(update_fields=["ended_at"])
        audit_record(
            actor=None,
            action=FediverseAction.FOLLOW_ENDED,
            obj=follower,
            data={"actor": actor.url, "show": show.slug, "why": why},
        )
    return True


def actor_gone(*, actor: RemoteActor) -> int:
    """The actor was deleted (a Delete of itself, or 410 from its server): mark it gone and end its
    follows. Returns the number of follows ended."""
    with transaction.atomic():
        now = timezone.now()
        RemoteActor.objects.filter(pk=actor.pk, gone_at__isnull=True).update(gone_at=now)
        actor.gone_at = actor.gone_at or now
        follows = list(
            Follower.objects.select_for_update()
            .filter(actor=actor, ended_at__isnull=True)
            .select_related("show")
        )
        Follower.objects.filter(pk__in=[f.pk for f in follows]).update(ended_at=now)
        for follower in follows:
            audit_record(
                actor=None,
                action=FediverseAction.FOLLOW_ENDED,
                obj=follower,
                data={"actor": actor.url, "show": follower.show.slug, "why": "actor gone"},
            )
    return len(follows)
