"""Delivering our activities to followers' inboxes, through the task queue.

``deliver`` writes one Delivery row per inbox now (in the caller's transaction) and, after the
commit, enqueues one task per row: a signed POST with a short timeout, so one dead server never
delays another or the publishing that caused it. A failure (5xx, timeout, refused connection) is
tried again after 1, 2, 4 ... minutes (``.using(run_after=...)`` on a backend that can defer),
MAX_ATTEMPTS tries in all, then given up; 4xx other than 408/429 gives up at once; 410 marks the
actors of that inbox gone. A blocked domain gets status BLOCKED and no request. The host's
fediverse page shows each row's status and last error.
"""

import json
import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from audit.services import audit_record
from episodes.models import Show

from .audit_actions import FediverseAction
from .blocks import blocked_domains, is_blocked, is_blocked_by
from .follows import actor_gone
from .keys import actor_key, key_id
from .models import Delivery, Follower, RemoteActor
from .remote import ACTIVITY_JSON, RemoteError, RemoteRefused, request, url_domain
from .signing import sign_headers

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # 1 + 2 + 4 + ... + 64 minutes: about two hours of retries
MAX_RETRY_DELAY = timedelta(hours=1)
_RETRYABLE_4XX = {401, 408, 425, 429}  # 401: the peer could not fetch our key just then


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 ... minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def follower_inboxes(show: Show) -> list[str]:
    """Where an activity for all of ``show``'s followers goes: each current follower's shared inbox
    when its server has one, else its own inbox; each once; blocked domains and gone actors left out."""
    blocked = blocked_domains(show=show)
    inboxes: list[str] = []
    follows = (
        Follower.objects.filter(show=show, ended_at__isnull=True, actor__gone_at__isnull=True)
        .select_related("actor")
        .order_by("pk")
    )
    for follower in follows:
        actor = follower.actor
        inbox = actor.shared_inbox or actor.inbox
        if inbox and inbox not in inboxes and not is_blocked_by(url_domain(inbox), blocked):
            if not is_blocked_by(actor.domain, blocked):
                inboxes.append(inbox)
    return inboxes


def deliver(*, show: Show, activity: dict, inboxes: list[str]) -> None:
    """Send ``activity`` (signed by ``show``) to each inbox once, by tasks run after the commit.

    The Delivery rows are written now; nothing is sent if the caller's transaction rolls back."""
    blocked = blocked_domains(show=show)
    rows = []
    seen: set[str] = set()
    for inbox in inboxes:
        if not inbox or inbox in seen:
            continue
        seen.add(inbox)
        domain = url_domain(inbox)
        refused = is_blocked_by(domain, blocked)
        rows.append(
            Delivery(
                show=show,
                inbox=inbox,
                domain=domain,
                activity=activity,
                status=Delivery.Status.BLOCKED if refused else Delivery.Status.PENDING,
                last_error="Domain blocked." if refused else "",
            )
        )
    if not rows:
        return
    actor_key(show)  # made now, inside the caller's transaction, not by the first task
    created = Delivery.objects.bulk_create(rows)
    pending = [row.pk for row in created if row.status == Delivery.Status.PENDING]
    for pk in pending:
        transaction.on_commit(partial(_enqueue, pk), robust=True)


def _can_defer() -> bool:
    return bool(send_delivery.get_backend().supports_defer)


def _enqueue(delivery_id: int, at=None) -> None:
    if at is not None and _can_defer():
        send_delivery.using(run_after=at).enqueue(delivery_id)
    else:
        send_delivery.enqueue(delivery_id)


class _Refused(Exception):
    pass


class _Gone(Exception):
    pass


def _post(delivery: Delivery) -> None:
    body = json.dumps(delivery.activity, separators=(",", ":")).encode("utf-8")
    key = actor_key(delivery.show)
    headers = sign_headers(
        method="POST",
        url=delivery.inbox,
        body=body,
        key_id=key_id(delivery.show),
        private_key_pem=key.private_key_pem,
    )
    headers["Content-Type"] = ACTIVITY_JSON
    headers["Accept"] = ACTIVITY_JSON
    response = request("POST", delivery.inbox, headers=headers, body=body, limit=64 * 1024)
    if 200 <= response.status < 300:
        return
    if response.status == 410:
        raise _Gone("HTTP 410 Gone")
    if 400 <= response.status < 500 and response.status not in _RETRYABLE_4XX:
        raise _Refused(f"HTTP {response.status}")
    raise RemoteError(f"HTTP {response.status}")


@task()
def send_delivery(delivery_id: int) -> str:
    """One try at one Delivery (run by the worker, outside any transaction); the row's status after."""
    delivery = Delivery.objects.select_related("show").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return "nothing to do"
    if is_blocked(delivery.domain, show=delivery.show):
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.BLOCKED, last_error="Domain blocked."
        )
        return Delivery.Status.BLOCKED
    attempts = delivery.attempts + 1
    try:
        _post(delivery)
    except _Gone as error:
        for actor in RemoteActor.objects.filter(Q(inbox=delivery.inbox) | Q(shared_inbox=delivery.inbox)):
            if actor.inbox == delivery.inbox:  # a shared inbox answering 410 does not end everyone
                actor_gone(actor=actor)
        return _give_up(delivery, attempts, str(error))
    except (_Refused, RemoteRefused) as error:
        return _give_up(delivery, attempts, str(error))
    except Exception as error:  # noqa: BLE001  # RemoteError, or a fault of ours: tried again, not lost
        if not isinstance(error, RemoteError):
            # Uncaught, the task would fail and leave the row waiting forever with nothing queued.
            logger.exception("Fediverse: delivery %s raised.", delivery.pk)
            error = RemoteError(f"{type(error).__name__}: {error}")
        if attempts >= MAX_ATTEMPTS:
            return _give_up(delivery, attempts, str(error))
        at = timezone.now() + retry_delay(attempts)
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, next_try_at=at, last_error=str(error)[:500]
        )
        logger.warning(
            "Fediverse: delivery %s to %s failed (try %d: %s).", delivery.pk, delivery.inbox, attempts, error
        )
        if _can_defer():
            send_delivery.using(run_after=at).enqueue(delivery.pk)
        # The immediate backend (development) cannot wait: the row stays waiting, shown to the host.
        return Delivery.Status.PENDING
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.DELIVERED, attempts=attempts, delivered_at=timezone.now(), last_error=""
    )
    return Delivery.Status.DELIVERED


def _give_up(delivery: Delivery, attempts: int, error: str) -> str:
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.GIVEN_UP, attempts=attempts, last_error=error[:500]
        )
        audit_record(
            actor=None,
            action=FediverseAction.DELIVERY_GIVEN_UP,
            obj=delivery,
            data={"inbox": delivery.inbox, "attempts": attempts, "error": error[:200]},
        )
    logger.error(
        "Fediverse: gave up delivering %s to %s after %d tries (%s).",
        delivery.pk,
        delivery.inbox,
        attempts,
        error,
    )
    return Delivery.Status.GIVEN_UP
