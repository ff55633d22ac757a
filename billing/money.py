"""Amounts: a price typed in major units (e.g. "49.50") to exact integer minor units, and back for display."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .models import MAX_CHARGE, MIN_CHARGE, currency_exponent

_PLAIN_NUMBER = re.compile(r"^\d{1,9}(\.\d{1,9})?$")


class AmountError(ValueError):
    """A price that cannot be charged; the message says why, for people."""


def to_minor_units(text: str, currency: str, *, allow_zero: bool) -> int:
    """Parse a price in major units exactly (Decimal, never float); refuse what Stripe cannot charge."""
    raw = (text or "").strip()
    if raw.startswith("-"):
        raise AmountError(_("A price cannot be negative."))
    if not _PLAIN_NUMBER.match(raw):
        raise AmountError(_("Enter a price such as 49 or 49.50 (digits and one decimal point)."))
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only plain numbers
        raise AmountError(_("Enter a price such as 49 or 49.50.")) from None
    exponent = currency_exponent(currency)
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        if exponent == 0:
            raise AmountError(_("%(currency)s has no minor unit: enter a whole amount.") % _cur(currency))
        raise AmountError(
            _("A price cannot have fractions of a cent: at most %(n)d decimals.") % {"n": exponent}
        )
    amount = int(minor)
    if amount == 0 and allow_zero:
        return 0
    if amount < MIN_CHARGE:
        raise AmountError(
            _("Stripe cannot charge less than %(min)s.") % {"min": format_amount(MIN_CHARGE, currency)}
        )
    if amount > MAX_CHARGE:
        raise AmountError(_("That price is too large."))
    return amount


def _cur(currency: str) -> dict[str, str]:
    return {"currency": currency.upper()}


def to_major_units(amount: int, currency: str) -> str:
    """The amount as a plain decimal string for a form field ("49.50")."""
    exponent = currency_exponent(currency)
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"


def format_amount(amount: int, currency: str) -> str:
    """A price for people: "49.50 USD" (no symbols, so no guessing at locales)."""
    return f"{to_major_units(amount, currency)} {currency.upper()}"
