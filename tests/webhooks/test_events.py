"""Events are emitted where their change happens, in its transaction, set-at-a-time, and only for
the types someone subscribed to; on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from dunmore.delivery import stops
from dunmore.run import service as run_service
from dunmore.store.db import transaction
from dunmore.webhooks import emit, service
from dunmore.webhooks.events import EVENT_TYPES
from dunmore.webhooks.models import WEBHOOK_DELIVERIES, WEBHOOK_EVENTS
from tests.delivery.portfolio import RUN_AT, Debtor, overdue_portfolio
from tests.scenarios.test_run_approvals import strict_story

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def subscribe(engine: Engine, *events: str, url: str = "https://erp.example.cn/in") -> int:
    with transaction(engine) as conn:
        return service.add(conn, url=url, events=events, now=NOW, actor="cli:ops").subscription.id


def stored(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    e = WEBHOOK_EVENTS.c
    with engine.connect() as conn:
        return [
            (row.type, json.loads(row.data)) for row in conn.execute(select(e.type, e.data).order_by(e.id))
        ]


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine sends, while the test runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def test_an_approval_is_a_notice_approved_event(engine: Engine, tmp_path: Path) -> None:
    story = strict_story(engine, tmp_path)
    subscribe(engine, "notice.approved")
    story.invoice("INV-2", "C1", issued="2026-09-01", due="2026-09-15", amount="1500.00")
    [review] = [n for n in story.run("2026-09-11") if n["status"] == "pending_approval"]
    assert stored(engine) == []  # the commit is not an approval
    story.approve(review["notice_id"], on="2026-09-14")
    assert stored(engine) == [
        (
            "notice.approved",
            {
                "notice_id": review["notice_id"], "run_id": 2, "as_of": "2026-09-11", "customer": "C1",
                "currency": "CNY", "step": "legal-review", "by": None,
            },
        )
    ]  # fmt: skip


def test_a_new_dispute_is_opened_once_and_a_changed_one_is_not_opened_again(
    engine: Engine, tmp_path: Path
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor()], channels="email")
    subscribe(engine, "dispute.opened")
    subscribe(engine, "dispute.opened", url="https://chat.example.cn/ar")
    for amount in ("300.00", "500.00", "0", "100.00"):
        with transaction(engine) as conn:
            stops.dispute(conn, invoice="INV-00001", amount=Decimal(amount), now=NOW, actor="cli:ops")
    opened = {"invoice": "INV-00001", "customer": "C00001", "currency": "CNY"}
    assert stored(engine) == [
        ("dispute.opened", opened | {"disputed": "300.00", "deliveries_cancelled": 1}),
        ("dispute.opened", opened | {"disputed": "100.00", "deliveries_cancelled": 0}),
    ]
    assert count(engine, WEBHOOK_DELIVERIES) == 4  # each event to each of the two subscribers


def test_an_event_nobody_wants_costs_one_look_up_and_stores_nothing(
    engine: Engine, statements: list[str]
) -> None:
    subscribe(engine, "run.committed")
    removed = subscribe(engine, "dispute.opened")
    with transaction(engine) as conn:
        service.remove(conn, removed, now=NOW, actor="cli:ops")
    statements.clear()

    def never() -> list[dict[str, Any]]:
        raise AssertionError("the data of an event nobody wants is never built")

    with transaction(engine) as conn:
        assert emit.emit(conn, "dispute.opened", never, now=NOW) == 0  # its one subscriber was removed
    assert len([s for s in statements if "webhook" in s]) == 1
    assert count(engine, WEBHOOK_EVENTS) == 0


def test_a_thousand_events_take_a_handful_of_statements(engine: Engine, statements: list[str]) -> None:
    subscribe(engine, "delivery.sent")
    subscribe(engine, "delivery.sent", url="https://chat.example.cn/ar")
    statements.clear()
    with transaction(engine) as conn:
        made = emit.emit(conn, "delivery.sent", lambda: [{"delivery_id": i} for i in range(1000)], now=NOW)
    assert made == 1000
    assert count(engine, WEBHOOK_EVENTS) == 1000
    assert count(engine, WEBHOOK_DELIVERIES) == 2000
    assert len(statements) <= 12, statements  # one by one would be 3,000
    assert stored(engine)[-1] == ("delivery.sent", {"delivery_id": 999})


def test_a_run_commits_with_its_event_or_not_at_all(engine: Engine, tmp_path: Path) -> None:
    """The event is written in the run's transaction: a run that fails to commit leaves none."""
    subscribe(engine, "run.committed")
    overdue_portfolio(engine, tmp_path, [Debtor()], channels="email")
    assert [kind for kind, _ in stored(engine)] == ["run.committed"]
    with pytest.raises(RuntimeError, match="fails after"):
        commit_then_fail(engine)
    assert [kind for kind, _ in stored(engine)] == ["run.committed"]


def commit_then_fail(engine: Engine) -> None:
    with transaction(engine) as conn:
        run_service.commit(conn, as_of=RUN_AT.date() + timedelta(days=1), today=RUN_AT.date(),
                           now=RUN_AT + timedelta(days=1), actor="system", templates_dir=None,
                           gate_templates=False)  # fmt: skip
        assert len(conn.execute(select(WEBHOOK_EVENTS.c.id)).all()) == 2
        raise RuntimeError("the caller fails after the commit's writes")


def test_every_event_type_reads_area_dot_past_tense() -> None:
    assert all(name.count(".") == 1 and name == name.lower() for name in EVENT_TYPES)
    assert set(EVENT_TYPES) >= {"run.committed", "notice.approved", "delivery.sent", "delivery.failed",
                                "dispute.opened"}  # fmt: skip
