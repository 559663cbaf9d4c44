"""Business days per country: deadlines that never fall on a weekend or a public holiday.

A deadline of n days is n calendar days after the notice date, moved forward to the next business
day of the creditor's country. Public holidays come from the `holidays` package (its default
"public" category). China moves working days around its holidays (调休): some Saturdays and Sundays
are working days; `holidays` publishes them as `weekend_workdays` and its `is_working_day` counts
them as business days, so a deadline may fall on such a Saturday. The weekend itself is the
country's own (`holidays` knows e.g. Friday–Saturday countries). A country `holidays` does not know
gets Saturday and Sunday as its only days off.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Protocol

import holidays

__all__ = ["business_deadline", "is_business_day"]

_SATURDAY = 5


class _Calendar(Protocol):
    def is_working_day(self, key: date) -> bool: ...


@lru_cache(maxsize=512)
def _calendar(country: str, year: int) -> _Calendar | None:
    """The holidays of `year` and `year + 1`, read-only once built; None for an unknown country.

    The following year is loaded too because a make-up working day can precede the holiday it
    belongs to across New Year (2001-12-29 worked for the 2002 New Year break).
    """
    try:
        calendar: _Calendar = holidays.country_holidays(country.upper(), years=(year, year + 1), expand=False)
    except NotImplementedError:
        return None
    return calendar


def is_business_day(day: date, country: str) -> bool:
    """True on a working day of `country` (ISO 3166 alpha-2), including CN make-up weekend days."""
    calendar = _calendar(country, day.year)
    if calendar is None:
        return day.weekday() < _SATURDAY
    return calendar.is_working_day(day)


def business_deadline(start: date, days: int, country: str) -> date:
    """`start` + `days` calendar days, moved forward to the next business day of `country`."""
    deadline = start + timedelta(days=days)
    while not is_business_day(deadline, country):
        deadline += timedelta(days=1)
    return deadline
