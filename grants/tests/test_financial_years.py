import datetime as dt

import pytest

from grants.financial_years import (
    financial_year_days,
    financial_year_end,
    financial_year_label,
    financial_year_of,
    financial_year_start,
    financial_years_between,
    quarter_bounds,
    quarter_of,
    quarters_between,
)


def test_31_march_belongs_to_the_year_that_ends_then() -> None:
    assert financial_year_of(dt.date(2018, 3, 31)) == 2017


def test_1_april_starts_a_new_year() -> None:
    assert financial_year_of(dt.date(2018, 4, 1)) == 2018


def test_new_year_s_day_is_in_the_year_that_started_the_april_before() -> None:
    assert financial_year_of(dt.date(2020, 1, 1)) == 2019


def test_year_bounds() -> None:
    assert financial_year_start(2017) == dt.date(2017, 4, 1)
    assert financial_year_end(2017) == dt.date(2018, 3, 31)


def test_leap_day_falls_in_the_year_that_started_the_april_before() -> None:
    assert financial_year_of(dt.date(2020, 2, 29)) == 2019
    assert financial_year_days(2019) == 366
    assert financial_year_days(2020) == 365
    assert financial_year_days(2023) == 366  # 29 February 2024


def test_century_years_follow_the_gregorian_rule() -> None:
    assert financial_year_days(1999) == 366  # 2000 is a leap year
    assert financial_year_days(2099) == 365  # 2100 is not


def test_labels() -> None:
    assert financial_year_label(2017) == "2017/18"
    assert financial_year_label(1999) == "1999/00"


def test_years_between() -> None:
    assert financial_years_between(dt.date(2016, 7, 27), dt.date(2018, 3, 31)) == [2016, 2017]
    assert financial_years_between(dt.date(2018, 3, 31), dt.date(2018, 4, 1)) == [2017, 2018]
    assert financial_years_between(dt.date(2018, 4, 1), dt.date(2018, 3, 31)) == []


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2019, 4, 1), (2019, 1)),
        (dt.date(2019, 6, 30), (2019, 1)),
        (dt.date(2019, 7, 1), (2019, 2)),
        (dt.date(2019, 12, 31), (2019, 3)),
        (dt.date(2020, 2, 29), (2019, 4)),
        (dt.date(2020, 3, 31), (2019, 4)),
    ],
)
def test_quarters(day: dt.date, expected: tuple[int, int]) -> None:
    assert quarter_of(day) == expected


def test_quarter_bounds_including_a_leap_february() -> None:
    assert quarter_bounds(2019, 1) == (dt.date(2019, 4, 1), dt.date(2019, 6, 30))
    assert quarter_bounds(2019, 3) == (dt.date(2019, 10, 1), dt.date(2019, 12, 31))
    assert quarter_bounds(2019, 4) == (dt.date(2020, 1, 1), dt.date(2020, 3, 31))
    with pytest.raises(ValueError, match="quarter"):
        quarter_bounds(2019, 5)


def test_quarters_between_crosses_the_year_end() -> None:
    assert list(quarters_between(dt.date(2020, 2, 1), dt.date(2020, 7, 1))) == [
        (2019, 4),
        (2020, 1),
        (2020, 2),
    ]
