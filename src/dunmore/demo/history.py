"""The invoices, payments and credit notes of one demo customer, appended to shared columns.

Each customer is invoiced every few weeks from its start day until the as-of date (a silent defaulter
until it is cut off); its archetype settles every bill; whatever would happen after the as-of date is
dropped. Days are epoch days; amounts integer minor units; a payment's invoice is the invoice's row key.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from dunmore.demo.archetypes import Bill, Event, Settlement
from dunmore.demo.draws import between
from dunmore.demo.profiles import Profile, to_minor

OVERPAYMENT_ODDS = 0.004  # of invoices paid in one go: the customer sends a little too much
UNREFERENCED_ODDS = 0.02  # of payments: the remittance names no invoice
LUMP_SUM_ODDS = 0.5  # of a lump-sum payer's payments: paid together with the one before
REBATE_DAYS = 91  # key accounts get a volume rebate credit note each quarter
REBATE_RATE = 0.01

Remittance = tuple[int, int, int | None]  # (epoch day, minor units, invoice key or None)


@dataclass
class Flows:
    """Payments or credit notes as parallel columns; `invoice` is an invoice key or None."""

    customer: list[int] = field(default_factory=list)
    day: list[int] = field(default_factory=list)
    amount: list[int] = field(default_factory=list)
    invoice: list[int | None] = field(default_factory=list)

    def add(self, customer: int, day: int, amount: int, invoice: int | None) -> None:
        self.customer.append(customer)
        self.day.append(day)
        self.amount.append(amount)
        self.invoice.append(invoice)


@dataclass
class Invoices:
    """Invoices as parallel columns; an invoice's key is its position."""

    customer: list[int] = field(default_factory=list)
    issue: list[int] = field(default_factory=list)
    due: list[int] = field(default_factory=list)
    amount: list[int] = field(default_factory=list)
    disputed: list[int] = field(default_factory=list)

    def add(self, customer: int, bill: Bill, disputed: int) -> int:
        self.customer.append(customer)
        self.issue.append(bill.issue)
        self.due.append(bill.due)
        self.amount.append(bill.amount)
        self.disputed.append(disputed)
        return len(self.amount) - 1


@dataclass
class Book:
    """Everything generated so far, as columns the generator turns into frames."""

    invoices: Invoices = field(default_factory=Invoices)
    payments: Flows = field(default_factory=Flows)
    credits: Flows = field(default_factory=Flows)


def bills(rng: random.Random, profile: Profile) -> Iterator[Bill]:
    """The customer's invoices, every `gap_days` from its start until the as-of date or its cut-off."""
    day, last = profile.start, min(profile.as_of, profile.cutoff)
    low, high = profile.size.gap_days
    while day <= last:
        amount = to_minor(profile.typical * rng.uniform(0.6, 1.4), profile.unit, rng)
        yield Bill(day, day + profile.terms, amount, profile.unit, profile.as_of, profile.stop)
        day += between(rng, low, high)


def _overpaid(rng: random.Random, bill: Bill, payments: tuple[Event, ...]) -> tuple[Event, ...]:
    """Rarely, a one-go payment comes with a little extra: the deliberate overpayment case."""
    if len(payments) != 1 or payments[0][1] != bill.amount or rng.random() >= OVERPAYMENT_ODDS:
        return payments
    extra = max(int(bill.amount * rng.uniform(0.005, 0.03)) // bill.unit * bill.unit, bill.unit)
    return ((payments[0][0], bill.amount + extra),)


def _remittances(rng: random.Random, lump_sums: bool, remitted: list[Remittance]) -> list[Remittance]:
    """Payments as the bank shows them: mostly quoting their invoice, a few without any reference, and
    for lump-sum payers often two invoices paid in one unreferenced transfer."""
    remitted.sort(key=lambda event: (event[0], event[2]))
    out: list[Remittance] = []
    for day, amount, key in remitted:
        previous = out[-1] if out else None
        joins = previous is not None and previous[2] is not None and day - previous[0] <= 31
        if lump_sums and joins and previous and rng.random() < LUMP_SUM_ODDS:
            out[-1] = (day, previous[1] + amount, None)
        else:
            out.append((day, amount, None if rng.random() < UNREFERENCED_ODDS else key))
    return out


def _rebates(rng: random.Random, profile: Profile, issued: list[Bill]) -> Iterator[Event]:
    """Key accounts: a credit note of 1 % of each full quarter's invoicing, naming no invoice."""
    if "key-account" not in profile.tags:
        return
    for end in range(profile.start + REBATE_DAYS, profile.as_of + 1, REBATE_DAYS):
        invoiced = sum(bill.amount for bill in issued if end - REBATE_DAYS < bill.issue <= end)
        rebate, day = int(invoiced * REBATE_RATE) // profile.unit * profile.unit, end + between(rng, 5, 20)
        if rebate > 0 and day <= profile.as_of:
            yield day, rebate


def _record_bill(
    rng: random.Random, profile: Profile, bill: Bill, book: Book, remitted: list[Remittance]
) -> None:
    settlement: Settlement = profile.archetype.settle(rng, bill)
    key = book.invoices.add(profile.serial, bill, settlement.disputed)
    for day, amount in _overpaid(rng, bill, settlement.payments):
        if day <= profile.as_of:
            remitted.append((day, amount, key))
    for day, amount in settlement.credits:
        if day <= profile.as_of:
            book.credits.add(profile.serial, day, amount, key)


def record_history(rng: random.Random, profile: Profile, book: Book) -> None:
    """Append the customer's invoices, payments and credit notes up to the as-of date to `book`."""
    remitted: list[Remittance] = []
    issued = list(bills(rng, profile))
    for bill in issued:
        _record_bill(rng, profile, bill, book, remitted)
    for day, amount, key in _remittances(rng, profile.lump_sums, remitted):
        book.payments.add(profile.serial, day, amount, key)
    for day, amount in _rebates(rng, profile, issued):
        book.credits.add(profile.serial, day, amount, None)
