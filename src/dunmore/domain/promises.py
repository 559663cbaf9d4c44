"""A promise to pay, decided for a date: the pure rule the run applies (docs/promises.md).

A promise of `amount` due on `due_on` with `grace_days` of grace has a deadline `due_on + grace`.
`paid` is what was paid toward it from the day it was made to min(D, deadline): allocations to the
invoices it covers (a whole-balance promise: to the customer's invoices in its currency). Payments
after the deadline do not keep a promise that was already broken.

- `pending` while D ≤ deadline and paid < amount;
- `kept` (`promise_kept`) as soon as paid ≥ amount, on or before the deadline;
- after the deadline: `partial` (`promise_partially_kept`) if something was paid, else `broken`
  (`promise_broken`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

PromiseStatus = Literal["pending", "kept", "partial", "broken", "cancelled"]
DecidedStatus = Literal["kept", "partial", "broken"]
REASONS: dict[DecidedStatus, str] = {
    "kept": "promise_kept",
    "partial": "promise_partially_kept",
    "broken": "promise_broken",
}
FAILED: frozenset[str] = frozenset({"partial", "broken"})  # a promise that failed counts as broken


@dataclass(frozen=True, slots=True)
class PromiseState:
    """The state of a promise on a date, and the reason code of a decided one (None while pending)."""

    status: Literal["pending", "kept", "partial", "broken"]
    reason: str | None


def deadline(due_on: date, grace_days: int) -> date:
    """The last day a payment keeps the promise, and the last day its items are paused."""
    return due_on + timedelta(days=grace_days)


def promise_state(
    *, amount_minor: int, due_on: date, grace_days: int, paid_minor: int, as_of: date
) -> PromiseState:
    """The promise's state on `as_of`, given what was paid toward it by min(`as_of`, deadline)."""
    if paid_minor >= amount_minor:
        return PromiseState("kept", REASONS["kept"])
    if as_of <= deadline(due_on, grace_days):
        return PromiseState("pending", None)
    status: DecidedStatus = "partial" if paid_minor > 0 else "broken"
    return PromiseState(status, REASONS[status])


def is_paused(*, status: str, due_on: date, grace_days: int, as_of: date) -> bool:
    """The items a promise covers do not escalate while it is pending and D ≤ its deadline."""
    return status == "pending" and as_of <= deadline(due_on, grace_days)
