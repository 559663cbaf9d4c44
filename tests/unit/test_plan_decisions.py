"""The run decides every active plan at once in Polars (`engine.plans.decide_plans`); the domain's
rule called plan by plan (`engine.plan_reference`) says the same for any plans, instalments,
payments and day — and a small dated example says what both say."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from dunmore.engine.plan_reference import decide_plans_one_by_one
from dunmore.engine.plans import PAYMENTS, PLANS, SCHEDULE, decide_plans
from tests.depth import examples

EPOCH = date(2026, 9, 1)
Frames = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, date]


@st.composite
def plan_books(draw: st.DrawFn) -> Frames:
    """Up to five plans (some without instalments) of one to five instalments within 90 days, up
    to eight payment days each (some before, on and after D), and a day D."""
    plans, schedule, payments = [], [], []
    for plan_id in range(1, draw(st.integers(0, 5)) + 1):
        plans.append((plan_id, plan_id % 2 + 1, "CNY", draw(st.integers(0, 5))))
        count = draw(st.integers(0, 5))
        numbers = range(draw(st.integers(0, 1)), count)  # number 0: a down payment
        for number in numbers:
            due = EPOCH + timedelta(days=draw(st.integers(0, 90)))
            schedule.append((plan_id, number, due, draw(st.integers(1, 50_000))))
        for _ in range(draw(st.integers(0, 8))):
            on = EPOCH + timedelta(days=draw(st.integers(-5, 100)))
            payments.append((plan_id, on, draw(st.integers(1, 60_000))))
    as_of = EPOCH + timedelta(days=draw(st.integers(0, 110)))
    return (
        pl.DataFrame(plans, schema=PLANS, orient="row"),
        pl.DataFrame(schedule, schema=SCHEDULE, orient="row"),
        pl.DataFrame(payments, schema=PAYMENTS, orient="row"),
        as_of,
    )


@settings(max_examples=examples(150), deadline=None)
@given(plan_books())
def test_the_vectorised_decision_says_what_the_rule_says_plan_by_plan(book: Frames) -> None:
    fast_states, fast_changes = decide_plans(*book)
    states, changes = decide_plans_one_by_one(*book)
    assert_frame_equal(fast_states, states)
    assert_frame_equal(fast_changes, changes)


def test_a_missed_second_instalment_breaks_the_plan_and_a_paid_plan_is_kept() -> None:
    """Plan 1: 100.00 on 09-10 and 09-20, grace 2; 100.00 paid on 09-09 only: on 09-23 the second
    instalment's grace ended on 09-22 unpaid. Plan 2: the same schedule paid in full on 09-21."""
    d = date
    plans = pl.DataFrame([(1, 1, "CNY", 2), (2, 2, "CNY", 2)], schema=PLANS, orient="row")
    schedule = pl.DataFrame(
        [(p, n, d(2026, 9, 10 * n), 10_000) for p in (1, 2) for n in (1, 2)], schema=SCHEDULE, orient="row"
    )
    payments = pl.DataFrame(
        [(1, d(2026, 9, 9), 10_000), (2, d(2026, 9, 9), 10_000), (2, d(2026, 9, 21), 10_000)],
        schema=PAYMENTS,
        orient="row",
    )
    states, changes = decide_plans(plans, schedule, payments, d(2026, 9, 23))
    assert states.select("plan_id", "status", "until").rows() == [
        (1, "broken", d(2026, 9, 22)),
        (2, "kept", d(2026, 9, 22)),
    ]
    assert changes.select("plan_id", "reason", "missed_number", "missed_due_on", "paid_minor").rows() == [
        (1, "plan_instalment_missed", 2, d(2026, 9, 20), 10_000),
        (2, "plan_kept", None, None, 20_000),
    ]
    early, _ = decide_plans(plans, schedule, payments, d(2026, 9, 15))
    assert early["status"].to_list() == ["pending", "pending"]
