"""Sections that higher apps add to a learner's credit pages (followups: the follow-up switch and the
retention it measured). credits never imports them: an app registers ``fn(*, user, claim) ->
(template name, context) | None`` for a place from its AppConfig.ready(), and the page renders what
each returns where it says ``{% learning_sections "<place>" %}`` (credits/templatetags)."""

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

MY_LEARNING = "my_learning"  # My learning, below the claimed credits
CLAIM_DONE = "claim_done"  # after a claim: the claim-done page and the learner's own certificate page
PLACES = (MY_LEARNING, CLAIM_DONE)

LearningSection = Callable[..., tuple[str, dict[str, Any]] | None]
_sections: dict[str, list[LearningSection]] = {place: [] for place in PLACES}


def register_learning_section(place: str, fn: LearningSection) -> None:
    if place not in PLACES:
        raise ValueError(f"unknown place {place!r}")
    if fn not in _sections[place]:
        _sections[place].append(fn)


def learning_sections(place: str, *, user: Any, claim: Any = None) -> list[tuple[str, dict[str, Any]]]:
    """What each registered section shows for this learner (none for a visitor)."""
    if not getattr(user, "is_authenticated", False):
        return []
    found = []
    for fn in list(_sections.get(place, [])):
        section = fn(user=user, claim=claim)
        if section is not None:
            found.append(section)
    return found
