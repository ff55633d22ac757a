"""Adding whole years: retention dates, the annual pass, the 3-year expiry limit, the report range."""

import datetime

import pytest

from credits.calendar_years import add_years


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (datetime.date(2025, 3, 14), 3, datetime.date(2028, 3, 14)),
        (datetime.date(2024, 2, 29), 1, datetime.date(2025, 2, 28)),  # no 29 February in 2025
        (datetime.date(2024, 2, 29), 4, datetime.date(2028, 2, 29)),
        (datetime.date(2024, 2, 29), -2, datetime.date(2022, 2, 28)),
    ],
)
def test_add_years_keeps_the_day_or_falls_back_to_28_february(day, years, expected):
    assert add_years(day, years) == expected


def test_add_years_keeps_the_time_and_its_zone():
    moment = datetime.datetime(2028, 2, 29, 23, 30, tzinfo=datetime.UTC)
    later = add_years(moment, 6)
    assert later == datetime.datetime(2034, 2, 28, 23, 30, tzinfo=datetime.UTC)
    assert isinstance(later, datetime.datetime)
