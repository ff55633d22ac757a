"""Saving a learner's licence from the credits side: mandated topics must be state-mandate topics.

The licence rows are accounts' (``accounts.licences``); accounts sits below credits and cannot read
``MandateTopic``, so the topic names are checked here first and then stored as text.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts import licences as account_licences
from accounts.models import Licence, User

from .models import MandateTopic


def mandate_topic_names() -> list[str]:
    return list(MandateTopic.objects.order_by("name").values_list("name", flat=True))


def _check_topics(mandates: Sequence[tuple[str, Decimal]]) -> None:
    known = set(mandate_topic_names())
    unknown = [topic for topic, _hours in mandates if topic.strip() not in known]
    if unknown:
        raise ValidationError(
            _("“%(t)s” is not one of the state-mandate topics this site tags; choose one from the list.")
            % {"t": unknown[0]},
            code="unknown_topic",
        )


def licence_save(
    *,
    learner: User,
    data: dict[str, Any],
    mandates: Sequence[tuple[str, Decimal]],
    licence: Licence | None = None,
) -> Licence:
    """Create (``licence`` None) or update the learner's licence; ValidationError, nothing written, on
    an unknown topic or anything ``accounts.licences`` refuses."""
    _check_topics(mandates)
    if licence is None:
        return account_licences.licence_create(learner=learner, data=data, mandates=mandates)
    return account_licences.licence_update(learner=learner, licence=licence, data=data, mandates=mandates)
