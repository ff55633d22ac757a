"""followups' sections on credits' learner pages (credits/learning_sections.py): the follow-up switch
after a claim and on My learning, and the retention measured (My learning)."""

from typing import Any

from credits.learning_sections import CLAIM_DONE, MY_LEARNING, register_learning_section

from . import selectors
from .models import FollowUpPlan


def claim_done_section(*, user, claim=None) -> tuple[str, dict[str, Any]] | None:
    """After a claim of an activity with follow-up on: the offer to opt in (or that it is on)."""
    if claim is None or claim.learner_id != user.pk:
        return None
    plan = FollowUpPlan.objects.filter(activity_id=claim.activity_id, enabled=True).first()
    if plan is None:
        return None
    consent = selectors.consent_of(user)
    return "followups/_claim_done.html", {"plan": plan, "opted_in": bool(consent and consent.opted_in)}


def my_learning_section(*, user, claim=None) -> tuple[str, dict[str, Any]] | None:
    consent = selectors.consent_of(user)
    return "followups/_my_learning.html", {
        "opted_in": bool(consent and consent.opted_in),
        "retention": selectors.learner_retention(learner=user),
    }


def register() -> None:
    register_learning_section(CLAIM_DONE, claim_done_section)
    register_learning_section(MY_LEARNING, my_learning_section)
