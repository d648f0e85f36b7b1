"""Working-day deadlines with the bank holidays of England and Wales.

The Victims' Code (right 4) gives a victim the right to be referred to
support services within 2 working days of reporting; services promise first
contact within their own number of working days by risk level.
"""

from __future__ import annotations

import datetime
from functools import cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # England and Wales share their bank holidays; the package files them
    # under England ("ENG"), Wales ("WLS") differing in none.
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def bank_holidays_load(today: datetime.date | None = None) -> None:
    """Load this year's and next year's bank holidays now (a worker calls it
    as it starts): the first load imports the package's country data, some
    0.3 s of CPU that would otherwise land in the middle of the first
    deliveries, under the GIL the delivery threads share."""
    today = today or datetime.datetime.now(LONDON).date()
    for year in (today.year, today.year + 1):
        _bank_holidays(year)


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_after(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The end (in London) of the ``days``-th working day after ``moment``'s day."""
    day = moment.astimezone(LONDON).date()
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=LONDON)
