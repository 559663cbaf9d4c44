"""Payment-behaviour archetypes: how a demo customer settles each of its invoices.

Each archetype is a named constant with its share of customers, the credit grades it tends to get and a
pure `settle` function from one bill to the payments and credit notes that follow it. Days are epoch
days (days since 1970-01-01) so that the generator does date arithmetic on plain ints; amounts are
integer minor units. A settlement may contain events after the as-of date: the generator drops them,
which is how invoices come to be open, overdue or not yet due.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from dunmore.demo.draws import between

GRADES = ("A", "B", "C", "D")
NEVER = 10**7  # an epoch day far beyond any as-of date: "this customer never stops paying"

Event = tuple[int, int]  # (epoch day, minor units)


class Bill(NamedTuple):
    """One invoice as an archetype sees it."""

    issue: int
    due: int
    amount: int
    unit: int  # minor units in one major unit: 100 for CNY, 1 for JPY
    as_of: int
    stop: int  # the last day this customer pays anything (`NEVER` unless a defaulter)


class Settlement(NamedTuple):
    """What happens to a bill: the amount still disputed at the as-of date, payments, credit notes."""

    disputed: int
    payments: tuple[Event, ...]
    credits: tuple[Event, ...]


Settle = Callable[[random.Random, Bill], Settlement]
UNPAID = Settlement(0, (), ())


@dataclass(frozen=True)
class Archetype:
    """A way of paying, the share of customers who pay that way and the grades they usually carry."""

    name: str
    share: float
    grade_weights: tuple[int, int, int, int]  # relative weights of grades A, B, C, D
    settle: Settle


def _round_down(amount: float, step: int) -> int:
    return int(amount // step) * step


def _paid_in_full(bill: Bill, day: int) -> Settlement:
    return Settlement(0, ((max(day, bill.issue), bill.amount),), ())


def settle_on_time(rng: random.Random, bill: Bill) -> Settlement:
    """Pays the whole amount on the due date or a few days before it."""
    early = between(rng, 0, 5) if rng.random() < 0.9 else between(rng, 6, 20)
    return _paid_in_full(bill, bill.due - early)


def settle_late(rng: random.Random, bill: Bill) -> Settlement:
    """Pays the whole amount, habitually 10 to 20 days after the due date."""
    return _paid_in_full(bill, bill.due + between(rng, 10, 20))


def settle_after_reminder(rng: random.Random, bill: Bill) -> Settlement:
    """Waits for the reminder sent 3 to 10 days after due, then pays in full a few days later."""
    reminded = bill.due + between(rng, 3, 10)
    return _paid_in_full(bill, reminded + between(rng, 1, 5))


def _instalments(rng: random.Random, bill: Bill, total: int) -> tuple[Event, ...]:
    """`total` in one to three parts, the first around the due date, the next weeks apart."""
    parts = between(rng, 1, 3)
    piece = _round_down(total / parts, bill.unit)
    day = bill.due + between(rng, 0, 20)
    events = []
    for amount in [piece] * (parts - 1) + [total - piece * (parts - 1)]:
        if amount > 0:
            events.append((day, amount))
        day += between(rng, 7, 30)
    return tuple(events)


def settle_partial(rng: random.Random, bill: Bill) -> Settlement:
    """Cash-strapped: pays in parts, mostly round sums that leave a remainder open for months; half
    of those remainders are cleared three to five months after the due date."""
    if rng.random() < 0.35:
        return Settlement(0, _instalments(rng, bill, bill.amount), ())
    step = bill.unit * 100 if bill.amount >= bill.unit * 1000 else bill.unit
    total = _round_down(bill.amount * rng.uniform(0.3, 0.85), step)
    parts = _instalments(rng, bill, total)
    if rng.random() < 0.5:
        parts += ((bill.due + between(rng, 90, 150), bill.amount - total),)
    return Settlement(0, parts, ())


def _dispute_open(rng: random.Random, bill: Bill, disputed: int) -> Settlement:
    """Pays the undisputed part around the due date and holds back the rest."""
    undisputed = bill.amount - disputed
    payments = ((bill.due + between(rng, 0, 10), undisputed),) if undisputed else ()
    return Settlement(disputed, payments, ())


def _dispute_resolved(rng: random.Random, bill: Bill, disputed: int, resolved: int) -> Settlement:
    """A credit note for the agreed part of the dispute; the rest of the disputed sum is paid."""
    credit = _round_down(disputed * rng.uniform(0.3, 1.0), bill.unit) or disputed
    owed = (
        (bill.due + between(rng, 0, 10), bill.amount - disputed),
        (resolved + between(rng, 0, 10), disputed - credit),
    )
    return Settlement(0, tuple(event for event in owed if event[1] > 0), ((resolved, credit),))


def settle_disputer(rng: random.Random, bill: Bill) -> Settlement:
    """Disputes one invoice in four; most disputes end in a credit note within four months, the rest
    (and those not resolved by the as-of date) stay open."""
    if rng.random() >= 0.25:
        return _paid_in_full(bill, bill.due + between(rng, -3, 8))
    disputed = _round_down(bill.amount * rng.uniform(0.1, 1.0), bill.unit) or bill.amount
    resolved = bill.due + between(rng, 15, 120)
    if rng.random() < 0.2 or resolved > bill.as_of:
        return _dispute_open(rng, bill, disputed)
    return _dispute_resolved(rng, bill, disputed, resolved)


def settle_silent_defaulter(rng: random.Random, bill: Bill) -> Settlement:
    """Pays, somewhat late, until its stop day; sometimes a last part-payment; then nothing at all."""
    day = bill.due + between(rng, 0, 25)
    if day <= bill.stop:
        return _paid_in_full(bill, day)
    last = _round_down(bill.amount * rng.uniform(0.2, 0.6), bill.unit)
    if bill.issue < bill.stop and last > 0 and rng.random() < 0.3:
        return Settlement(0, ((bill.stop, last),), ())
    return UNPAID


ON_TIME = Archetype("on_time", 0.35, (70, 25, 5, 0), settle_on_time)
HABITUALLY_LATE = Archetype("habitually_late", 0.20, (10, 50, 35, 5), settle_late)
AFTER_REMINDER = Archetype("after_reminder", 0.20, (20, 55, 25, 0), settle_after_reminder)
PARTIAL_PAYER = Archetype("partial_payer", 0.10, (0, 20, 50, 30), settle_partial)
DISPUTER = Archetype("disputer", 0.10, (15, 50, 30, 5), settle_disputer)
SILENT_DEFAULTER = Archetype("silent_defaulter", 0.05, (0, 5, 35, 60), settle_silent_defaulter)

ARCHETYPES: tuple[Archetype, ...] = (
    ON_TIME,
    HABITUALLY_LATE,
    AFTER_REMINDER,
    PARTIAL_PAYER,
    DISPUTER,
    SILENT_DEFAULTER,
)
