"""The worklist's order and reasons: what a collector should do today, most urgent first. Pure.

Sections, in order (`Section`): follow-ups due today or before, broken promises, open tasks of the
run, then every other overdue customer by expected value — the overdue amount times the chance of
recovering it at its age (`RECOVERY`, a transparent table by days-past-due band and grade; the
reasoning is in docs/worklist.md). A customer appears once, on its most urgent line; a customer
worked today (`Customer.worked_today`) leaves the list for the day.

Amounts in different currencies are never added nor compared: the expected value is an integer
amount of minor units of one currency; the value section lists the currencies one after the other
(the currency holding the most expected value in minor units first, then by code) and each by
expected value, largest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum

from dunmore.domain.money import format_minor
from dunmore.i18n import Text, _m

BANDS = ("1-30", "31-60", "61-90", "91-180", "181-365", ">365")
GRADES = ("A", "B", "C", "D", "none")
# The chance of recovering an overdue amount, by grade and days-past-due band (BANDS, in order).
# Source and reasoning: docs/worklist.md ("The recovery table"); the scoring issue replaces it.
RECOVERY: Mapping[str, tuple[Decimal, ...]] = {
    grade: tuple(Decimal(chance) for chance in chances)
    for grade, chances in {
        "A": ("0.97", "0.93", "0.88", "0.78", "0.60", "0.35"),
        "B": ("0.94", "0.88", "0.80", "0.68", "0.48", "0.25"),
        "C": ("0.90", "0.80", "0.70", "0.55", "0.35", "0.15"),
        "D": ("0.80", "0.65", "0.50", "0.35", "0.18", "0.05"),
        "none": ("0.90", "0.82", "0.73", "0.57", "0.35", "0.18"),
    }.items()
}


class Section(IntEnum):
    """Where a line stands; a lower section comes first."""

    FOLLOW_UP = 1
    BROKEN_PROMISE = 2
    TASK = 3
    VALUE = 4


@dataclass(frozen=True)
class Account:
    """A customer's overdue amounts in one currency by aging bucket (minor units): 1–30, 31–60,
    61–90, 91–180 and over 180 days past due, as `customer_balances` keeps them; `over_year` says
    that every item of the last bucket is more than 365 days past due; `days` the age of the oldest
    overdue item, when known."""

    currency: str
    aged: tuple[int, int, int, int, int]
    over_year: bool = False
    days: int | None = None

    @property
    def overdue_minor(self) -> int:
        return sum(self.aged)


@dataclass(frozen=True)
class FollowUp:
    """The follow-up date of the customer's latest activity, set on `set_on` by `actor`."""

    customer_id: int
    due_on: date
    set_on: date
    actor: str


@dataclass(frozen=True)
class BrokenPromise:
    customer_id: int
    promise_id: int
    currency: str
    amount_minor: int
    due_on: date
    decided_on: date


@dataclass(frozen=True)
class OpenTask:
    customer_id: int
    task_id: int
    kind: str  # call | visit | task (a legal-review brief)
    title: str
    created_on: date
    due_on: date | None


@dataclass(frozen=True)
class Customer:
    id: int
    code: str
    name: str
    grade: str | None
    accounts: tuple[Account, ...] = ()
    worked_today: bool = False


@dataclass(frozen=True)
class Facts:
    """What the worklist of one user on one day is decided from (gathered by `workspace.worklist`)."""

    customers: Mapping[int, Customer]
    follow_ups: Sequence[FollowUp] = ()
    broken_promises: Sequence[BrokenPromise] = ()
    tasks: Sequence[OpenTask] = ()


@dataclass(frozen=True)
class Line:
    """One line of the worklist: who, why (`reason`, a code, and `why`, the sentence) and what to do
    (`action`, a code, and `what`). `order` is its place: lines sort by it."""

    customer: Customer
    section: Section
    reason: str
    action: str
    why: Text
    what: Text
    currency: str = ""
    amount_minor: int = 0
    expected_minor: int = 0
    task_id: int | None = None
    account: Account | None = None
    order: tuple[int, int, int, int, int] = field(default=(0, 0, 0, 0, 0))


def grade_row(grade: str | None) -> str:
    """The row of `RECOVERY` for a customer's grade: its first letter when it is A–D, else none."""
    first = (grade or "").strip()[:1].upper()
    return first if first in RECOVERY else "none"


def chances(grade: str | None, *, over_year: bool) -> tuple[Decimal, ...]:
    """The chance for each stored bucket: the last bucket (over 180 days) takes the 181–365 band,
    or the over-365 band when all of it is older than a year."""
    row = RECOVERY[grade_row(grade)]
    return (*row[:4], row[5] if over_year else row[4])


def expected_value(account: Account, grade: str | None) -> int:
    """The overdue amount times the chance of recovering it, bucket by bucket, in minor units
    (rounded half up): a Decimal product, never a float."""
    odds = chances(grade, over_year=account.over_year)
    total = sum(
        (Decimal(amount) * chance for amount, chance in zip(account.aged, odds, strict=True)), Decimal(0)
    )
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(minor: int, currency: str) -> str:
    """An amount as people read it: `CNY 5,000.00`."""
    plain = Decimal(format_minor(minor, currency))
    return f"{currency} {plain:,}"


def _short(day: date) -> str:
    return day.strftime("%m-%d")


def follow_up_line(customer: Customer, found: FollowUp) -> Line:
    return Line(
        customer, Section.FOLLOW_UP, "follow_up_due", "call_back",
        _m("follow-up set on %(set_on)s for %(due_on)s",
           set_on=_short(found.set_on), due_on=_short(found.due_on)),
        _m("call back as agreed"),
        order=(Section.FOLLOW_UP, found.due_on.toordinal(), 0, 0, customer.id),
    )  # fmt: skip


def broken_promise_line(customer: Customer, found: BrokenPromise) -> Line:
    amount = money(found.amount_minor, found.currency)
    return Line(
        customer, Section.BROKEN_PROMISE, "promise_broken", "call_why",
        _m("promise of %(amount)s due %(due_on)s broken", amount=amount, due_on=_short(found.due_on)),
        _m("call to ask why"), found.currency, found.amount_minor,
        order=(Section.BROKEN_PROMISE, found.decided_on.toordinal(), found.promise_id, 0, customer.id),
    )  # fmt: skip


_TASK_ACTIONS = {"call": "make_call", "visit": "visit", "task": "review_brief"}


def _task_texts(found: OpenTask) -> tuple[Text, Text]:
    made = _short(found.created_on)
    if found.kind == "call":
        return _m("call task from the run of %(day)s: %(title)s", day=made, title=found.title), _m(
            "make the call"
        )
    if found.kind == "visit":
        return _m("visit task from the run of %(day)s: %(title)s", day=made, title=found.title), _m(
            "visit the customer"
        )
    return _m("legal review brief from the run of %(day)s: %(title)s", day=made, title=found.title), _m(
        "read the brief and decide the next step"
    )


def task_line(customer: Customer, found: OpenTask) -> Line:
    why, what = _task_texts(found)
    due = found.due_on.toordinal() if found.due_on is not None else date.max.toordinal()
    return Line(
        customer, Section.TASK, f"task_{found.kind}", _TASK_ACTIONS.get(found.kind, "review_brief"),
        why, what,
        task_id=found.task_id, order=(Section.TASK, due, found.task_id, 0, customer.id),
    )  # fmt: skip


def value_line(customer: Customer, account: Account) -> Line:
    """The line of an overdue account (its `order` is completed by `_ranked`, which knows the
    currencies' ranks)."""
    amount = money(account.overdue_minor, account.currency)
    grade = customer.grade or "-"
    if account.days is None:
        why = _m("%(amount)s overdue, grade %(grade)s", amount=amount, grade=grade)
    else:
        why = _m(
            "%(amount)s overdue %(days)s days, grade %(grade)s", amount=amount, days=account.days, grade=grade
        )
    expected = expected_value(account, customer.grade)
    return Line(
        customer, Section.VALUE, "overdue_value", "call", why, _m("call to ask for payment"),
        account.currency, account.overdue_minor, expected, account=account,
        order=(Section.VALUE, 0, -expected, 0, customer.id),
    )  # fmt: skip


def _candidates(facts: Facts) -> Iterable[Line]:
    """Every line each customer could stand on (of the customers not worked today)."""
    known = facts.customers
    for follow_up in facts.follow_ups:
        if follow_up.customer_id in known:
            yield follow_up_line(known[follow_up.customer_id], follow_up)
    for promise in facts.broken_promises:
        if promise.customer_id in known:
            yield broken_promise_line(known[promise.customer_id], promise)
    for task in facts.tasks:
        if task.customer_id in known:
            yield task_line(known[task.customer_id], task)
    for customer in known.values():
        for account in customer.accounts:
            if account.overdue_minor > 0:
                yield value_line(customer, account)


def _ranked(lines: Iterable[Line]) -> list[Line]:
    """The value lines get their currency's rank (most expected value first, then by code)."""
    lines = list(lines)
    totals: dict[str, int] = {}
    for line in lines:
        if line.section is Section.VALUE:
            totals[line.currency] = totals.get(line.currency, 0) + line.expected_minor
    rank = {currency: n for n, currency in enumerate(sorted(totals, key=lambda c: (-totals[c], c)))}
    return [
        replace(line, order=(Section.VALUE, rank[line.currency], *line.order[2:]))
        if line.section is Section.VALUE
        else line
        for line in lines
    ]


def decide(facts: Facts) -> list[Line]:
    """The worklist: each customer not worked today once, on its most urgent line, in order.

    Within the value section, a customer owing in several currencies stands on its account of the
    highest-ranked currency."""
    worked = {cid for cid, customer in facts.customers.items() if customer.worked_today}
    best: dict[int, Line] = {}
    for line in _ranked(_candidates(facts)):
        cid = line.customer.id
        if cid not in worked and (cid not in best or line.order < best[cid].order):
            best[cid] = line
    return sorted(best.values(), key=lambda line: line.order)
