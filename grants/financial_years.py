"""UK public-sector financial years: 1 April to 31 March.

A financial year is named by the calendar year in which it starts, so
``2017`` is 2017/18 (1 April 2017 to 31 March 2018). Public money granted for
a year must be spent by 31 March of that year (the Home Office and Ministry of
Justice grant conditions quoted in PCD 41 and PCD 174), which is why every
profile, payment and return is filed against one of these years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

FIRST_MONTH = 4  # April


def financial_year_of(day: dt.date) -> int:
    """The financial year that ``day`` falls in (31 March 2018 -> 2017)."""
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def financial_year_start(year: int) -> dt.date:
    return dt.date(year, FIRST_MONTH, 1)


def financial_year_end(year: int) -> dt.date:
    return dt.date(year + 1, FIRST_MONTH, 1) - dt.timedelta(days=1)


def financial_year_label(year: int) -> str:
    """``2017`` -> ``"2017/18"``; ``1999`` -> ``"1999/00"``."""
    return f"{year}/{(year + 1) % 100:02d}"


def financial_year_days(year: int) -> int:
    """365, or 366 when the year contains a 29 February (2019/20 does)."""
    return (financial_year_end(year) - financial_year_start(year)).days + 1


def financial_years_between(start: dt.date, end: dt.date) -> list[int]:
    """Every financial year that a period from ``start`` to ``end`` touches."""
    if end < start:
        return []
    return list(range(financial_year_of(start), financial_year_of(end) + 1))


def quarter_of(day: dt.date) -> tuple[int, int]:
    """(financial year, quarter 1-4): Q1 is April-June, Q4 January-March."""
    year = financial_year_of(day)
    months_in = (day.month - FIRST_MONTH) % 12
    return year, months_in // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter of a financial year."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {quarter}")
    first_month = FIRST_MONTH + 3 * (quarter - 1)
    first_year = year + (first_month - 1) // 12
    first_month = (first_month - 1) % 12 + 1
    start = dt.date(first_year, first_month, 1)
    next_month = first_month + 3
    next_year = first_year + (next_month - 1) // 12
    next_month = (next_month - 1) % 12 + 1
    return start, dt.date(next_year, next_month, 1) - dt.timedelta(days=1)


def quarters_between(start: dt.date, end: dt.date) -> Iterator[tuple[int, int]]:
    """Every (financial year, quarter) that a period touches, in order."""
    if end < start:
        return
    year, quarter = quarter_of(start)
    last = quarter_of(end)
    while (year, quarter) <= last:
        yield year, quarter
        year, quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
