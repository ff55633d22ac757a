"""Validators for what a learner types about themselves: NPI and birth month/day."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def npi_is_valid(npi: str) -> bool:
    """The NPI check digit: Luhn over the prefix 80840 and the first nine digits (CMS spec)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 0:  # every second digit from the right, starting with the rightmost
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def validate_npi(value: str) -> None:
    if not value:
        return
    if len(value) != 10 or not value.isdigit():
        raise ValidationError(_("An NPI is exactly 10 digits."), code="npi_format")
    if not npi_is_valid(value):
        raise ValidationError(
            _("This NPI's check digit is wrong; please check it against your NPPES record."),
            code="npi_checksum",
        )


def validate_nabp_eprofile_id(value: str) -> None:
    """NABP e-Profile IDs (CPE Monitor) are numbers of six or seven digits."""
    if value and not (value.isdigit() and 6 <= len(value) <= 7):
        raise ValidationError(
            _("An NABP e-Profile ID is 6 or 7 digits (find it at nabp.pharmacy, under your e-Profile)."),
            code="nabp_format",
        )


def validate_birth_month_day(month: int | None, day: int | None) -> None:
    """Month and day go together and must be a real date in a leap year (02/29 is allowed)."""
    if month is None and day is None:
        return
    if month is None or day is None:
        raise ValidationError(_("Give both the month and the day of birth, or neither."))
    try:
        datetime.date(2000, month, day)
    except ValueError:
        raise ValidationError(
            _("%(month)02d/%(day)02d is not a date.") % {"month": month, "day": day},
            code="impossible_date",
        ) from None
