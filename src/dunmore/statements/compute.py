"""A statement of account (对账单) computed from one customer's ledger in one currency: pure.

Values in, values out: the group's documents and allocations (as `dunmore.domain.allocation` replays
them) and a period; out comes the opening balance, every movement of the period in date order, the
closing balance, and the items open at the end of the period with their ages. Two rules hold for any
ledger (tests/statements/test_compute_properties.py):

- opening + the sum of the period's movements == closing;
- closing == the sum of the items open on the period's last day, where a payment or credit note not
  yet applied to an invoice counts as a negative open item (credit the customer holds).

An invoice imported with an ERP's open amount below its amount was partly settled outside Dunmore on
no known date: the statement shows that part as a line "settled elsewhere" on the issue date, so the
balance is the one the ERP reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

# The kinds of a line, in the order lines of one day are listed (charges before settlements).
CHARGES: Final = ("invoice", "fee", "interest")
KINDS: Final = (*CHARGES, "settled_elsewhere", "credit_note", "payment")
# Days past due that start each age band of the open items (0: not yet due).
AGE_BANDS: Final = ((0, "current"), (1, "1-30"), (31, "31-60"), (61, "61-90"), (91, "91-180"), (181, "180+"))


@dataclass(frozen=True, slots=True)
class Document:
    """A charge (invoice, fee, interest) or a settlement (credit note, payment) of the group.

    `amount_minor` is positive; for a charge `start_minor` is what was open before any allocation
    (the ERP's open amount, or the amount), `due_date` its due date."""

    kind: str
    id: int
    reference: str
    on: date
    amount_minor: int
    due_date: date | None = None
    start_minor: int | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """A part of a settlement applied to a charge on a date (an allocation row)."""

    charge_id: int
    settlement: tuple[str, int]  # (kind, id) of the credit note or payment
    on: date
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Line:
    """One movement of the period: `amount_minor` is signed (charges +, settlements −)."""

    on: date
    kind: str
    reference: str
    amount_minor: int
    item_id: int


@dataclass(frozen=True, slots=True)
class OpenLine:
    """An item open at the end of the period; settlements not yet applied are negative."""

    kind: str
    reference: str
    item_id: int
    on: date
    due_date: date | None
    open_minor: int
    days_past_due: int
    band: str


@dataclass(frozen=True, slots=True)
class Statement:
    currency: str
    period_from: date
    period_to: date
    opening_minor: int
    lines: tuple[Line, ...]
    closing_minor: int
    open_items: tuple[OpenLine, ...]

    @property
    def movements_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)


def band_of(days_past_due: int) -> str:
    """The age band of an item so many days past due."""
    found = AGE_BANDS[0][1]
    for first, name in AGE_BANDS:
        if days_past_due >= first:
            found = name
    return found


def _signed_lines(doc: Document) -> list[Line]:
    if doc.kind in CHARGES:
        lines = [Line(doc.on, doc.kind, doc.reference, doc.amount_minor, doc.id)]
        start = doc.amount_minor if doc.start_minor is None else doc.start_minor
        if start < doc.amount_minor:
            lines.append(Line(doc.on, "settled_elsewhere", doc.reference, start - doc.amount_minor, doc.id))
        return lines
    return [Line(doc.on, doc.kind, doc.reference, -doc.amount_minor, doc.id)]


def _open_items(documents: Sequence[Document], applied: Sequence[Applied], end: date) -> list[OpenLine]:
    """What is open on `end`: each charge's start less what was applied to it by then, each
    settlement's amount less what of it was applied by then (as a negative item)."""
    to_charge: dict[int, int] = {}
    from_settlement: dict[tuple[str, int], int] = {}
    for part in applied:
        if part.on <= end:
            to_charge[part.charge_id] = to_charge.get(part.charge_id, 0) + part.amount_minor
            from_settlement[part.settlement] = from_settlement.get(part.settlement, 0) + part.amount_minor
    items: list[OpenLine] = []
    for doc in documents:
        if doc.on > end:
            continue
        if doc.kind in CHARGES:
            start = doc.amount_minor if doc.start_minor is None else doc.start_minor
            left = start - to_charge.get(doc.id, 0)
            due = doc.due_date or doc.on
            late = max((end - due).days, 0)
        else:
            left = -(doc.amount_minor - from_settlement.get((doc.kind, doc.id), 0))
            due, late = None, 0
        if left != 0:
            items.append(OpenLine(doc.kind, doc.reference, doc.id, doc.on, due, left, late, band_of(late)))
    items.sort(key=lambda item: (item.due_date or item.on, item.on, KINDS.index(item.kind), item.item_id))
    return items


def compute(
    currency: str,
    documents: Sequence[Document],
    applied: Sequence[Applied],
    *,
    period_from: date,
    period_to: date,
) -> Statement:
    """The statement of one group for the days `period_from` … `period_to` (both included)."""
    if period_to < period_from:
        raise ValueError("a period ends on or after the day it starts")
    every = [line for doc in documents if doc.on <= period_to for line in _signed_lines(doc)]
    opening = sum(line.amount_minor for line in every if line.on < period_from)
    lines = sorted(
        (line for line in every if line.on >= period_from),
        key=lambda line: (line.on, KINDS.index(line.kind), line.item_id),
    )
    closing = opening + sum(line.amount_minor for line in lines)
    return Statement(
        currency,
        period_from,
        period_to,
        opening,
        tuple(lines),
        closing,
        tuple(_open_items(documents, applied, period_to)),
    )
