"""Each user's calendar as a private iCalendar feed: their follow-ups, their customers' promise dates,
their tasks — parsed back with icalendar; no other user's events; a revoked link is 404."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import Connection, Engine, Table, insert

from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role
from dunmore.delivery.models import DELIVERIES, TASKS
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.models import NOTICES, POLICY_VERSIONS, RUNS
from dunmore.web.app import create_app
from dunmore.workspace import calendar
from dunmore.workspace.models import ACTIVITIES, PROMISES
from tests.web.conftest import settings as web_settings

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 2026-03-16
TODAY = date(2026, 3, 16)


def _customer(conn: Connection, code: str, owner: str) -> int:
    values = {"external_id": code, "name": f"{code} Ltd", "owner": owner}
    return int(conn.execute(insert(CUSTOMERS).values(values).returning(CUSTOMERS.c.id)).scalar_one())


def _new(conn: Connection, table: Table, **values: Any) -> int:
    return int(conn.execute(insert(table).values(values).returning(table.c.id)).scalar_one())


def _task(conn: Connection, customer: int, assignee: str, due: date) -> None:
    """A call task of the run, as the run makes it (a policy version, a run, a notice, a delivery)."""
    version = _new(conn, POLICY_VERSIONS, version=1, fingerprint="f", source="s", text="", loaded_at=NOW)
    run = _new(conn, RUNS, sequence=1, as_of=TODAY, policy_version_id=version, committed_at=NOW, notices=1)
    notice = _new(conn, NOTICES, run_id=run, as_of=TODAY, customer_id=customer, currency="CNY", kind="level",
                  step="second-overdue", policy="standard", level=2, status="committed")  # fmt: skip
    delivery = _new(conn, DELIVERIES, notice_id=notice, channel="call", status="sent", created_at=NOW)
    _new(conn, TASKS, delivery_id=delivery, notice_id=notice, customer_id=customer, kind="call",
         title="Call about INV-1", brief="", status="open", created_at=NOW, assignee=assignee,
         due_on=due)  # fmt: skip


def _promise(conn: Connection, customer: int, actor: str, due: date, status: str) -> None:
    _new(conn, PROMISES, customer_id=customer, currency="CNY", amount_minor=5_000_00, made_on=TODAY,
         due_on=due, status=status, actor=actor, created_at=NOW, grace_days=2)  # fmt: skip


def _office(engine: Engine) -> None:
    with engine.begin() as conn:
        for login in ("wang", "li"):
            add_user(conn, login=login, role=Role.SALES, password="a long enough password", actor="t", at=NOW)
        mine, theirs = _customer(conn, "C1", "wang"), _customer(conn, "C2", "li")
        for customer, actor, day in ((mine, "wang", 18), (theirs, "li", 19)):
            _new(conn, ACTIVITIES, customer_id=customer, kind="call", at=NOW, follow_up_on=date(2026, 3, day),
                 actor=actor, created_at=NOW)  # fmt: skip
            _promise(conn, customer, actor, date(2026, 3, 20), "pending")
        _promise(conn, mine, "wang", date(2026, 3, 21), "kept")  # kept: no longer a date to watch
        _task(conn, mine, "wang", date(2026, 3, 17))


def test_the_feed_holds_the_users_events_and_no_one_elses(engine: Engine) -> None:
    _office(engine)
    with engine.begin() as conn:
        wang = get_user(conn, login="wang")
        found = calendar.events(conn, user=wang, today=TODAY)
        parsed = Calendar.from_ical(calendar.ics(found, user=wang, stamp=NOW))
    entries = [(e.decoded("dtstart"), str(e["summary"])) for e in parsed.walk("VEVENT")]
    assert entries == [
        (date(2026, 3, 17), "待办到期：Call about INV-1（C1 Ltd (C1)）"),
        (date(2026, 3, 18), "跟进 C1 Ltd (C1)"),
        (date(2026, 3, 20), "C1 Ltd (C1) 承诺付款 ¥5,000.00"),
    ]
    assert len({e["uid"] for e in parsed.walk("VEVENT")}) == 3


def test_the_feed_is_opened_by_its_token_and_closed_by_revoking_it(sqlite_engine: Engine) -> None:
    _office(sqlite_engine)
    with sqlite_engine.begin() as conn:
        secret = calendar.make_token(conn, login="li", actor="t", at=NOW)
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        answer = client.get(f"/calendar/{secret}.ics")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/calendar")
        summaries = [str(e["summary"]) for e in Calendar.from_ical(answer.content).walk("VEVENT")]
        assert summaries == ["跟进 C2 Ltd (C2)", "C2 Ltd (C2) 承诺付款 ¥5,000.00"]
        assert client.get(f"/calendar/{secret[:-1]}x.ics").status_code == 404
        with sqlite_engine.begin() as conn:
            assert calendar.revoke_token(conn, login="li", actor="t", at=NOW)
        assert client.get(f"/calendar/{secret}.ics").status_code == 404
