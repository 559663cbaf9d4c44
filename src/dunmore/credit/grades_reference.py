"""The grade of one customer, written for reading: the same rules as `grades_frames`, one invoice
at a time. Property tests hold the two equal on random ledgers; nothing else should call this."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dunmore.credit.grades_frames import FAILED_PROMISES, WINDOW, scale
from dunmore.credit.scorecard import FACTORS, Scorecard


@dataclass(frozen=True)
class InvoiceFact:
    invoice_id: int
    kind: str
    issue_date: date
    due_date: date
    currency: str
    amount_minor: int
    outside_minor: int


@dataclass(frozen=True)
class PaymentFact:
    """An allocation: part of a payment or credit note applied to an invoice on a date."""

    invoice_id: int
    date: date
    amount_minor: int


@dataclass(frozen=True)
class CustomerHistory:
    invoices: Sequence[InvoiceFact]
    allocations: Sequence[PaymentFact]
    promises: Sequence[tuple[str, date | None]]  # (status, decided on)
    disputes: Sequence[tuple[str | None, date | None]]  # (outcome, resolved on)


def half_up(numerator: int, denominator: int) -> int:
    return 0 if denominator == 0 else (2 * numerator + denominator) // (2 * denominator)


def _open_and_days(invoice: InvoiceFact, history: CustomerHistory, as_of: date) -> tuple[int, int]:
    paid = [a for a in history.allocations if a.invoice_id == invoice.invoice_id and a.date <= as_of]
    open_minor = max(0, invoice.amount_minor - invoice.outside_minor - sum(a.amount_minor for a in paid))
    settled_on = as_of if open_minor > 0 else max((a.date for a in paid), default=invoice.due_date)
    return open_minor, max(0, (settled_on - invoice.due_date).days)


def factors(history: CustomerHistory, as_of: date) -> dict[str, int]:
    """The customer's factor values as of a date."""
    since = as_of - WINDOW
    issued = [i for i in history.invoices if i.issue_date <= as_of]
    weighted_days = weights = late = graded = max_days = exposure = overdue = 0
    for invoice in issued:
        open_minor, days = _open_and_days(invoice, history, as_of)
        exposure += open_minor * scale(invoice.currency)
        if invoice.due_date < as_of:
            overdue += open_minor * scale(invoice.currency)
        if invoice.kind == "invoice" and since < invoice.due_date <= as_of:
            weight = invoice.amount_minor * scale(invoice.currency)
            weighted_days, weights = weighted_days + days * weight, weights + weight
            graded, late, max_days = graded + 1, late + (days > 0), max(max_days, days)
    first = min((i.issue_date for i in issued if i.kind == "invoice"), default=None)
    return {
        "avg_days_beyond_terms": half_up(weighted_days, weights),
        "max_days_beyond_terms": max_days,
        "late_share": half_up(100 * late, graded),
        "overdue_share": half_up(100 * overdue, exposure),
        "broken_promises": sum(
            1 for s, on in history.promises if s in FAILED_PROMISES and on and since < on <= as_of
        ),
        "disputes_rejected": sum(
            1 for o, on in history.disputes if o == "rejected" and on and since < on <= as_of
        ),
        "months_history": 0 if first is None else _months(first, as_of),
    }


def overdue_days(history: CustomerHistory, as_of: date) -> int:
    """How many days the oldest item still open on the date is past its due date (0: none is)."""
    days = [
        (as_of - invoice.due_date).days
        for invoice in history.invoices
        if invoice.issue_date <= as_of
        and invoice.due_date < as_of
        and _open_and_days(invoice, history, as_of)[0] > 0
    ]
    return max(days, default=0)


def _months(first: date, as_of: date) -> int:
    return (as_of.year - first.year) * 12 + as_of.month - first.month - (first.day > as_of.day)


def grade(history: CustomerHistory, scorecard: Scorecard, as_of: date) -> tuple[dict[str, int], int, str]:
    """(factor values, total points, grade) of one customer."""
    values = factors(history, as_of)
    total = sum(scorecard.points(f, values[f]) for f in FACTORS)
    return values, total, scorecard.grade_of(total, values["months_history"])
