"""The state of a promise to pay on a day (`domain.promises`), and the run's vectorised form of it
(`engine.promises`), held equal."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given

from dunmore.domain.promises import deadline, promise_state
from dunmore.engine import promises as vectorised
from tests.strategies import EPOCH, promise_histories

ORDER = {"pending": 0, "kept": 1, "partial": 1, "broken": 1}
History = tuple[int, date, int, list[tuple[date, int]]]


def paid_by(payments: list[tuple[date, int]], as_of: date, last: date) -> int:
    """What counts toward the promise on `as_of`: payments dated up to min(as_of, deadline)."""
    return sum(amount for when, amount in payments if when <= min(as_of, last))


def states(history: History) -> list[tuple[date, str]]:
    _, due, grace, payments = history
    last = deadline(due, grace)
    every_day = [EPOCH + timedelta(days=n) for n in range(100)]
    return [(d, on(history, d, paid_by(payments, d, last))) for d in every_day]


def on(history: History, as_of: date, paid: int) -> str:
    amount, due, grace, _ = history
    return promise_state(
        amount_minor=amount, due_on=due, grace_days=grace, paid_minor=paid, as_of=as_of
    ).status


@given(promise_histories())
def test_kept_iff_paid_at_least_the_amount_by_the_deadline(history: History) -> None:
    amount, due, grace, payments = history
    last = deadline(due, grace)
    final = states(history)[-1][1]
    assert (final == "kept") == (paid_by(payments, last, last) >= amount)
    if final in ("partial", "broken"):
        assert (final == "partial") == (paid_by(payments, last, last) > 0)


@given(promise_histories())
def test_a_state_only_moves_forward_and_is_decided_on_the_first_day_it_can_be(history: History) -> None:
    amount, due, grace, payments = history
    last = deadline(due, grace)
    seen = states(history)
    ranks = [ORDER[status] for _, status in seen]
    assert ranks == sorted(ranks)
    decided = [d for d, status in seen if status != "pending"]
    if decided:
        first_paid = [d for d, _ in seen if paid_by(payments, d, last) >= amount]
        expected = min([last + timedelta(days=1), *first_paid])
        assert decided[0] == expected
        assert len({status for d, status in seen if d >= decided[0]}) == 1


@given(promise_histories())
def test_the_runs_vectorised_rule_says_the_same(history: History) -> None:
    amount, due, grace, payments = history
    last = deadline(due, grace)
    for as_of in (due, last, last + timedelta(days=1), EPOCH + timedelta(days=99)):
        paid = paid_by(payments, as_of, last)
        expected = promise_state(
            amount_minor=amount, due_on=due, grace_days=grace, paid_minor=paid, as_of=as_of
        )
        frame = pl.DataFrame(
            [(1, 1, "CNY", amount, due, grace, False, paid)], schema=vectorised.PENDING, orient="row"
        )
        row = vectorised.promise_states(frame, as_of).row(0, named=True)
        assert (row["status"], row["reason"]) == (expected.status, expected.reason)
