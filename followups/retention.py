"""What follow-up forgets when an account is deleted (called by podcastcme/account_deletion.py):
consent is withdrawn and every follow-up not answered yet is cancelled, so no further email or feed
item goes out. Answers already given stay: they are outcome records, like the claim they follow."""

import datetime

from accounts.models import User

from .models import FollowUp, FollowUpConsent
from .services import OPEN, consent_set


def follow_ups_forget_user(*, user: User, at: datetime.datetime) -> int:
    """Withdraw ``user``'s consent (audited) and cancel their open follow-ups; returns how many were
    cancelled. The caller holds the learner's row lock in its transaction."""
    if not FollowUpConsent.objects.filter(learner=user, opted_in=True).exists():
        return 0
    open_count = FollowUp.objects.filter(learner=user, status__in=OPEN).count()
    consent_set(learner=user, opted_in=False, where="account_deleted", at=at)
    return open_count
