"""`dunmore plan add|show|activate|cancel` and `dunmore plans list` on a story's database: C1 agrees
on 2026-09-05 to pay INV-1 in three monthly instalments, misses the second; a second plan is
proposed, activated and cancelled."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine
from typer.testing import CliRunner

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.cli.app import app
from dunmore.store.db import transaction
from tests.scenarios.story import Story

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ENV = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en"}


def test_plans_from_the_command_line(sqlite_engine: Engine) -> None:
    story = Story(sqlite_engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.invoice("INV-2", "C1", issued="2026-08-01", due="2026-09-10", amount="900.00")
    runner = CliRunner()

    def dunmore(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env=ENV)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    added = dunmore(
        "plan", "add", "C1", "--instalments", "3", "--first", "2026-09-15", "--invoices", "INV-1",
        "--as-of", "2026-09-05",
    )  # fmt: skip
    assert "plan 1: C1, 10000.00 CNY, active" in added
    shown = json.loads(dunmore("plan", "show", "1", "--json"))
    assert [(i["due_on"], i["amount"]) for i in shown["instalments"]] == [
        ("2026-09-15", "3333.33"),
        ("2026-10-15", "3333.33"),
        ("2026-11-16", "3333.34"),
    ]
    assert "add up" in dunmore(
        "plan",
        "add",
        "C1",
        "--invoices",
        "INV-2",
        "--at",
        "2026-09-20=100",
        "--as-of",
        "2026-09-05",
        ok=False,
    )
    story.pay("PAY-1", "C1", on="2026-09-15", amount="3333.33", invoice="INV-1")
    story.run("2026-10-20")
    listed = json.loads(dunmore("plans", "list", "--customer", "C1", "--json"))
    assert [(p["status"], p["reason"], p["paid"]) for p in listed] == [
        ("broken", "plan_instalment_missed", "3333.33")
    ]
    second = dunmore(
        "plan", "add", "C1", "--invoices", "INV-2", "--at", "2026-10-25=400", "--at", "2026-11-25=500",
        "--proposed", "--as-of", "2026-10-20",
    )  # fmt: skip
    assert "plan 2: C1, 900.00 CNY, proposed" in second
    assert "plan 2 active" in dunmore("plan", "activate", "2")
    assert "plan 2 cancelled" in dunmore("plan", "cancel", "2", "--reason", "agreed by mistake")
    assert "plan 2 is cancelled" in dunmore("plan", "cancel", "2", "--reason", "again", ok=False)
    assert "--status 'open'" in dunmore("plans", "list", "--status", "open", ok=False)


def test_a_plan_agreed_with_its_fee_waived_waits_for_another_manager(sqlite_engine: Engine) -> None:
    """The run of 2026-09-16 charges C1 a fee of 50.00; waivers above 10.00 CNY need approval."""
    story = Story(sqlite_engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.run("2026-09-04")
    story.run("2026-09-16")
    with transaction(sqlite_engine) as conn:
        for login in ("boss", "chief"):
            add_user(
                conn, login=login, role=Role.MANAGER, password="a long enough password", actor="t", at=NOW
            )
    runner = CliRunner()
    env = ENV | {"DUNMORE_WORKSPACE__WAIVER_APPROVAL_MINOR": '{"CNY": 1000}'}

    def dunmore(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    added = dunmore(
        "plan", "add", "C1", "--instalments", "2", "--first", "2026-10-08", "--waive", "goodwill",
        "--by", "boss", "--as-of", "2026-09-18",
    )  # fmt: skip
    assert "plan 1: C1, 10000.00 CNY, waiting" in added
    assert "dunmore plan approve 1 --by" in added
    assert "asked for a waiver" in dunmore("plan", "approve", "1", "--by", "boss", ok=False)
    assert "asked with plan 1" in dunmore("waive", "approve", "1", "--by", "chief", ok=False)
    assert "plan 1: active" in dunmore("plan", "approve", "1", "--by", "chief", "--as-of", "2026-09-19")
    assert [text.split("open ")[1] for text in story.charges().values()] == ["0.00"]
