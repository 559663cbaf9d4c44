"""An instalment plan, pure: its schedule, how payments fall on its instalments, and its state on a
date (docs/plans.md).

A plan spreads a covered open amount over instalments. `even_schedule` makes one: an optional down
payment (instalment 0, due on its own date), then `count` instalments `every_months` apart from
`first`, each moved forward to the next business day of the creditor's country
(`domain.calendar`). The amounts are equal in minor units; the LAST instalment takes the rounding,
so the sum is exactly the total. `check_schedule` says what is wrong with a schedule, typed or made.

Payments to the covered invoices from the plan's start are allocated to the instalments in date
order (`allocate`): each takes what is left, up to its amount. On a date D, an instalment is missed
when its last day of grace (due + grace days) is before D and what was paid by that last day does
not reach the instalments due up to it; the plan is then `broken` (`plan_instalment_missed`). It is
`kept` (`plan_kept`) once the payments cover every instalment; else `pending`.
"""

from __future__ import annotations

import calendar as months
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Literal

from dunmore.domain.calendar import business_deadline

PlanStatus = Literal["proposed", "active", "kept", "broken", "cancelled"]
REASONS = {"kept": "plan_kept", "broken": "plan_instalment_missed", "cancelled": "plan_cancelled"}
MAX_INSTALMENTS = 120


@dataclass(frozen=True, slots=True)
class Instalment:
    """One instalment: number 0 is the down payment, 1… the instalments proper."""

    number: int
    due_on: date
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Payment:
    """What was paid toward the plan's covered invoices on a date."""

    on: date
    amount_minor: int


@dataclass(frozen=True, slots=True)
class PlanState:
    """A plan on a date: `pending`, `kept` or `broken`; the reason code of a decided one; the
    instalment that was missed (broken only)."""

    status: Literal["pending", "kept", "broken"]
    reason: str | None
    missed: Instalment | None = None


def add_months(start: date, months_ahead: int) -> date:
    """`start` moved `months_ahead` calendar months on; the 31st becomes the month's last day."""
    index = start.month - 1 + months_ahead
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, months.monthrange(year, month)[1]))


def even_schedule(
    *,
    total_minor: int,
    count: int,
    first: date,
    country: str,
    every_months: int = 1,
    down_payment_minor: int = 0,
    down_on: date | None = None,
) -> tuple[Instalment, ...]:
    """`count` instalments of the total (less the down payment) on business days; the last takes
    the rounding. A down payment, if any, is instalment 0 due on `down_on` (default: `first` less a
    month)."""
    rest = total_minor - down_payment_minor
    share = rest // count if count > 0 else 0
    found: list[Instalment] = []
    if down_payment_minor:
        on = down_on if down_on is not None else add_months(first, -every_months)
        found.append(Instalment(0, business_deadline(on, 0, country), down_payment_minor))
    for number in range(1, count + 1):
        due = business_deadline(add_months(first, (number - 1) * every_months), 0, country)
        amount = rest - share * (count - 1) if number == count else share
        found.append(Instalment(number, due, amount))
    return tuple(found)


def check_schedule(instalments: Sequence[Instalment], *, total_minor: int | None) -> list[str]:
    """The problems of a schedule as codes (none: a valid one): `no_instalments`,
    `too_many_instalments`, `amount_not_positive`, `dates_not_increasing`, `sum_differs` (only when
    a total is asked for)."""
    problems: list[str] = []
    if not instalments:
        return ["no_instalments"]
    if len(instalments) > MAX_INSTALMENTS:
        problems.append("too_many_instalments")
    if any(one.amount_minor <= 0 for one in instalments):
        problems.append("amount_not_positive")
    dates = [one.due_on for one in instalments]
    if any(later <= earlier for earlier, later in pairwise(dates)):
        problems.append("dates_not_increasing")
    if total_minor is not None and sum(one.amount_minor for one in instalments) != total_minor:
        problems.append("sum_differs")
    return problems


def allocate(instalments: Sequence[Instalment], paid_minor: int) -> list[int]:
    """What of `paid_minor` falls on each instalment, in date order: each takes what is left, up to
    its amount (an overpayment stays unallocated)."""
    left, found = max(paid_minor, 0), []
    for one in sorted(instalments, key=lambda i: (i.due_on, i.number)):
        taken = min(left, one.amount_minor)
        found.append(taken)
        left -= taken
    return found


def _paid_by(payments: Sequence[Payment], last_day: date) -> int:
    return sum(p.amount_minor for p in payments if p.on <= last_day)


def plan_state(
    instalments: Sequence[Instalment], payments: Sequence[Payment], *, grace_days: int, as_of: date
) -> PlanState:
    """The plan's state on `as_of` from the payments made toward it (dated from its start)."""
    ordered = sorted(instalments, key=lambda i: (i.due_on, i.number))
    due_so_far = 0
    for one in ordered:
        due_so_far += one.amount_minor
        last_day = one.due_on + timedelta(days=grace_days)
        if last_day < as_of and _paid_by(payments, last_day) < due_so_far:
            return PlanState("broken", REASONS["broken"], one)
    if _paid_by(payments, as_of) >= due_so_far:
        return PlanState("kept", REASONS["kept"])
    return PlanState("pending", None)


def paused_until(instalments: Sequence[Instalment], *, grace_days: int) -> date:
    """The last day a pending plan pauses its items: the last instalment's last day of grace."""
    return max(one.due_on for one in instalments) + timedelta(days=grace_days)
