"""A user reads their own alerts, in their language, newest first, and marks them read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, select

from dunmore.access.models import AUDIT_LOG
from dunmore.access.service import add_user, get_user, set_language
from dunmore.access.values import Language, Role
from dunmore.errors import PermissionDenied
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.alerts import raise_alert
from dunmore.workspace.inbox import list_alerts, mark_read, unread_count

AT = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
PASSWORD = "a long enough password"


def _office(conn: Connection) -> int:
    for login, role in (("wang", Role.SALES), ("boss", Role.MANAGER), ("li", Role.VIEWER)):
        add_user(conn, login=login, role=role, password=PASSWORD, actor="test", at=AT)
    set_language(conn, login="boss", language=Language.EN, actor="test", at=AT)
    return int(
        conn.execute(
            CUSTOMERS.insert()
            .values(external_id="C1", name="华东贸易", owner="wang")
            .returning(CUSTOMERS.c.id)
        ).scalar_one()
    )


Params = dict[str, str | int]
BROKEN: Params = {"promise": 1, "amount_minor": 1_234_50, "currency": "CNY", "due_on": "2026-12-04"}
OVERDUE: Params = {"invoice": "INV-9", "amount_minor": 20_000_000, "currency": "CNY", "due_on": "2026-12-06"}


def _two_alerts(conn: Connection, customer: int) -> None:
    raise_alert(conn, kind="promise_broken", key="pb:1", customer_id=customer, at=AT, params=BROKEN)
    later = AT + timedelta(hours=1)
    raise_alert(conn, kind="high_value_overdue", key="hv:9", customer_id=customer, at=later, params=OVERDUE)


def test_alerts_are_said_in_each_readers_language_newest_first(engine: Engine) -> None:
    with engine.begin() as conn:
        _two_alerts(conn, _office(conn))
        english = list_alerts(conn, user=get_user(conn, login="boss"))
        chinese = list_alerts(conn, user=get_user(conn, login="wang"))
    assert [line.kind for line in english.rows] == ["high_value_overdue", "promise_broken"]
    assert english.rows[1].text == "华东贸易 (C1) broke the promise to pay CN¥1,234.50 by Dec 4, 2026"
    assert english.rows[0].customer_code == "C1"
    assert chinese.rows[1].text == "华东贸易 (C1) 未兑现承诺：应于2026年12月4日前付款 ¥1,234.50"
    assert (english.total, english.unread) == (2, 2)


def test_marking_read_reaches_only_the_readers_own_alerts(engine: Engine) -> None:
    with engine.begin() as conn:
        _two_alerts(conn, _office(conn))
        boss, wang = get_user(conn, login="boss"), get_user(conn, login="wang")
        wangs = [line.id for line in list_alerts(conn, user=wang).rows]
        assert mark_read(conn, user=boss, ids=wangs, at=AT) == 0  # not boss's: nothing happens
        newest = list_alerts(conn, user=boss).rows[0].id
        assert mark_read(conn, user=boss, ids=[newest], at=AT) == 1
        unread = list_alerts(conn, user=boss, unread_only=True)
        assert [line.kind for line in unread.rows] == ["promise_broken"]
        assert mark_read(conn, user=boss, ids=None, at=AT) == 1
        assert (unread_count(conn, user=boss), unread_count(conn, user=wang)) == (0, 2)
        audited = conn.execute(select(AUDIT_LOG.c.action, AUDIT_LOG.c.object).where(
            AUDIT_LOG.c.action == "alert.read")).all()  # fmt: skip
    assert [tuple(row) for row in audited] == [("alert.read", "user:boss")] * 2


def test_a_viewer_may_not_read_alerts(engine: Engine) -> None:
    with engine.begin() as conn:
        _office(conn)
        with pytest.raises(PermissionDenied):
            list_alerts(conn, user=get_user(conn, login="li"))
