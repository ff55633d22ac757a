"""Who hears that a claim was made or a certificate issued or revoked: higher apps (followups, which
schedules a claim's follow-ups; webhooks, which tells the provider's endpoints) register here from
their AppConfig.ready(). credits never imports them: it only calls what was registered.

The listeners run in a task enqueued when the transaction commits (nothing on a rollback), not in
the learner's request: a claim costs one INSERT into the task queue, whatever listens. With the
immediate backend (development, most tests) the task runs at the commit. Each listener runs on its
own, so one failure neither undoes anything nor silences the others."""

import logging
from collections.abc import Callable, Sequence
from functools import partial

from django.db import transaction
from django_tasks import task

logger = logging.getLogger(__name__)

CLAIM_CREATED = "claim.created"  # id: the CreditClaim's
CERTIFICATE_ISSUED = "certificate.issued"  # id: the Certificate's (its row exists; the PDF may follow)
CERTIFICATE_REVOKED = "certificate.revoked"  # id: the Certificate's
EVENTS = (CLAIM_CREATED, CERTIFICATE_ISSUED, CERTIFICATE_REVOKED)

CreditListener = Callable[[str, int], None]
_listeners: list[CreditListener] = []


def register_credit_listener(fn: CreditListener) -> None:
    """Call ``fn(event, object_id)`` after each commit that creates a claim or issues or revokes a
    certificate; once per fn."""
    if fn not in _listeners:
        _listeners.append(fn)


def unregister_credit_listener(fn: CreditListener) -> None:
    """For tests: forget ``fn``."""
    if fn in _listeners:
        _listeners.remove(fn)


@task()
def notify_credit_listeners(events: list[list]) -> None:
    """Tell every listener each ``[event, object_id]``, in order."""
    for event, object_id in events:
        for fn in list(_listeners):
            try:
                fn(event, object_id)
            except Exception:
                logger.exception("credit listener %r failed for %s %s", fn, event, object_id)


def _enqueue(events: list[list]) -> None:
    if _listeners:
        notify_credit_listeners.enqueue(events)


def credit_events(events: Sequence[tuple[str, int]]) -> None:
    """Tell the listeners of ``events`` (in order) once the current transaction commits: one task."""
    for event, _object_id in events:
        if event not in EVENTS:
            raise ValueError(f"unknown credit event {event!r}")
    transaction.on_commit(partial(_enqueue, [[event, object_id] for event, object_id in events]))


def credit_event(event: str, object_id: int) -> None:
    """Tell the listeners of one event once the current transaction commits."""
    credit_events([(event, object_id)])
