"""Rows the workspace's tests write as the run, the worker and the other helpers would leave them:
a run's task (through `outbox.create_task`), a broken promise, a logged contact."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, func, insert, select

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.delivery import outbox
from dunmore.delivery.models import DELIVERIES
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.models import NOTICES, POLICY_VERSIONS, RUNS
from dunmore.workspace.models import ACTIVITIES, PROMISES

PASSWORD = "a long enough password"


def at(day: str, hour: int = 2) -> datetime:
    """`hour` UTC on an ISO date (02:00 UTC is 10:00 in Shanghai, the creditor's day)."""
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=UTC)


def add_users(conn: Connection, *users: tuple[str, Role, list[str]]) -> None:
    for login, role, portfolios in users:
        add_user(
            conn,
            login=login,
            role=role,
            password=PASSWORD,
            portfolios=portfolios,
            actor="test",
            at=at("2026-01-01"),
        )


def place(conn: Connection, customer_id: int, *, portfolio: str, owner: str | None = None) -> None:
    conn.execute(
        CUSTOMERS.update().where(CUSTOMERS.c.id == customer_id).values(portfolio=portfolio, owner=owner)
    )


def _run(conn: Connection, as_of: date) -> int:
    version = conn.execute(select(func.max(POLICY_VERSIONS.c.id))).scalar()
    if version is None:
        row = {
            "version": 1,
            "fingerprint": "0" * 64,
            "source": "test",
            "text": "",
            "loaded_at": at("2026-01-01"),
        }
        version = conn.execute(
            insert(POLICY_VERSIONS).values(row).returning(POLICY_VERSIONS.c.id)
        ).scalar_one()
    sequence = int(conn.execute(select(func.coalesce(func.max(RUNS.c.sequence), 0))).scalar_one()) + 1
    row = {
        "sequence": sequence,
        "as_of": as_of,
        "policy_version_id": version,
        "committed_at": at(as_of.isoformat(), 0),
    }
    return int(conn.execute(insert(RUNS).values(row).returning(RUNS.c.id)).scalar_one())


def add_run_task(
    conn: Connection, customer_id: int, day: str, *, channel: str = "call", title: str = "Call"
) -> int:
    """A run on `day` with a notice whose `channel` delivery the worker turned into a task."""
    as_of = date.fromisoformat(day)
    notice: dict[str, Any] = {
        "run_id": _run(conn, as_of), "as_of": as_of, "customer_id": customer_id, "currency": "CNY",
        "kind": "level", "step": "second-overdue", "policy": "standard", "level": 2, "status": "committed",
    }  # fmt: skip
    notice_id = conn.execute(insert(NOTICES).values(notice).returning(NOTICES.c.id)).scalar_one()
    delivery = {"notice_id": notice_id, "channel": channel, "status": "sending", "created_at": at(day, 0)}
    delivery_id = conn.execute(insert(DELIVERIES).values(delivery).returning(DELIVERIES.c.id)).scalar_one()
    claimed = outbox.Claimed(delivery_id, notice_id, channel, 1)
    return outbox.create_task(
        conn, claimed, customer_id=customer_id, title=title, brief="brief", now=at(day, 1)
    )


def add_broken_promise(
    conn: Connection, customer_id: int, *, amount_minor: int, due: str, decided: str, made: str = "2026-11-20"
) -> int:
    """A promise the run found broken on `decided` (as the promises helper's rule leaves it)."""
    row = {
        "customer_id": customer_id, "currency": "CNY", "amount_minor": amount_minor,
        "made_on": date.fromisoformat(made), "due_on": date.fromisoformat(due), "grace_days": 2,
        "status": "broken", "paid_minor": 0, "decided_on": date.fromisoformat(decided),
        "reason": "promise_broken", "actor": "li", "created_at": at(made),
    }  # fmt: skip
    return int(conn.execute(insert(PROMISES).values(row).returning(PROMISES.c.id)).scalar_one())


def log_contact(
    conn: Connection, customer_id: int, *, when: datetime, actor: str, follow_up: str | None = None,
    outcome: str = "reached",
) -> int:  # fmt: skip
    """A call as the activities helper logs it."""
    row = {
        "customer_id": customer_id, "kind": "call", "outcome": outcome, "at": when, "note": "",
        "actor": actor, "created_at": when,
        "follow_up_on": None if follow_up is None else date.fromisoformat(follow_up),
    }  # fmt: skip
    return int(conn.execute(insert(ACTIVITIES).values(row).returning(ACTIVITIES.c.id)).scalar_one())
