"""A contract's due dates reach its customer owner's calendar (agenda and feed) once approved."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, update

from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role
from dunmore.credit import contract_approval, contracts
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import transaction
from dunmore.workspace import calendar
from tests.scenarios.story import Story

AT = datetime(2026, 8, 3, 8, tzinfo=UTC)


def test_an_approved_contracts_due_lines_are_in_the_owners_calendar(sqlite_engine: Engine) -> None:
    Story(sqlite_engine, policy=None).customer("C1")
    with transaction(sqlite_engine) as conn:
        conn.execute(update(CUSTOMERS).values(owner="Sam"))
        for login, role in (("sam", Role.SALES), ("boss", Role.MANAGER)):
            add_user(conn, login=login, role=role, password="a long enough password", actor="t", at=AT)
        says = contracts.Says(
            "Press", date(2026, 8, 3), Decimal("1000.00"), "CNY", "50% signing+10d; 50% delivery"
        )
        contracts.add_contract(conn, customer="C1", number="K-1", says=says, by="wang", actor="t", now=AT)
    with transaction(sqlite_engine) as conn:
        sam, boss = get_user(conn, login="sam"), get_user(conn, login="boss")
        assert [
            e for e in calendar.events(conn, user=sam, today=date(2026, 8, 3)) if e.kind == "contract"
        ] == []
        contract_approval.approve(
            conn,
            number="K-1",
            checker="boss",
            thresholds={},
            country="CN",
            on=date(2026, 8, 3),
            now=AT,
            actor="t",
        )
        found = [e for e in calendar.events(conn, user=sam, today=date(2026, 8, 3)) if e.kind == "contract"]
        assert [(e.uid, e.on, e.customer_code) for e in found] == [
            ("contract-1-1@dunmore", date(2026, 8, 13), "C1")
        ]
        assert "K-1" in found[0].title
        assert "K-1" in calendar.ics(found, user=sam, stamp=AT).decode()
        # the manager owns no customer: a contract is in its owner's calendar, not in everyone's
        assert [
            e for e in calendar.events(conn, user=boss, today=date(2026, 8, 3)) if e.kind == "contract"
        ] == []
