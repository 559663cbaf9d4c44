"""The worklist's ranking keys (`worklist_ranks`) are, after every write path, exactly what the
summary rows and the customers' grades, portfolios and owners give (`priority.expected_value`, one row
per account with something overdue), on both backends: the imports of customers, invoices and
payments, a run and its revert, a grading, an override, a portfolio move. Each step but the revert
changes the keys, so a write path that forgot the table would leave them as they were and fail here
(the revert refreshes the summary as the imports do, through `balances.refresh`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import BigInteger, Connection, Date, Engine, String, literal, select

from dunmore.access import portfolios
from dunmore.access.service import add_user
from dunmore.access.values import Role, User
from dunmore.credit import grades
from dunmore.imports import Kind, import_file
from dunmore.ledger import balances
from dunmore.ledger.models import BALANCES, CUSTOMERS, RANKS
from dunmore.run import service
from dunmore.run.models import RUNS
from dunmore.run.revert import revert
from dunmore.store import bulk
from dunmore.store.db import transaction
from dunmore.workspace.priority import OVER_YEAR_DAYS, PERCENT, Account, expected_value
from tests.store.model_diff import differences

POLICY = Path(__file__).resolve().parents[2] / "examples" / "dunning.yaml"
BASE = date(2026, 3, 1)
AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
Rank = tuple[int, str, str, str | None, int]

CUSTOMERS_CSV = """customer_id,name,email,phone,portfolio,owner,grade
C0,Customer 0,ar@c0.example,021-555-0,east,Wang,A
C1,Customer 1,ar@c1.example,021-555-1,west,li,
C2,Customer 2,ar@c2.example,021-555-2,west,,B
C3,Customer 3,ar@c3.example,021-555-3,,Wang,c
"""
# due dates from 400 days before the import to 20 days after: every aging band, the year mark
INVOICES_CSV = """invoice_id,customer_id,issue_date,due_date,amount,currency
I1,C0,2025-01-01,2025-01-30,1200.00,CNY
I2,C0,2026-01-01,2026-02-10,300.00,USD
I3,C1,2026-01-01,2026-02-20,5000.00,CNY
I4,C1,2025-10-01,2025-11-01,800.00,CNY
I5,C2,2026-02-01,2026-03-20,700.00,CNY
I6,C3,2025-12-01,2025-12-31,2500.00,CNY
I7,C3,2025-02-01,2025-03-01,90.00,USD
"""
PAYMENTS_CSV = """payment_id,customer_id,date,amount,currency
P1,C1,2026-04-10,5000.00,CNY
P2,C3,2026-04-10,1000.00,CNY
"""


def _import(conn: Connection, tmp: Path, kind: Kind, text: str, day: date) -> None:
    path = tmp / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    import_file(conn, kind, path, actor="test", at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC))


def _recomputed(conn: Connection) -> list[Rank]:
    """The keys the summary rows give under their customers' grades, with the customers' portfolios
    and lower-cased owners."""
    b, c = BALANCES.c, CUSTOMERS.c
    query = select(BALANCES, c.grade, c.portfolio.label("placed"), c.owner.label("owned_by"))
    found: list[Rank] = []
    for row in conn.execute(query.join(CUSTOMERS, c.id == b.customer_id)):
        if row.overdue_minor <= 0 or row.currency == "":
            continue
        over_year = row.last_overdue_due + timedelta(days=OVER_YEAR_DAYS) <= row.as_of
        aged = (row.aged_1_minor, row.aged_2_minor, row.aged_3_minor, row.aged_4_minor, row.aged_5_minor)
        key = expected_value(Account(row.currency, aged, over_year), row.grade)
        owner = None if row.owned_by is None else row.owned_by.lower()
        found.append((row.customer_id, row.currency, row.placed, owner, key))
    return sorted(found)


def _stored(conn: Connection) -> list[Rank]:
    r = RANKS.c
    rows = conn.execute(select(r.customer_id, r.currency, r.portfolio, r.owner, r.expected_minor))
    return sorted((int(cid), cur, portfolio, owner, int(key)) for cid, cur, portfolio, owner, key in rows)


class _Keys:
    """The stored keys checked after each step: equal to the recomputed ones, and changed by it."""

    def __init__(self) -> None:
        self.before: list[Rank] = []

    def check(self, conn: Connection, step: str, *, changes: bool = True) -> None:
        stored = _stored(conn)
        assert stored == _recomputed(conn), step
        assert stored != self.before or not changes, f"{step} changed no key: the story does not test it"
        self.before = stored


@pytest.mark.parametrize("mass", [False, True])
def test_the_ranking_keys_follow_every_write_path(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mass: bool
) -> None:
    """`mass`: every re-rank taken for a mass one (the rank indexes dropped and built again after),
    and the grading's history insert for a large one (its keys and indexes added back after); the
    schema is then still the models'."""
    if mass:
        monkeypatch.setattr(balances, "DEFER_INDEXES_FROM", 1)
        monkeypatch.setattr(bulk, "DEFER_INDEXES_FROM", 1)
    keys = _Keys()
    with transaction(engine) as conn:
        boss = add_user(conn, login="boss", role=Role.MANAGER, password="a long enough password",
                        actor="test", at=AT)  # fmt: skip
        service.load_policy(conn, POLICY, now=AT, actor="test")
        _import(conn, tmp_path, Kind.CUSTOMERS, CUSTOMERS_CSV, BASE)
        _import(conn, tmp_path, Kind.INVOICES, INVOICES_CSV, BASE)
        keys.check(conn, "invoice import")
        run_day = BASE + timedelta(days=35)
        service.commit(
            conn, as_of=run_day, today=run_day, now=AT, actor="test", templates_dir=None, gate_templates=False
        )
        keys.check(conn, "run")
        _import(conn, tmp_path, Kind.PAYMENTS, PAYMENTS_CSV, date(2026, 4, 10))
        keys.check(conn, "payment import")
        _graded(conn, boss, keys)
        portfolios.move(conn, to="east", codes=["C1", "C2"], actor="test", at=AT)
        keys.check(conn, "portfolio move")
        moved = CUSTOMERS_CSV.replace("east,Wang,A", "north,Zhao,D").replace("west,,B", "west,Li,")
        _import(conn, tmp_path, Kind.CUSTOMERS, moved, date(2026, 4, 20))
        keys.check(conn, "customer import")
        revert(conn, _newest_run(conn), now=AT, actor="test")
        keys.check(conn, "run revert", changes=False)  # as its refresh leaves them: unchanged here
        assert differences(conn) == []
    assert len(keys.before) >= 4


def _graded(conn: Connection, boss: User, keys: _Keys) -> None:
    on = date(2026, 4, 15)
    now = datetime(2026, 4, 15, 9, tzinfo=UTC)
    assert grades.compute(conn, user=boss, as_of=on, now=now).changed
    keys.check(conn, "grading")
    if conn.dialect.name == "postgresql":  # a mass re-rank plans without nested loops, then as before
        assert conn.exec_driver_sql("SHOW enable_nestloop").scalar_one() == "on"
    grades.override(
        conn, user=boss, customer="C3", grade="A", reason="new guarantee", until=on + timedelta(days=30),
        today=on, now=now,
    )  # fmt: skip
    keys.check(conn, "override")


def _newest_run(conn: Connection) -> int:
    return int(conn.execute(select(RUNS.c.id).order_by(RUNS.c.sequence.desc()).limit(1)).scalar_one())


# grades as imported can be anything: either case, spaces before, a sign after, not a grade at all
ODD_GRADES = [None, "", "A", "a", " b", "\tC+", "d-", "N", "n", "x", "AB", "  ", "\u3000A", "\uff24"]


def test_the_chances_row_of_a_grade_is_the_one_its_stored_key_takes(engine: Engine) -> None:
    """A grading re-ranks only the customers whose grade change changes the row of chances their keys
    take (`balances.chances_row`, in Polars); for any grade that row is the one the database takes
    (`balances.expected_sql`): the key of an account with a different amount in each band, one day
    short of the year mark and over it, is the row's key."""
    rows = pl.DataFrame({"grade": ODD_GRADES}, schema={"grade": pl.String})
    rows = rows.with_columns(balances.chances_row(pl.col("grade")).alias("row"))
    assert set(rows.get_column("row")) == set(PERCENT)  # every row taken by some grade
    aged = (1, 1_000, 1_000_000, 1_000_000_000, 1_000_000_000_000)
    as_of = date(2026, 4, 15)
    with engine.connect() as conn:
        for grade, row in rows.iter_rows():
            for over_year in (False, True):
                newest = as_of - timedelta(days=OVER_YEAR_DAYS + (0 if over_year else -1))
                amounts = [literal(a, BigInteger) for a in aged]
                day, newest_due = literal(as_of, Date), literal(newest, Date)
                key = balances.expected_sql(amounts, literal(grade, String), newest_due, day)
                expected = expected_value(Account("CNY", aged, over_year), None if row == "none" else row)
                assert conn.execute(select(key)).scalar_one() == expected, (grade, over_year)
