"""The run's tasks: owned by the customer's owner, due on the run's date, completed with an outcome,
reassigned within reach, and escalated to the managers once when overdue; on the command line too."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from dunmore.access.service import get_user
from dunmore.access.values import Role
from dunmore.cli.app import app
from dunmore.errors import BadArgument, NotFound
from dunmore.ledger.balances import refresh
from dunmore.store.db import transaction
from dunmore.workspace.models import ACTIVITIES, ALERTS
from dunmore.workspace.tasks import assign, complete, escalate, get_task, list_tasks
from tests.store.ledger_rows import add_customer, add_invoice
from tests.workspace.worklist_rows import add_run_task, add_users, at, place


def _two_customers(engine: Engine) -> tuple[int, int]:
    """E1 (portfolio east, owner Li) with a call task of the run of 12-01; W1 (west) with a visit."""
    with transaction(engine) as conn:
        add_users(
            conn,
            ("li", Role.COLLECTOR, ["east"]),
            ("zhao", Role.COLLECTOR, ["east"]),
            ("wang", Role.COLLECTOR, ["west"]),
            ("boss", Role.MANAGER, []),
        )
        east, west = add_customer(conn, "E1"), add_customer(conn, "W1")
        place(conn, east, portfolio="east", owner="Li")
        place(conn, west, portfolio="west", owner="nobody")
        add_invoice(conn, "E1-1", east, "2026-10-01", "2026-11-01", 1_000_00)
        refresh(conn, as_of=date(2026, 12, 1))
        return add_run_task(conn, east, "2026-12-01"), add_run_task(conn, west, "2026-12-01", channel="visit")


def test_a_task_is_the_owner_s_completed_with_an_outcome_and_logged(engine: Engine) -> None:
    call, visit = _two_customers(engine)
    with transaction(engine) as conn:
        li = get_user(conn, login="li")
        assert [(t.id, t.assignee, t.due_on) for t in list_tasks(conn, user=li)] == [
            (call, "li", date(2026, 12, 1))
        ]
        with pytest.raises(NotFound):
            get_task(conn, user=li, task_id=visit)  # west is not Li's: not found, never forbidden
        with pytest.raises(BadArgument, match="'maybe' is not an active outcome code"):
            complete(conn, user=li, task_id=call, outcome="maybe", at=at("2026-12-02"))
        activity = complete(
            conn, user=li, task_id=call, outcome="reached", note="pays Friday", at=at("2026-12-02")
        )
        logged = conn.execute(select(ACTIVITIES).where(ACTIVITIES.c.id == activity)).one()
        assert (logged.kind, logged.outcome, logged.task_id, logged.actor, logged.note) == (
            "call", "reached", call, "li", "pays Friday",
        )  # fmt: skip
        assert list_tasks(conn, user=li) == []
        assert [t.id for t in list_tasks(conn, user=li, status="done")] == [call]
        with pytest.raises(BadArgument, match="already done"):
            complete(conn, user=li, task_id=call, outcome="reached", at=at("2026-12-02"))


def test_a_task_goes_only_to_a_user_who_reaches_its_customer(engine: Engine) -> None:
    call, _visit = _two_customers(engine)
    with transaction(engine) as conn:
        li = get_user(conn, login="li")
        with pytest.raises(BadArgument, match="cannot work task"):
            assign(conn, user=li, task_id=call, to="wang", at=at("2026-12-02"))
        assert assign(conn, user=li, task_id=call, to="Zhao", at=at("2026-12-02")).assignee == "zhao"
        zhao = get_user(conn, login="zhao")
        assert [t.id for t in list_tasks(conn, user=zhao, assignee="zhao")] == [call]


def test_overdue_tasks_alert_the_managers_once(engine: Engine) -> None:
    call, visit = _two_customers(engine)
    with transaction(engine) as conn:
        assert (
            escalate(conn, as_of=date(2026, 12, 3), after_days=2, at=at("2026-12-03"), actor="cli:ops") == []
        )
        assert escalate(
            conn, as_of=date(2026, 12, 4), after_days=2, at=at("2026-12-04"), actor="cli:ops"
        ) == [
            call,
            visit,
        ]
        assert (
            escalate(conn, as_of=date(2026, 12, 5), after_days=2, at=at("2026-12-05"), actor="cli:ops") == []
        )
        alerts = conn.execute(
            select(ALERTS.c.recipient, ALERTS.c.kind, ALERTS.c.params).order_by(ALERTS.c.id)
        ).all()
    assert [(a.recipient, a.kind) for a in alerts] == [("boss", "task_overdue")] * 2
    assert json.loads(alerts[0].params)["customer"] == "E1"


def test_worklist_and_tasks_on_the_command_line(sqlite_engine: Engine) -> None:
    call, _visit = _two_customers(sqlite_engine)
    runner = CliRunner()

    def dunmore(*args: str) -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args])
        assert result.exit_code == 0, result.output
        return result.output

    listed = json.loads(dunmore("worklist", "--user", "li", "--as-of", "2026-12-02", "--json"))
    assert [(line["customer"], line["section"], line["task_id"]) for line in listed["lines"]] == [
        ("E1", "task", call)
    ]
    assert "call task from the run of 12-01" in dunmore("worklist", "--user", "li", "--as-of", "2026-12-02")
    tasks = json.loads(dunmore("tasks", "list", "--json"))
    assert {task["customer"] for task in tasks} == {"E1", "W1"}
    assert f"task {call} assigned to zhao" in dunmore(
        "tasks", "assign", str(call), "--to", "zhao", "--user", "li"
    )
    assert f"task {call} done (no_answer)" in dunmore(
        "tasks", "done", str(call), "--outcome", "no_answer", "--user", "zhao"
    )
    assert "1 overdue tasks escalated" in dunmore("tasks", "escalate", "--as-of", "2026-12-09")
    failed = runner.invoke(
        app, ["--db", str(sqlite_engine.url), "tasks", "done", str(call), "--outcome", "x", "--user", "li"]
    )
    assert failed.exit_code != 0
