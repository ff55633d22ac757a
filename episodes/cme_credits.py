"""What the feed's ``<cme:credit>`` elements say about an episode's CME activity (docs/cme-namespace.md).

Episodes sits below credits (docs/architecture.md): the feed reads the activity's current version's
frozen ``content`` through the ORM by related name (in the items' own query: episodes/feeds.py
``feed_items``), and credits registers here, from its ``AppConfig.ready()``, the function that turns
that content into credit offers (which credit types, amounts, accrediting bodies). The function is
pure: it must not query the database, so the feed's query count does not grow with its items.

Without a registered function (credits not installed) no element is written.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# The codes the namespace document lists for ``type`` (docs/cme-namespace.md, "Credit types").
CREDIT_TYPE_CODES = ("ama-pra-1", "ancc", "acpe", "aapa-1", "ipce", "participation")


@dataclass(frozen=True)
class CreditOffer:
    """One credit type an activity offers: one ``<cme:credit>`` element."""

    type: str  # a code of CREDIT_TYPE_CODES
    label: str  # the type's name as certificates print it (the element's text)
    amount: Decimal
    provider: str
    accreditor: str  # ACCME, ANCC, ACPE, AAPA, JA


# The version's content (credits.versions.version_content) -> the offers, in a fixed order.
CreditOfferSource = Callable[[dict[str, Any]], list[CreditOffer]]
_sources: list[CreditOfferSource] = []


def register_credit_offers(source: CreditOfferSource) -> None:
    """Called once by a higher app's AppConfig.ready(); registering twice keeps one."""
    if source not in _sources:
        _sources.append(source)


def credit_offers(content: dict[str, Any] | None) -> list[CreditOffer]:
    """The offers the registered sources read from an activity version's content (none without one)."""
    if not content:
        return []
    offers: list[CreditOffer] = []
    for source in _sources:
        offers += source(content)
    return offers
