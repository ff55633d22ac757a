"""Adding whole years to a date or a time: 29 February becomes 28 February in a common year."""

import datetime
from typing import TypeVar

# datetime.datetime is a datetime.date: the bound covers both, and each comes back as it went in.
Day = TypeVar("Day", bound=datetime.date)


def add_years(day: Day, years: int) -> Day:
    """``day`` moved ``years`` years on (or back), the same month and day where the calendar allows."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
