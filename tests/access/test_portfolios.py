"""Assigning customers to portfolios, told as one creditor's March 2026 on SQLite and PostgreSQL:
rules move the customers, the summary rows follow, and the collector of a portfolio finds the moved
customers on their dashboard and list; a collector who leaves hands everything to another."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select

from dunmore.access import portfolios, service
from dunmore.access.models import AUDIT_LOG
from dunmore.access.values import Role, User
from dunmore.domain.aging import buckets
from dunmore.domain.portfolio_rules import read_rules
from dunmore.errors import NotFound
from dunmore.imports import Kind, import_file
from dunmore.ledger.browse import list_accounts
from dunmore.ledger.models import BALANCES, CUSTOMERS
from dunmore.reports.dashboard import overview
from dunmore.store.db import transaction

MARCH_1 = date(2026, 3, 1)
AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
CUSTOMERS_CSV = """customer_id,name,grade,country,tags,owner
C1,甲公司,A,CN,,ann
C2,乙公司,B,HK,,Ann
C3,丙公司,C,CN,vip,li
C4,丁公司,C,CN,,
C5,戊公司,B,CN,,
"""
# C1 owes 200,000.00 CNY overdue, C2 5,000.00 USD, C5 50,000.00 CNY not yet due, C3 and C4 nothing
INVOICES_CSV = """invoice_id,customer_id,issue_date,due_date,amount,currency
I1,C1,2026-01-01,2026-02-01,200000.00,CNY
I2,C2,2026-01-01,2026-02-01,5000.00,USD
I5,C5,2026-02-01,2026-04-01,50000.00,CNY
"""
RULES = """rules:
  - portfolio: key
    grade: [A]
  - portfolio: hk
    country: [HK]
  - portfolio: big
    overdue: {currency: CNY, min: "100000.00"}
  - portfolio: key
    tags: [vip]
default: general
"""


def _ledger(conn: Connection, tmp: Path) -> None:
    for kind, text in ((Kind.CUSTOMERS, CUSTOMERS_CSV), (Kind.INVOICES, INVOICES_CSV)):
        path = tmp / f"{kind.value}.csv"
        path.write_text(text, encoding="utf-8")
        import_file(conn, kind, path, actor="test", at=AT)
    service.add_user(conn, login="ann", role=Role.COLLECTOR, password=PASSWORD, portfolios=["key"],
                     actor="test", at=AT)  # fmt: skip
    service.add_user(conn, login="bob", role=Role.COLLECTOR, password=PASSWORD, portfolios=["hk"],
                     actor="test", at=AT)  # fmt: skip


def _placed(conn: Connection) -> dict[str, str]:
    c = CUSTOMERS.c
    return dict(conn.execute(select(c.external_id, c.portfolio).order_by(c.external_id)).all())


def _summary_follows(conn: Connection) -> None:
    """Every summary row carries its customer's portfolio and lower-cased owner."""
    c, b = CUSTOMERS.c, BALANCES.c
    rows = conn.execute(
        select(b.portfolio, c.portfolio, b.owner, func.lower(c.owner)).join(CUSTOMERS, c.id == b.customer_id)
    ).all()
    assert rows
    assert all(row[0] == row[1] and row[2] == row[3] for row in rows)


def _reached(conn: Connection, user: User) -> list[str]:
    return sorted({row.code for row in list_accounts(conn, user=user, as_of=MARCH_1).rows})


def _overdue(conn: Connection, user: User) -> dict[str, int]:
    found = overview(conn, user=user, as_of=MARCH_1, buckets=buckets()).currencies
    return {row.currency: row.overdue for row in found if row.overdue}


def test_rules_move_customers_and_the_collector_finds_them(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as conn:
        _ledger(conn, tmp_path)
        ann = service.get_user(conn, login="ann")
        assert _reached(conn, ann) == []
        # 1 March: a dry run says who would move, and moves nobody
        rules = read_rules(RULES, "rules.yaml")
        dry = portfolios.assign(conn, rules=rules, as_of=MARCH_1, dry_run=True, actor="test", at=AT)
        assert {(t.source, t.target): t.customers for t in dry.transfers} == {
            ("default", "key"): 2, ("default", "hk"): 1, ("default", "general"): 2,
        }  # fmt: skip
        assert set(_placed(conn).values()) == {"default"}
        # the same rules applied: C1 by its grade, C3 by its tag, C2 by its country, the rest by default
        done = portfolios.assign(conn, rules=rules, as_of=MARCH_1, dry_run=False, actor="test", at=AT)
        assert done.applied
        assert done.codes == ("C1", "C2", "C3", "C4", "C5")
        assert _placed(conn) == {"C1": "key", "C2": "hk", "C3": "key", "C4": "general", "C5": "general"}
        _summary_follows(conn)
        assert _reached(conn, ann) == ["C1", "C3"]
        assert _overdue(conn, ann) == {"CNY": 200_000_00}
        entry = conn.execute(select(AUDIT_LOG).where(AUDIT_LOG.c.action == "portfolios.assign")).one()
        assert json.loads(entry.after)["moved"] == ["C1", "C2", "C3", "C4", "C5"]
        # run again: nobody moves, nothing is audited
        again = portfolios.assign(conn, rules=rules, as_of=MARCH_1, dry_run=False, actor="test", at=AT)
        assert again.codes == ()
        assert not again.applied


def test_by_hand_and_a_collector_who_leaves(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as conn:
        _ledger(conn, tmp_path)
        # C5 and C2 moved by hand to key; then all of key's customers to hk
        portfolios.move(conn, to="key", codes=["C5", "C2"], actor="test", at=AT)
        assert _reached(conn, service.get_user(conn, login="ann")) == ["C2", "C5"]
        assert _overdue(conn, service.get_user(conn, login="ann")) == {"USD": 5_000_00}
        with pytest.raises(NotFound, match="C9"):
            portfolios.move(conn, to="key", codes=["C1", "C9"], actor="test", at=AT)
        # ann leaves: bob works key too, and owns what ann owned (C1, and C2 written "Ann")
        done = portfolios.reassign(conn, source="ann", target="bob", actor="test", at=AT)
        assert (done.portfolios, done.customers) == (("key",), 2)
        bob = service.get_user(conn, login="bob")
        assert bob.portfolios == {"hk", "key"}
        assert service.get_user(conn, login="ann").portfolios == frozenset()
        _summary_follows(conn)
        sales_bob = User(bob.id, "bob", Role.SALES, bob.language, frozenset(), False, AT)
        assert _reached(conn, sales_bob) == ["C1", "C2"]
        moved = portfolios.move(conn, to="hk", source="key", actor="test", at=AT)
        assert moved.codes == ("C2", "C5")
        listed = {row.name: row for row in portfolios.list_portfolios(conn, as_of=MARCH_1, actor="test")}
        assert (listed["hk"].customers, listed["hk"].collectors) == (2, ("bob",))
        assert listed["hk"].overdue == {"USD": 5_000_00}
        assert listed["default"].overdue == {"CNY": 200_000_00}
        assert listed["key"].customers == 0
        assert listed["key"].collectors == ("bob",)
        actions = conn.execute(select(AUDIT_LOG.c.action).order_by(AUDIT_LOG.c.id)).scalars().all()
        assert actions[-3:] == ["portfolios.move", "portfolios.reassign", "portfolios.move"]
