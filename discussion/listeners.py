"""Who hears that a site comment became visible or was hidden: fediverse registers here (from its
AppConfig.ready()) to federate the comment as the show's reply, or a Delete. discussion never
imports fediverse: it only calls what was registered, after the commit."""

import logging
from collections.abc import Callable
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

SHOWN = "shown"  # a site comment became visible (posted shown, approved, shown again)
HIDDEN = "hidden"  # a shown site comment was hidden

CommentListener = Callable[[int, str], None]
_listeners: list[CommentListener] = []


def register_comment_listener(fn: CommentListener) -> None:
    """Call ``fn(comment_id, event)`` after each commit that shows or hides a site comment; once per fn."""
    if fn not in _listeners:
        _listeners.append(fn)


def unregister_comment_listener(fn: CommentListener) -> None:
    """For tests: forget ``fn``."""
    if fn in _listeners:
        _listeners.remove(fn)


def _notify(comment_id: int, event: str) -> None:
    for fn in list(_listeners):
        try:
            fn(comment_id, event)
        except Exception:  # one listener's failure must not undo the commit or silence the others
            logger.exception("comment listener %r failed for comment %s (%s)", fn, comment_id, event)


def comment_changed(comment_id: int, event: str) -> None:
    """Tell the listeners after the current transaction commits (nothing on a rollback)."""
    transaction.on_commit(partial(_notify, comment_id, event))
