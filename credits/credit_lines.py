"""What a credited certificate counts, per credit type: the one reading of a certificate's credit
lines that the transcript, My learning, licence progress and the coordinator's reports share.

A certificate carries its main line (``Certificate.credit_type`` and ``credits``: AMA PRA Category 1
Credit™ for a physician, hours of participation for everyone else) and, frozen at issue and kept
current by corrections, each further credit type claimed (``Certificate.other_credits``: ANCC, ACPE,
AAPA, IPCE; credits/credit_types.py). Only credited certificates (``selectors.credited_certificates``)
are ever passed here: a revoked certificate has no line anywhere.

Credit type codes are those of self-reported credit (``ExternalCreditType``) wherever the same credit
exists there, so ANCC hours claimed here and ANCC hours earned elsewhere add up in one total:
``ancc``, ``acpe``, ``aapa_1`` (AAPA Category 1 CME), plus ``ipce`` (only ever claimed here).
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .credit_types import KINDS
from .models import CreditKind, CreditType, ExternalCreditType

# A further credit type of a certificate (CreditKind) -> its transcript code.
KIND_CODES: dict[str, str] = {
    CreditKind.ANCC: ExternalCreditType.ANCC,
    CreditKind.ACPE: ExternalCreditType.ACPE,
    CreditKind.AAPA: ExternalCreditType.AAPA_1,
    CreditKind.IPCE: "ipce",
}

# The order credit types are listed in when several are shown side by side (CSV columns, tables).
TYPE_ORDER: tuple[str, ...] = (
    CreditType.AMA_PRA_1,
    CreditType.PARTICIPATION,
    ExternalCreditType.ANCC,
    ExternalCreditType.ACPE,
    ExternalCreditType.AAPA_1,
    "ipce",
)


def type_labels() -> dict[str, str]:
    """Every transcript credit type code with its label (self-reported types included)."""
    labels = {str(code): str(label) for code, label in ExternalCreditType.choices}
    labels.update({str(code): str(label) for code, label in CreditType.choices})
    labels["ipce"] = KINDS[CreditKind.IPCE].label
    return labels


def type_label(code: str) -> str:
    return type_labels().get(code, code)


def order_key(code: str) -> tuple[int, str]:
    return (TYPE_ORDER.index(code) if code in TYPE_ORDER else len(TYPE_ORDER), code)


@dataclass(frozen=True)
class CreditLine:
    code: str
    credits: Decimal
    main: bool  # the certificate's main line (AMA or participation) rather than a further type


def _amount(raw: Any) -> Decimal | None:
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount > 0 else None


def certificate_lines(*, credit_type: str, credits: Decimal, other_credits: Any) -> list[CreditLine]:
    """The certificate's credit, one line per type: its main line first, then each further type it
    lists (its current revision's ``other_credits``). A malformed further line is skipped, never a 500."""
    lines = [CreditLine(code=str(credit_type), credits=credits, main=True)]
    for entry in other_credits if isinstance(other_credits, list) else []:
        if not isinstance(entry, dict):
            continue
        kind, amount = str(entry.get("kind", "")), _amount(entry.get("amount"))
        if kind in KIND_CODES and amount is not None:
            lines.append(CreditLine(code=KIND_CODES[kind], credits=amount, main=False))
    return lines
