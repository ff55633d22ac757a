"""The one lock order for writes that touch a learner's records: the learner's row comes first.

Every transaction that locks rows of one learner takes them in this order, skipping levels it does
not need but never going back up:

1. the learner (``accounts.User`` row): ``lock_learner(user_id)``;
2. their orders (``billing.Order``);
3. their attempts, claims, certificates and correction requests (``credits``).

Two paths that agree on the order can make each other wait, never deadlock. No network call
(Stripe, SMTP) is made while any of these locks is held: fetch before the transaction, or hand the
call to a task that runs after the commit. See docs/architecture-locks.md.
"""

from django.db import transaction

from .models import User


def lock_learner(user_id: int) -> User:
    """Lock the learner's row until the end of the current transaction (the first lock of every path).

    Returns the row as it is now, for a caller that changes the account itself (deletion).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_learner() must be called inside transaction.atomic()")
    return User.objects.select_for_update().get(pk=user_id)
