"""Allocation of payments and credit notes to invoices, as a pure replay of one group's history.

A group is one customer in one currency. Events are replayed in date order, so the state on any
date depends only on what happened up to that date:

- an invoice opens on its issue date with its amount (or the ERP's `open_amount` snapshot, the rest
  having been settled outside Dunmore) and first takes any unapplied credit waiting in the group;
- a payment or credit note that names an invoice goes to that invoice first (on the later of its
  own date and the invoice's issue date); whatever is left, and everything of one that names none,
  goes to the open invoices oldest due date first (then issue date, then id);
- what still remains is unapplied credit (an overpayment), used by the next invoice of the group.

On one day invoices come first, then credit notes, then payments, each by id, so a payment dated on
an invoice's issue date can settle it. Nothing is ever allocated beyond an invoice's open amount or a
source's amount, and nothing is negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum


class SourceKind(IntEnum):
    """What settles an invoice. The value orders same-day events: credit notes before payments."""

    CREDIT_NOTE = 1
    PAYMENT = 2


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice as allocation sees it. `start_minor` is what is open before any allocation."""

    id: int
    issue_date: date
    due_date: date
    start_minor: int


@dataclass(frozen=True, slots=True)
class Source:
    """A payment or credit note; `invoice_id` is the invoice it names, if any."""

    kind: SourceKind
    id: int
    date: date
    amount_minor: int
    invoice_id: int | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: int
    kind: SourceKind
    source_id: int
    date: date
    amount_minor: int


@dataclass(frozen=True, slots=True)
class GroupAllocation:
    """The outcome for one group: allocations, what stays open, what stays unapplied."""

    allocations: tuple[Allocation, ...]
    open_minor: dict[int, int]
    unapplied_minor: dict[tuple[SourceKind, int], int]


def _effective_date(source: Source, issued: dict[int, date]) -> date:
    if source.invoice_id is None or source.invoice_id not in issued:
        return source.date
    return max(source.date, issued[source.invoice_id])


class _Replay:
    """Mutable state of one replay; kept private so the public function stays a pure one."""

    def __init__(self) -> None:
        self.open: dict[int, int] = {}
        self.items: dict[int, OpenItem] = {}
        self.waiting: list[tuple[Source, int]] = []  # unapplied credit, oldest first
        self.allocations: list[Allocation] = []
        self.unapplied: dict[tuple[SourceKind, int], int] = {}

    def apply(self, source: Source, invoice_id: int, on: date, remaining: int) -> int:
        share = min(remaining, self.open[invoice_id])
        if share > 0:
            self.open[invoice_id] -= share
            self.allocations.append(Allocation(invoice_id, source.kind, source.id, on, share))
        return remaining - share

    def oldest_first(self) -> list[int]:
        candidates = [self.items[i] for i, left in self.open.items() if left > 0]
        candidates.sort(key=lambda item: (item.due_date, item.issue_date, item.id))
        return [item.id for item in candidates]

    def spread(self, source: Source, on: date, remaining: int) -> int:
        for invoice_id in self.oldest_first():
            if remaining == 0:
                break
            remaining = self.apply(source, invoice_id, on, remaining)
        return remaining

    def open_invoice(self, item: OpenItem) -> None:
        self.items[item.id] = item
        self.open[item.id] = item.start_minor
        still_waiting: list[tuple[Source, int]] = []
        for source, remaining in self.waiting:
            left = self.apply(source, item.id, item.issue_date, remaining)
            if left > 0:
                still_waiting.append((source, left))
        self.waiting = still_waiting

    def settle(self, source: Source, on: date) -> None:
        remaining = source.amount_minor
        if source.invoice_id is not None and source.invoice_id in self.open:
            remaining = self.apply(source, source.invoice_id, on, remaining)
        remaining = self.spread(source, on, remaining)
        if remaining > 0:
            self.waiting.append((source, remaining))

    def result(self) -> GroupAllocation:
        unapplied = {(source.kind, source.id): left for source, left in self.waiting}
        return GroupAllocation(tuple(self.allocations), dict(self.open), unapplied)


def allocate_group(items: Sequence[OpenItem], sources: Iterable[Source]) -> GroupAllocation:
    """Replay one group's invoices, payments and credit notes and return the allocations."""
    issued = {item.id: item.issue_date for item in items}
    events: list[tuple[date, int, int, OpenItem | Source]] = [
        (item.issue_date, 0, item.id, item) for item in items
    ]
    events += [(_effective_date(s, issued), int(s.kind), s.id, s) for s in sources]
    events.sort(key=lambda event: event[:3])
    replay = _Replay()
    for on, _, _, event in events:
        if isinstance(event, OpenItem):
            replay.open_invoice(event)
        else:
            replay.settle(event, on)
    return replay.result()
