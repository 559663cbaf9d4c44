"""Business days and deadlines: weekends, public holidays, and China's make-up working days (调休)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunmore.domain.calendar import business_deadline, is_business_day


@pytest.mark.parametrize(
    ("start", "days", "country", "expected"),
    [
        # a deadline on a Saturday moves to Monday
        (date(2026, 11, 27), 1, "CN", date(2026, 11, 30)),
        # 2026 National Day break: 1–7 October off (5–7 observed or moved), back on Thursday 8th
        (date(2026, 9, 30), 1, "CN", date(2026, 10, 8)),
        # Saturday 10 October 2026 is a make-up working day in China: the deadline stays on it
        (date(2026, 9, 30), 10, "CN", date(2026, 10, 10)),
        # Spring Festival 2026: 16–20 and 23 February off, Tuesday 24th is the next working day
        (date(2026, 2, 13), 3, "CN", date(2026, 2, 24)),
        # Taiwan's Lunar New Year 2026 ends on Friday 20 February: Monday 23rd
        (date(2026, 2, 13), 1, "TW", date(2026, 2, 23)),
        # Christmas and Boxing Day (observed on Monday 28th) in the UK
        (date(2026, 12, 24), 1, "GB", date(2026, 12, 29)),
        # zero days on a working day is that day
        (date(2026, 11, 23), 0, "CN", date(2026, 11, 23)),
        # a country the holidays package does not know: weekends only, so 1 October is a working day
        (date(2026, 9, 30), 1, "XX", date(2026, 10, 1)),
        (date(2026, 11, 27), 1, "XX", date(2026, 11, 30)),
        # country codes in lower case work too
        (date(2026, 9, 30), 1, "cn", date(2026, 10, 8)),
    ],
)
def test_deadline_rolls_forward_to_the_next_business_day(
    start: date, days: int, country: str, expected: date
) -> None:
    assert business_deadline(start, days, country) == expected


def test_china_make_up_weekend_days_are_business_days() -> None:
    assert is_business_day(date(2026, 10, 10), "CN")  # Saturday, worked for the National Day break
    assert is_business_day(date(2026, 9, 20), "CN")  # Sunday, likewise
    assert not is_business_day(date(2026, 10, 17), "CN")  # an ordinary Saturday
    assert not is_business_day(date(2026, 10, 10), "XX")  # the same Saturday elsewhere
    # worked in December 2001 for the 2002 New Year break, published with the next year's holidays
    assert is_business_day(date(2001, 12, 29), "CN")


def test_public_holidays_on_weekdays_are_not_business_days() -> None:
    assert not is_business_day(date(2026, 10, 1), "CN")
    assert not is_business_day(date(2026, 2, 17), "TW")
    assert not is_business_day(date(2026, 12, 25), "GB")
    assert is_business_day(date(2026, 10, 1), "GB")


COUNTRIES = st.sampled_from(["CN", "TW", "GB", "US", "DE", "SG", "XX"])
STARTS = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 11, 30))


@given(start=STARTS, days=st.integers(0, 40), country=COUNTRIES)
def test_the_deadline_is_the_first_business_day_on_or_after_start_plus_days(
    start: date, days: int, country: str
) -> None:
    deadline = business_deadline(start, days, country)
    earliest = start + timedelta(days=days)
    assert deadline >= earliest
    assert is_business_day(deadline, country)
    skipped = (earliest + timedelta(days=n) for n in range((deadline - earliest).days))
    assert not any(is_business_day(day, country) for day in skipped)
