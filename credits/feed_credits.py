"""The credit offers the feed's ``<cme:credit>`` elements announce (episodes/cme_credits.py,
docs/cme-namespace.md), read from an activity version's frozen content: what learners are offered
now, never the working copy. Pure: no query (the feed calls it for every item of every build)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from episodes.cme_credits import CreditOffer

from .models import CreditKind
from .statements import CREDIT_MARK, JOINT_ACCREDITATION

JOINT = "JA"  # Joint Accreditation for Interprofessional Continuing Education
# Our credit kinds -> the namespace's type codes, and who accredits the provider for each (alone;
# a jointly accredited provider holds ANCC, ACPE and IPCE through Joint Accreditation).
_TYPE_CODES = {
    CreditKind.ANCC: "ancc",
    CreditKind.ACPE: "acpe",
    CreditKind.AAPA: "aapa-1",
    CreditKind.IPCE: "ipce",
}
_ACCREDITORS = {
    CreditKind.ANCC: "ANCC",
    CreditKind.ACPE: "ACPE",
    CreditKind.AAPA: "AAPA",
    CreditKind.IPCE: JOINT,
}


def _amount(raw: object) -> Decimal | None:
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount > 0 else None


def version_credit_offers(content: dict[str, Any]) -> list[CreditOffer]:
    """AMA PRA Category 1 Credit™ (every activity), then each further type the version offers."""
    provider = str((content.get("provider") or {}).get("name") or "")
    # The version's accreditation statement is Joint Accreditation's own wording when the provider
    # was jointly accredited as the version was frozen (credits/statements.py).
    joint = JOINT_ACCREDITATION in str(content.get("accreditation_statement") or "")
    offers: list[CreditOffer] = []
    ama = _amount(content.get("designated_credits"))
    if ama is not None:
        offers.append(CreditOffer("ama-pra-1", f"{CREDIT_MARK}™", ama, provider, JOINT if joint else "ACCME"))
    for offer in content.get("credits") or []:
        kind, amount = offer.get("kind"), _amount(offer.get("amount"))
        if kind not in _TYPE_CODES or amount is None:
            continue
        accreditor = JOINT if joint and kind != CreditKind.AAPA else _ACCREDITORS[kind]
        offers.append(
            CreditOffer(_TYPE_CODES[kind], str(offer.get("label") or kind), amount, provider, accreditor)
        )
    return offers
