"""`dunmore promise add|cancel` and `dunmore promises list|rate` on a story's database: C1 promises
on 2026-09-05 to pay INV-1 by 2026-09-20, breaks it, promises again and cancels."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from typer.testing import CliRunner

from dunmore.cli.app import app
from tests.scenarios.story import Story

ENV = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en"}


def test_promises_from_the_command_line(sqlite_engine: Engine) -> None:
    story = Story(sqlite_engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    runner = CliRunner()

    def dunmore(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env=ENV)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    added = dunmore(
        "promise",
        "add",
        "C1",
        "--amount",
        "4000.00",
        "--by",
        "2026-09-20",
        "--as-of",
        "2026-09-05",
        "--invoices",
        "INV-1",
        "--note",
        "CFO on the phone",
    )
    assert "C1 pays 4000.00 CNY by 2026-09-20 (paused until 2026-09-22)" in added
    assert "max_days_out" in dunmore(
        "promise", "add", "C1", "--amount", "1", "--by", "2026-12-20", "--as-of", "2026-09-05", ok=False
    )
    story.run("2026-09-23")
    listed = json.loads(dunmore("promises", "list", "--customer", "C1", "--json"))
    assert [(p["status"], p["reason"], p["invoices"]) for p in listed] == [
        ("broken", "promise_broken", ["INV-1"])
    ]
    second = dunmore("promise", "add", "C1", "--amount", "100", "--by", "2026-09-30", "--as-of", "2026-09-24")
    assert "promise 2" in second
    assert "promise 2 cancelled" in dunmore("promise", "cancel", "2", "--reason", "recorded twice")
    assert "only a pending promise" in dunmore("promise", "cancel", "2", "--reason", "again", ok=False)
    rates = json.loads(dunmore("promises", "rate", "--by", "customer", "--json"))
    assert rates == [{"key": "C1", "kept": 0, "partial": 0, "broken": 1, "decided": 1, "kept_rate": "0.0000"}]
    assert "--by 'team'" in dunmore("promises", "rate", "--by", "team", ok=False)
