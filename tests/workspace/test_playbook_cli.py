"""The call playbook from the terminal: shown per reason and language, rewritten, loaded from a YAML
file (all or none), reset; and `dunmore activity add` naming the command a promise or a dispute
needs next."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from dunmore.cli import activities as activities_cli
from dunmore.cli import playbook as cli
from dunmore.cli.app import app
from tests.store.ledger_rows import add_customer

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


@pytest.fixture
def dunmore(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> object:
    with sqlite_engine.begin() as conn:
        add_customer(conn, "C1")
    runner = CliRunner()
    monkeypatch.setattr(cli, "_now", lambda: NOW)
    monkeypatch.setattr(activities_cli, "_now", lambda: NOW)
    monkeypatch.setattr(activities_cli, "business_today", lambda settings: NOW.date())

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env={"DUNMORE_LANG": "en"})
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    return run


def test_show_set_reset_and_load_the_playbook(dunmore: object, tmp_path: Path) -> None:
    run = dunmore
    assert callable(run)
    shown = json.loads(run("playbook", "show", "--reason", "cash_flow", "--json"))
    assert [(a["language"], a["shipped"]) for a in shown] == [("zh-CN", True), ("zh-TW", True), ("en", True)]
    assert "分期付款计划" in shown[0]["text"]
    assert "payment plan" in run("playbook", "show", "--reason", "cash_flow", "--lang", "en")
    run("playbook", "set", "cash_flow", "--lang", "en", "--text", "Offer three monthly instalments.")
    edited = json.loads(run("playbook", "show", "--reason", "cash_flow", "--lang", "en", "--json"))
    assert edited[0]["text"] == "Offer three monthly instalments."
    assert edited[0]["edited_by"].startswith("cli:")
    refused = run(
        "playbook", "set", "refuses", "--lang", "en", "--text", "The police will arrest you.", ok=False
    )
    assert "arrest" in refused
    file = tmp_path / "playbook.yaml"
    file.write_text(
        "forgot:\n  zh-TW: 詢問付款日期。\n  en: Ask for the date.\nrefuses:\n  en: We will sue.\n",
        encoding="utf-8",
    )
    assert "legal_action" in run("playbook", "load", str(file), ok=False)
    assert json.loads(run("playbook", "show", "--reason", "forgot", "--lang", "en", "--json"))[0]["shipped"]
    file.write_text("forgot:\n  zh-TW: 詢問付款日期。\n  en: Ask for the date.\n", encoding="utf-8")
    assert "2 answers written" in run("playbook", "load", str(file))
    assert "詢問付款日期。" in run("playbook", "show", "--reason", "forgot", "--lang", "zh-TW")
    run("playbook", "reset", "cash_flow", "--lang", "en")
    assert json.loads(run("playbook", "show", "--reason", "cash_flow", "--lang", "en", "--json"))[0][
        "shipped"
    ]


def test_a_promised_or_disputed_contact_names_the_next_command(dunmore: object) -> None:
    run = dunmore
    assert callable(run)
    promised = run("activity", "add", "C1", "--kind", "call", "--outcome", "promised")
    assert "dunmore promise add C1 --amount AMOUNT --by DATE" in promised
    disputed = run("activity", "add", "C1", "--kind", "call", "--outcome", "disputed")
    assert "dunmore dispute open INVOICE AMOUNT" in disputed
    assert "dunmore" not in run("activity", "add", "C1", "--kind", "call", "--outcome", "reached")
