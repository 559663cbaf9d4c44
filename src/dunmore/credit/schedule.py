"""The schedule a contract's terms generate: one line per part, its due date and its amount.

Pure: terms, amount, the dates of the events recorded so far and the creditor's country in, lines
out. A due date is the event's date plus the part's offset (after the end of the month for `eom`),
moved forward to the next business day of the creditor's calendar (`domain.calendar`, the `holidays`
package). Amounts are integer minor units: each line but the last is its share of the amount rounded
down, the last takes what is left, so the lines sum to exactly the contract's amount; how much the
last line holds beyond its own share is stated as `remainder_minor`.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from math import floor

from dunmore.credit.terms import Event, Part, Terms
from dunmore.domain.calendar import business_deadline

__all__ = ["Line", "add_months", "schedule"]


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a schedule. `due_on` is None while the event it waits for is not recorded."""

    seq: int
    label: str
    event: Event
    event_on: date | None
    due_on: date | None
    amount_minor: int
    remainder_minor: int

    @property
    def waiting(self) -> bool:
        return self.due_on is None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter (31 Jan + 1m = 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def nominal_due(part: Part, event_on: date) -> date:
    """The date the terms name, before moving it to a business day."""
    start = event_on
    if part.end_of_month:
        start = date(event_on.year, event_on.month, calendar.monthrange(event_on.year, event_on.month)[1])
    return add_months(start, part.months) + timedelta(days=part.days)


def shares(terms: Terms, amount_minor: int) -> list[tuple[int, int]]:
    """(amount, remainder) per part: shares rounded down, the last line taking what is left."""
    floors = [floor(part.share * amount_minor) for part in terms.parts]
    last = amount_minor - sum(floors[:-1])
    return [(minor, 0) for minor in floors[:-1]] + [(last, last - floors[-1])]


def schedule(terms: Terms, amount_minor: int, events: Mapping[Event, date], country: str) -> tuple[Line, ...]:
    """The lines of `terms` over `amount_minor`, with due dates where their event is in `events`."""
    lines = []
    for seq, (part, (minor, remainder)) in enumerate(
        zip(terms.parts, shares(terms, amount_minor), strict=True), 1
    ):
        event_on = events.get(part.event)
        due = None if event_on is None else business_deadline(nominal_due(part, event_on), 0, country)
        lines.append(Line(seq, part.label, part.event, event_on, due, minor, remainder))
    return tuple(lines)
