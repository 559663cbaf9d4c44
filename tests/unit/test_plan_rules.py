"""The pure rules of instalment plans (`domain.plans`): an even schedule adds up exactly, falls on
business days in increasing order; payments fall on instalments in date order without exceeding
them; a plan is broken exactly when a payment was short at an instalment's last day of grace."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dunmore.domain.calendar import is_business_day
from dunmore.domain.plans import (
    Instalment,
    Payment,
    add_months,
    allocate,
    check_schedule,
    even_schedule,
    plan_state,
)

COUNTRIES = st.sampled_from(["CN", "DE", "US", "AE"])
FIRSTS = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(min_value=1, max_value=10**12),
    count=st.integers(min_value=1, max_value=36),
    first=FIRSTS,
    every=st.integers(min_value=1, max_value=3),
    country=COUNTRIES,
    down=st.integers(min_value=0, max_value=10**6),
)
def test_an_even_schedule_adds_up_exactly_on_increasing_business_days(
    total: int, count: int, first: date, every: int, country: str, down: int
) -> None:
    made = even_schedule(
        total_minor=total + down, count=count, first=first, country=country, every_months=every,
        down_payment_minor=down, down_on=first - timedelta(days=20),
    )  # fmt: skip
    assert sum(one.amount_minor for one in made) == total + down
    assert all(is_business_day(one.due_on, country) for one in made)
    assert all(b.due_on > a.due_on for a, b in itertools.pairwise(made))
    proper = [one for one in made if one.number > 0]
    assert len(proper) == count
    assert all(one.amount_minor == proper[0].amount_minor for one in proper[:-1])
    assert 0 <= proper[-1].amount_minor - proper[0].amount_minor < count  # the rounding, on the last
    expected = [] if total >= count else ["amount_not_positive"]
    assert check_schedule(made, total_minor=total + down) == expected


def test_the_last_instalment_takes_the_rounding_and_the_31st_becomes_the_months_end() -> None:
    made = even_schedule(total_minor=1000000, count=3, first=date(2027, 1, 29), country="XX")
    assert [(one.due_on, one.amount_minor) for one in made] == [
        (date(2027, 1, 29), 333333),
        (date(2027, 3, 1), 333333),  # 2027-02-28 is a Sunday
        (date(2027, 3, 29), 333334),
    ]
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert check_schedule(made, total_minor=1000001) == ["sum_differs"]
    assert check_schedule([], total_minor=None) == ["no_instalments"]


SCHEDULES = st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=12).map(
    lambda amounts: [
        Instalment(n, date(2026, 1, 1) + timedelta(days=30 * n), a) for n, a in enumerate(amounts, start=1)
    ]
)


@given(schedule=SCHEDULES, paid=st.integers(min_value=-10, max_value=2 * 10**7))
def test_payments_fall_on_instalments_in_date_order_never_above_them(
    schedule: list[Instalment], paid: int
) -> None:
    got = allocate(list(reversed(schedule)), paid)  # given in any order, allocated by date
    assert all(0 <= g <= one.amount_minor for g, one in zip(got, schedule, strict=True))
    assert sum(got) == min(max(paid, 0), sum(one.amount_minor for one in schedule))
    first_short = next(
        (n for n, (g, one) in enumerate(zip(got, schedule, strict=True)) if g < one.amount_minor), None
    )
    if first_short is not None:
        assert all(g == 0 for g in got[first_short + 1 :])


PAYMENTS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=400), st.integers(min_value=1, max_value=10**6)), max_size=8
).map(lambda rows: [Payment(date(2026, 1, 1) + timedelta(days=d), a) for d, a in rows])


@given(schedule=SCHEDULES, payments=PAYMENTS, grace=st.integers(min_value=0, max_value=5),
       day=st.integers(min_value=0, max_value=420))  # fmt: skip
def test_a_plan_is_broken_exactly_when_short_at_an_instalments_last_day_of_grace(
    schedule: list[Instalment], payments: list[Payment], grace: int, day: int
) -> None:
    as_of = date(2026, 1, 1) + timedelta(days=day)
    state = plan_state(schedule, payments, grace_days=grace, as_of=as_of)
    short = [
        one
        for k, one in enumerate(schedule)
        if one.due_on + timedelta(days=grace) < as_of
        and sum(p.amount_minor for p in payments if p.on <= one.due_on + timedelta(days=grace))
        < sum(i.amount_minor for i in schedule[: k + 1])
    ]
    paid = sum(p.amount_minor for p in payments if p.on <= as_of)
    if short:
        assert (state.status, state.reason, state.missed) == ("broken", "plan_instalment_missed", short[0])
    elif paid >= sum(one.amount_minor for one in schedule):
        assert (state.status, state.reason) == ("kept", "plan_kept")
    else:
        assert (state.status, state.reason) == ("pending", None)
