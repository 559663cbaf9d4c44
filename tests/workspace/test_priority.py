"""The worklist's order: follow-ups, broken promises, run tasks, then expected value; one line a
customer; a customer worked today is gone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunmore.workspace.priority import (
    RECOVERY,
    Account,
    AccountRow,
    BrokenPromise,
    Customer,
    Facts,
    FollowUp,
    OpenTask,
    Section,
    decide,
    expected_value,
    grade_row,
)

D = date(2026, 12, 7)


def _customer(cid: int, grade: str | None = "B", *accounts: Account, worked: bool = False) -> Customer:
    return Customer(cid, f"C{cid}", f"Customer {cid}", grade, tuple(accounts), worked)


def _account(currency: str = "CNY", *aged: int, over_year: bool = False) -> Account:
    five = (*aged, 0, 0, 0, 0, 0)[:5]
    return Account(currency, five, over_year)  # type: ignore[arg-type]


def test_the_sections_come_in_order_and_each_line_says_why() -> None:
    customers = {
        1: _customer(1, "A", _account("CNY", 100_00)),
        2: _customer(2, "B", _account("CNY", 900_00)),
        3: _customer(3),
        4: _customer(4),
        5: _customer(5),
    }
    facts = Facts(
        customers,
        follow_ups=[FollowUp(5, date(2026, 12, 7), date(2026, 12, 3), "li")],
        broken_promises=[BrokenPromise(4, 9, "CNY", 5_000_00, date(2026, 12, 1), date(2026, 12, 4))],
        tasks=[OpenTask(3, 12, "task", "Legal review", date(2026, 12, 2), date(2026, 12, 2))],
    )
    lines = decide(facts)
    assert [line.customer.id for line in lines] == [5, 4, 3, 2, 1]
    assert [line.section for line in lines] == [1, 2, 3, 4, 4]
    assert str(lines[0].why) == "follow-up set on 12-03 for 12-07"
    assert str(lines[1].why) == "promise of CNY 5,000.00 due 12-01 broken"
    assert str(lines[1].what) == "call to ask why"
    assert str(lines[2].why) == "legal review brief from the run of 12-02: Legal review"
    assert lines[2].task_id == 12
    assert str(lines[3].why) == "CNY 900.00 overdue, grade B"


def test_a_customer_appears_once_on_its_most_urgent_line() -> None:
    facts = Facts(
        {1: _customer(1, "C", _account("CNY", 48_200_00))},
        follow_ups=[FollowUp(1, D, date(2026, 12, 1), "li")],
        tasks=[OpenTask(1, 3, "call", "Call", D, D)],
    )
    (line,) = decide(facts)
    assert line.section is Section.FOLLOW_UP
    assert line.reason == "follow_up_due"


def test_a_customer_worked_today_leaves_the_list() -> None:
    facts = Facts(
        {1: _customer(1, "C", _account("CNY", 100), worked=True), 2: _customer(2, "C", _account("CNY", 50))},
        follow_ups=[FollowUp(1, D, D, "li")],
    )
    assert [line.customer.id for line in decide(facts)] == [2]


def test_the_expected_value_follows_the_table_bucket_by_bucket() -> None:
    account = _account("CNY", 1000, 0, 0, 0, 2000)
    assert expected_value(account, "C") == 900 + 700  # 90 % of 1–30 days, 35 % of 181–365 days
    older = _account("CNY", 0, 0, 0, 0, 2000, over_year=True)
    assert expected_value(older, "d") == 100  # grade "d" reads as D: 5 % over a year
    assert expected_value(_account("CNY", 3), "A") == 3  # 2.91 rounds half up


def test_a_grade_outside_the_table_takes_the_row_without_a_grade() -> None:
    assert grade_row("AA") == "A"
    assert grade_row("VIP") == "none"
    assert grade_row(None) == "none"


def test_the_table_falls_with_age_and_with_the_grade() -> None:
    for chances in RECOVERY.values():
        assert list(chances) == sorted(chances, reverse=True)
        assert all(Decimal(0) < chance < Decimal(1) for chance in chances)
    for band in range(6):
        column = [RECOVERY[grade][band] for grade in "ABCD"]
        assert column == sorted(column, reverse=True)


def test_currencies_are_not_mixed_the_one_holding_more_expected_value_comes_first() -> None:
    facts = Facts(
        {
            1: _customer(1, "A", _account("USD", 500_00)),
            2: _customer(2, "A", _account("CNY", 300_00)),
            3: _customer(3, "A", _account("CNY", 400_00)),
        }
    )
    assert [line.customer.id for line in decide(facts)] == [3, 2, 1]  # CNY 679.00 expected in all, USD 485.00


amounts = st.integers(min_value=0, max_value=10**11)  # the ledger's largest amount
account_strategy = st.builds(
    Account,
    st.sampled_from(["CNY", "USD", "JPY"]),
    st.tuples(amounts, amounts, amounts, amounts, amounts),
    st.booleans(),
)
days = st.dates(min_value=date(2026, 11, 1), max_value=date(2026, 12, 7))


@st.composite
def facts_strategy(draw: st.DrawFn) -> Facts:
    ids = draw(st.lists(st.integers(1, 40), unique=True, max_size=10))
    customers = {
        cid: Customer(
            cid, f"C{cid}", "x", draw(st.sampled_from(["A", "B", "C", "D", None, "Z"])),
            tuple(draw(st.lists(account_strategy, max_size=2, unique_by=lambda a: a.currency))),
            draw(st.booleans()),
        )
        for cid in ids
    }  # fmt: skip
    some = st.sampled_from(ids) if ids else st.nothing()
    follow_ups = draw(st.lists(st.builds(FollowUp, some, days, days, st.just("li")), max_size=4))
    promises = draw(
        st.lists(
            st.builds(BrokenPromise, some, st.integers(1, 99), st.just("CNY"), amounts, days, days),
            max_size=4,
        )
    )
    tasks = draw(
        st.lists(
            st.builds(OpenTask, some, st.integers(1, 99), st.sampled_from(["call", "visit", "task"]),
                      st.just("t"), days, st.none() | days),
            max_size=4,
        )
    )  # fmt: skip
    return Facts(customers, follow_ups, promises, tasks)


# generation is what a shared, loaded machine slows down; the property itself is checked in full
SHARED_MACHINE = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@SHARED_MACHINE
@given(facts_strategy())
def test_once_each_in_section_order_and_by_falling_value_within_a_currency(facts: Facts) -> None:
    lines = decide(facts)
    ids = [line.customer.id for line in lines]
    assert len(ids) == len(set(ids))
    assert not any(facts.customers[cid].worked_today for cid in ids)
    sections = [line.section for line in lines]
    assert sections == sorted(sections)
    for currency in {line.currency for line in lines if line.section is Section.VALUE}:
        values = [
            line.expected_minor
            for line in lines
            if line.section is Section.VALUE and line.currency == currency
        ]
        assert values == sorted(values, reverse=True)
    listed = {
        cid
        for cid, c in facts.customers.items()
        if not c.worked_today and any(a.overdue_minor for a in c.accounts)
    }
    assert listed <= set(ids)


@SHARED_MACHINE
@given(facts_strategy())
def test_accounts_given_in_bulk_rank_as_accounts_given_with_their_customers(facts: Facts) -> None:
    rows = [
        AccountRow(c.id, c.code, c.name, c.grade, a.currency, a.aged, a.over_year)
        for c in facts.customers.values()
        for a in c.accounts
    ]
    bare = {cid: replace(c, accounts=(), worked_today=False) for cid, c in facts.customers.items()}
    worked = frozenset(cid for cid, c in facts.customers.items() if c.worked_today)
    bulk = Facts(bare, facts.follow_ups, facts.broken_promises, facts.tasks, rows, worked)
    said = [(line.customer.id, line.reason, str(line.why), line.expected_minor) for line in decide(facts)]
    assert [
        (line.customer.id, line.reason, str(line.why), line.expected_minor) for line in decide(bulk)
    ] == said
