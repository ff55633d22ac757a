import pytest
from django.core.exceptions import ValidationError

from accounts.validators import npi_is_valid, validate_birth_month_day, validate_npi


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1003000126"])
def test_valid_npis_pass_the_luhn_check(npi):
    assert npi_is_valid(npi)
    validate_npi(npi)


@pytest.mark.parametrize(
    ("npi", "code"),
    [
        ("1234567890", "npi_checksum"),
        ("1234567894", "npi_checksum"),
        ("123456789", "npi_format"),
        ("12345678931", "npi_format"),
        ("12345A7893", "npi_format"),
    ],
)
def test_invalid_npis_are_refused_with_a_reason(npi, code):
    assert not npi_is_valid(npi)
    with pytest.raises(ValidationError) as info:
        validate_npi(npi)
    assert info.value.code == code


def test_blank_npi_is_allowed():
    validate_npi("")


@pytest.mark.parametrize(("month", "day"), [(2, 29), (12, 31), (1, 1), (None, None)])
def test_real_birth_dates_pass(month, day):
    validate_birth_month_day(month, day)


@pytest.mark.parametrize(("month", "day"), [(2, 30), (4, 31), (13, 1), (0, 5), (6, None), (None, 6)])
def test_impossible_birth_dates_fail(month, day):
    with pytest.raises(ValidationError):
        validate_birth_month_day(month, day)
