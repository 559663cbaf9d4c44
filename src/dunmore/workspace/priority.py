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

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import IntEnum
from functools import partial
from typing import NamedTuple

from dunmore.domain.money import format_minor
from dunmore.i18n import Text, _m

OVER_YEAR_DAYS = 366  # an account's last band is over 365 days when its newest overdue item is this old
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


@dataclass(frozen=True, slots=True)
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
class MissedInstalment:
    """An instalment whose miss broke its plan (shares the broken promises' section)."""

    customer_id: int
    plan_id: int
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


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    code: str
    name: str
    grade: str | None
    accounts: tuple[Account, ...] = ()
    worked_today: bool = False


class AccountRow(NamedTuple):
    """An overdue account as the summary gives it, with its customer: the value section's input in
    bulk (tens of thousands of rows), kept as a plain tuple until a line of it is shown."""

    customer_id: int
    code: str
    name: str
    grade: str | None
    currency: str
    aged: tuple[int, int, int, int, int]
    over_year: bool


@dataclass(frozen=True)
class Facts:
    """What the worklist of one user on one day is decided from (gathered by `workspace.worklist`):
    the customers of the follow-ups, promises and tasks (with their accounts, if any), the overdue
    accounts in bulk (`account_rows`), and the customers worked today (`worked`, besides those
    marked `worked_today`)."""

    customers: Mapping[int, Customer]
    follow_ups: Sequence[FollowUp] = ()
    broken_promises: Sequence[BrokenPromise] = ()
    tasks: Sequence[OpenTask] = ()
    account_rows: Sequence[AccountRow] = ()
    worked: frozenset[int] = frozenset()
    missed_instalments: Sequence[MissedInstalment] = ()


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


# The same table in whole percents (every chance has two places): integer products, exact.
PERCENT: Mapping[str, tuple[int, ...]] = {
    grade: tuple(int(chance * 100) for chance in row) for grade, row in RECOVERY.items()
}


def expected_value(account: Account, grade: str | None) -> int:
    """The overdue amount times the chance of recovering it, bucket by bucket, in minor units
    (rounded half up): integer products over the table in percents, never a float."""
    row = PERCENT[grade_row(grade)]
    a1, a2, a3, a4, a5 = account.aged
    last = row[5] if account.over_year else row[4]
    return (a1 * row[0] + a2 * row[1] + a3 * row[2] + a4 * row[3] + a5 * last + 50) // 100


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


def missed_instalment_line(customer: Customer, found: MissedInstalment) -> Line:
    amount = money(found.amount_minor, found.currency)
    return Line(
        customer, Section.BROKEN_PROMISE, "plan_broken", "call_why",
        _m("instalment of %(amount)s due %(due_on)s missed: plan broken",
           amount=amount, due_on=_short(found.due_on)),
        _m("call to ask why"), found.currency, found.amount_minor,
        order=(Section.BROKEN_PROMISE, found.decided_on.toordinal(), found.plan_id, 1, customer.id),
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


class Ranked(NamedTuple):
    """A candidate line, cheap: its place, its customer, and how to say it (`make`), which is called
    only for the lines shown."""

    order: tuple[int, int, int, int, int]
    customer_id: int
    make: Callable[[], Line]


def _candidates(facts: Facts) -> Iterator[Ranked]:
    """Every line each customer could stand on, the value lines without their currency's rank."""
    known = facts.customers
    for follow_up in facts.follow_ups:
        if (customer := known.get(follow_up.customer_id)) is not None:
            yield Ranked((Section.FOLLOW_UP, follow_up.due_on.toordinal(), 0, 0, customer.id), customer.id,
                         partial(follow_up_line, customer, follow_up))  # fmt: skip
    for promise in facts.broken_promises:
        if (customer := known.get(promise.customer_id)) is not None:
            order = (
                Section.BROKEN_PROMISE,
                promise.decided_on.toordinal(),
                promise.promise_id,
                0,
                customer.id,
            )
            yield Ranked(order, customer.id, partial(broken_promise_line, customer, promise))
    for missed in facts.missed_instalments:
        if (customer := known.get(missed.customer_id)) is not None:
            order = (Section.BROKEN_PROMISE, missed.decided_on.toordinal(), missed.plan_id, 1, customer.id)
            yield Ranked(order, customer.id, partial(missed_instalment_line, customer, missed))
    for task in facts.tasks:
        if (customer := known.get(task.customer_id)) is not None:
            due = (task.due_on or date.max).toordinal()
            yield Ranked((Section.TASK, due, task.task_id, 0, customer.id), customer.id,
                         partial(task_line, customer, task))  # fmt: skip


def row_line(row: AccountRow) -> Line:
    """The line of an overdue account given as a row of the summary."""
    customer = Customer(row.customer_id, row.code, row.name, row.grade)
    return value_line(customer, Account(row.currency, row.aged, row.over_year))


def _valued(facts: Facts) -> list[tuple[int, str, int, Callable[[], Line]]]:
    """(customer id, currency, expected value, how to say it) of every overdue account."""
    found: list[tuple[int, str, int, Callable[[], Line]]] = [
        (
            customer.id,
            account.currency,
            expected_value(account, customer.grade),
            partial(value_line, customer, account),
        )
        for customer in facts.customers.values()
        for account in customer.accounts
        if any(account.aged)
    ]
    for row in facts.account_rows:
        a1, a2, a3, a4, a5 = row.aged
        percent = PERCENT[grade_row(row.grade)]
        last = percent[5] if row.over_year else percent[4]
        total = a1 * percent[0] + a2 * percent[1] + a3 * percent[2] + a4 * percent[3] + a5 * last
        if a1 or a2 or a3 or a4 or a5:
            found.append((row.customer_id, row.currency, (total + 50) // 100, partial(row_line, row)))
    return found


def currency_ranks(totals: Mapping[str, int]) -> dict[str, int]:
    """The place of each currency in the value section (0 first) from the expected value of all its
    accounts: the most first, then by code."""
    return {currency: n for n, currency in enumerate(sorted(totals, key=lambda c: (-totals[c], c)))}


def value_order(rank: int, expected: int, customer_id: int) -> tuple[int, int, int, int, int]:
    """The place of a value line: its currency's rank, then the most expected value first."""
    return (Section.VALUE, rank, -expected, 0, customer_id)


def _value_candidates(facts: Facts, ranks: Mapping[str, int] | None) -> Iterator[Ranked]:
    """The value lines, each with its currency's rank (most expected value first, then by code;
    `ranks` when the caller knows them from more accounts than these)."""
    valued = _valued(facts)
    if ranks is None:
        totals: dict[str, int] = {}
        for _cid, currency, expected, _make in valued:
            totals[currency] = totals.get(currency, 0) + expected
        ranks = currency_ranks(totals)
    for cid, currency, expected, make in valued:
        yield Ranked(value_order(ranks[currency], expected, cid), cid, make)


def rank(facts: Facts, *, ranks: Mapping[str, int] | None = None) -> list[Ranked]:
    """The worklist, unsaid: each customer not worked today once, on its most urgent candidate, in
    order. A customer owing in several currencies stands on its account of the highest-ranked one.
    `ranks`: the currencies' places, when `facts` hold only part of the accounts (the indexed read)."""
    worked = facts.worked | {cid for cid, customer in facts.customers.items() if customer.worked_today}
    best: dict[int, Ranked] = {}
    for candidate in (*_candidates(facts), *_value_candidates(facts, ranks)):
        cid = candidate.customer_id
        if cid not in worked and (cid not in best or candidate.order < best[cid].order):
            best[cid] = candidate
    return sorted(best.values(), key=lambda candidate: candidate.order)


def decide(facts: Facts) -> list[Line]:
    """The worklist: every line said, in order (`rank`, then each line made)."""
    return [replace(candidate.make(), order=candidate.order) for candidate in rank(facts)]
