"""Who hears that a claim was made or a certificate issued or revoked: higher apps (followups, which
schedules a claim's follow-ups; api, which sends the webhooks) register here from their
AppConfig.ready(). credits never imports them: it only calls what was registered, after the commit
(nothing on a rollback), each listener on its own so one failure neither undoes the commit nor
silences the others."""

import logging
from collections.abc import Callable
from functools import partial

from django.db import transaction

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


def _notify(event: str, object_id: int) -> None:
    for fn in list(_listeners):
        try:
            fn(event, object_id)
        except Exception:
            logger.exception("credit listener %r failed for %s %s", fn, event, object_id)


def credit_event(event: str, object_id: int) -> None:
    """Tell the listeners after the current transaction commits."""
    if event not in EVENTS:
        raise ValueError(f"unknown credit event {event!r}")
    transaction.on_commit(partial(_notify, event, object_id))
