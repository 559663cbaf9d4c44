"""The customer list and the dashboard's aging read from the stored summary (`customer_balances`)
equal the plain aggregate of every open invoice (`browse_reference`), on every backend, after random
imports, payments, runs and reverts, for any day they are read on — and the list's keyset pages walk
it exactly once. On a day after every issue and payment the dashboard's aging is the aging report's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, func, select

from dunmore.access import portfolios
from dunmore.access.values import Language, Role, User
from dunmore.demo.load import clear_ledger
from dunmore.domain.aging import buckets
from dunmore.imports import Kind, import_file
from dunmore.ledger import balances
from dunmore.ledger.browse import AccountFilter, list_accounts
from dunmore.ledger.browse_reference import reference_accounts, reference_aging
from dunmore.ledger.models import BALANCES, CUSTOMERS
from dunmore.reports.dashboard import overview
from dunmore.run import service
from dunmore.run.models import RUNS
from dunmore.run.revert import revert
from dunmore.store import bulk
from dunmore.store.db import transaction
from tests.store.model_diff import differences

POLICY = Path(__file__).resolve().parents[2] / "examples" / "dunning.yaml"
BASE = date(2026, 3, 1)
AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
MANAGER = User(1, "boss", Role.MANAGER, Language.EN, frozenset(), False, AT)
COLLECTOR = User(2, "ann", Role.COLLECTOR, Language.EN, frozenset({"east"}), False, AT)
SALES = User(3, "wang", Role.SALES, Language.EN, frozenset(), False, AT)

customers_st = st.lists(
    st.tuples(
        st.sampled_from(["east", "west", ""]), st.sampled_from(["Wang", "li", ""]), st.sampled_from(["A", ""])
    ),
    min_size=1,
    max_size=6,
)
invoice_st = st.tuples(
    st.integers(0, 5), st.integers(-50, 40), st.integers(1, 500), st.sampled_from(["CNY", "USD", "JPY"])
)
payment_st = st.tuples(st.integers(0, 5), st.integers(1, 400), st.sampled_from(["CNY", "USD"]))
filters_st = st.builds(
    AccountFilter,
    search=st.sampled_from(["", "c1", "ar@c2", "555-3"]),
    level=st.sampled_from([None, 0, 1, 2]),
    portfolio=st.sampled_from([None, "east"]),
    owner=st.sampled_from([None, "WANG"]),
    grade=st.sampled_from([None, "A"]),
)


def _csv(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _import(conn: Connection, kind: Kind, path: Path, day: date) -> None:
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    import_file(conn, kind, path, actor="test", at=at)


def _customers(conn: Connection, tmp: Path, rows: list[tuple[str, str, str]]) -> int:
    lines = [f"C{n},Customer {n},ar@c{n}.example,021-555-{n},{p},{o},{g}" for n, (p, o, g) in enumerate(rows)]
    header = "customer_id,name,email,phone,portfolio,owner,grade"
    _import(conn, Kind.CUSTOMERS, _csv(tmp / "customers.csv", header, lines), BASE)
    return len(rows)


def _invoices(
    conn: Connection, tmp: Path, count: int, rows: list[tuple[int, int, int, str]], tag: str
) -> None:
    lines = [
        f"INV-{tag}{n},C{c % count},{BASE - timedelta(days=60)},{BASE + timedelta(days=d)},{a}.00,{cur}"
        for n, (c, d, a, cur) in enumerate(rows)
    ]
    header = "invoice_id,customer_id,issue_date,due_date,amount,currency"
    _import(conn, Kind.INVOICES, _csv(tmp / f"invoices{tag}.csv", header, lines), BASE)


def _payments(conn: Connection, tmp: Path, count: int, rows: list[tuple[int, int, str]], day: date) -> None:
    lines = [f"P{day.isoformat()}-{n},C{c % count},{day},{a}.00,{cur}" for n, (c, a, cur) in enumerate(rows)]
    header = "payment_id,customer_id,date,amount,currency"
    _import(conn, Kind.PAYMENTS, _csv(tmp / f"payments{day}.csv", header, lines), day)


def _walk(conn: Connection, user: User, day: date, filters: AccountFilter, limit: int) -> list[object]:
    seen: list[object] = []
    after = None
    while True:
        page = list_accounts(conn, user=user, as_of=day, filters=filters, after=after, limit=limit)
        seen += page.rows
        if page.next_cursor is None:
            return seen
        after = page.next_cursor


def _holds_equal(conn: Connection, days: list[date], filters: AccountFilter, limit: int) -> None:
    """The whole list and the filtered one, for each kind of scope, on each day."""
    for day in days:
        for user in (MANAGER, COLLECTOR, SALES):
            for wanted in (AccountFilter(), filters):
                expected = reference_accounts(conn, user=user, as_of=day, filters=wanted)
                assert _walk(conn, user, day, wanted, limit) == expected, (user.login, day, wanted)
            _dashboard_holds_equal(conn, user, day)


def _dashboard_holds_equal(conn: Connection, user: User, day: date) -> None:
    """The dashboard's aging equals the plain aggregate of what is open, aged on the day."""
    found = overview(conn, user=user, as_of=day, buckets=buckets()).currencies
    figures = {row.currency: row.by_bucket for row in found}
    assert figures == reference_aging(conn, user=user, as_of=day, buckets=buckets()), (user.login, day)
    assert all(row.total == sum(row.by_bucket) and row.overdue == sum(row.by_bucket[1:]) for row in found)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=customers_st,
    invoices=st.lists(invoice_st, min_size=1, max_size=14),
    later=st.lists(invoice_st, max_size=4),
    payments=st.lists(payment_st, max_size=5),
    runs=st.lists(st.integers(1, 20), min_size=0, max_size=3),
    undo=st.booleans(),
    views=st.lists(st.integers(-70, 70), min_size=1, max_size=3),
    filters=filters_st,
    limit=st.integers(1, 3),
    regrouped=st.lists(
        customers_st.map(lambda rows: rows[0]).flatmap(
            lambda row: st.tuples(st.integers(0, 5), st.just(row))
        ),
        max_size=3,
    ),
    by_hand=st.lists(st.integers(0, 5), max_size=2),
    mass=st.booleans(),
)
def test_the_summary_lists_what_the_aggregate_lists(
    engine: Engine, tmp_path: Path, people: list[tuple[str, str, str]],
    invoices: list[tuple[int, int, int, str]], later: list[tuple[int, int, int, str]],
    payments: list[tuple[int, int, str]], runs: list[int], undo: bool, views: list[int],
    filters: AccountFilter, limit: int, regrouped: list[tuple[int, tuple[str, str, str]]],
    by_hand: list[int], mass: bool,
) -> None:  # fmt: skip
    """`mass`: every refresh taken for a mass one, as a first import's or a busy day's roll is (the
    summary's indexes dropped before its deletes and built again after its inserts)."""
    with pytest.MonkeyPatch.context() as patch, transaction(engine) as conn:
        if mass:
            patch.setattr(bulk, "DEFER_INDEXES_FROM", 1)
            patch.setattr(balances, "DEFER_INDEXES_FROM", 1)
        clear_ledger(conn)
        count = _customers(conn, tmp_path, people)
        _invoices(conn, tmp_path, count, invoices, "a")
        service.load_policy(conn, POLICY, now=AT, actor="test")
        day = BASE
        for step in runs:
            day += timedelta(days=step)
            service.commit(
                conn, as_of=day, today=day, now=AT, actor="test", templates_dir=None, gate_templates=False
            )
            _payments(conn, tmp_path, count, payments, day)
        if undo and runs:
            newest = conn.execute(select(RUNS.c.id).order_by(RUNS.c.sequence.desc()).limit(1)).scalar_one()
            revert(conn, int(newest), now=AT, actor="test")
        _invoices(conn, tmp_path, count, later, "b")
        _regroup(conn, tmp_path, count, people, regrouped, by_hand)
        _holds_equal(conn, [BASE + timedelta(days=v) for v in views], filters, limit)
        _carries_its_customer(conn)
        assert differences(conn) == []


def _regroup(conn: Connection, tmp: Path, count: int, people: list[tuple[str, str, str]],
             regrouped: list[tuple[int, tuple[str, str, str]]], by_hand: list[int]) -> None:  # fmt: skip
    """Customers re-imported with another portfolio or owner, then some moved to `east` by hand."""
    changed = list(people)
    for n, row in regrouped:
        changed[n % count] = row
    if regrouped:
        _customers(conn, tmp, changed)
    codes = sorted({f"C{n % count}" for n in by_hand})
    if codes:
        portfolios.move(conn, to="east", codes=codes, actor="test", at=AT)


def _carries_its_customer(conn: Connection) -> None:
    """Every summary row carries its customer's portfolio and lower-cased owner."""
    c, b = CUSTOMERS.c, BALANCES.c
    joined = select(b.portfolio, c.portfolio, b.owner, func.lower(c.owner)).join(
        CUSTOMERS, c.id == b.customer_id
    )
    for row in conn.execute(joined):
        assert (row[0], row[2]) == (row[1], row[3])


def test_a_portfolio_column_with_a_chinese_header_places_the_customers(
    engine: Engine, tmp_path: Path
) -> None:
    """组合 fills `portfolio`; a customer without one is in `default`; a collector of `east` finds only
    the customer placed there."""
    lines = ["C1,甲公司,east", "C2,乙公司,"]
    with transaction(engine) as conn:
        _import(conn, Kind.CUSTOMERS, _csv(tmp_path / "c.csv", "客户编号,客户名称,组合", lines), BASE)
        placed = dict(conn.execute(select(CUSTOMERS.c.external_id, CUSTOMERS.c.portfolio)).all())
        reached = [row.code for row in list_accounts(conn, user=COLLECTOR, as_of=BASE).rows]
    assert placed == {"C1": "east", "C2": "default"}
    assert reached == ["C1"]
