"""`dunmore contract …` on a story's database: K-1 of C1 is recorded, shown, approved by a colleague,
its delivery recorded, its signed PDF kept, and listed."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.cli.app import app
from dunmore.store.db import transaction
from tests.scenarios.story import Story

ENV = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en"}


def test_contracts_from_the_command_line(sqlite_engine: Engine, tmp_path: Path) -> None:
    story = Story(sqlite_engine)
    story.customer("C1", grade="B")
    with transaction(sqlite_engine) as conn:
        at, password = datetime(2026, 1, 1, tzinfo=UTC), "a long enough password"
        add_user(conn, login="boss", role=Role.MANAGER, password=password, actor="t", at=at)
        add_user(
            conn,
            login="wang",
            role=Role.COLLECTOR,
            password=password,
            portfolios=["default"],
            actor="t",
            at=at,
        )
    runner = CliRunner()

    def dunmore(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env=ENV)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    added = dunmore(
        "contract",
        "add",
        "C1",
        "K-1",
        "--title",
        "Line 3 press",
        "--signed",
        "2026-08-03",
        "--amount",
        "1000.01",
        "--currency",
        "CNY",
        "--terms",
        "30% signing; 70% delivery+30d",
        "--interest",
        "0.05 % per day",
        "--by",
        "wang",
    )
    assert "contract K-1 recorded: version 1 waits for approval" in added
    assert "remainder" in added
    assert "when" in added
    refused = dunmore(
        "contract",
        "add",
        "C1",
        "K-2",
        "--title",
        "x",
        "--signed",
        "2026-08-03",
        "--amount",
        "1",
        "--currency",
        "CNY",
        "--terms",
        "30% signing; 60% delivery",
        ok=False,
    )
    assert "sum to 90%, not 100%" in refused
    assert "whoever drafted" in dunmore("contract", "approve", "K-1", "--by", "wang", ok=False)
    assert "not a user who may approve" in dunmore("contract", "approve", "K-1", "--by", "nobody", ok=False)
    approved = dunmore("contract", "approve", "K-1", "--by", "boss", "--as-of", "2026-08-04")
    assert "invoice CT-K-1-1 issued" in approved
    assert "invoice CT-K-1-2 issued" in dunmore(
        "contract", "event", "K-1", "delivery", "--date", "2026-08-20"
    )
    pdf = tmp_path / "K-1 signed.pdf"
    pdf.write_bytes(b"%PDF-1.7\n% signed\n")
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() in dunmore("contract", "attach", "K-1", str(pdf))
    text = tmp_path / "notes.txt"
    text.write_bytes(b"not a contract")
    assert "only PDF, PNG, JPEG and WebP" in dunmore("contract", "attach", "K-1", str(text), ok=False)
    shown = json.loads(dunmore("contract", "show", "K-1", "--json"))
    assert (shown["status"], shown["approved_by"], shown["interest_terms"]) == (
        "approved",
        "boss",
        "0.05% per day",
    )
    assert [(line["due_on"], line["amount"], line["invoice"]) for line in shown["schedule"]] == [
        ("2026-08-03", "300.00", "CT-K-1-1"),
        ("2026-09-20", "700.01", "CT-K-1-2"),
    ]
    assert [f["filename"] for f in shown["files"]] == ["K-1 signed.pdf"]
    listed = json.loads(dunmore("contract", "list", "--customer", "C1", "--json"))
    assert [(c["number"], c["version"], c["status"]) for c in listed] == [("K-1", 1, "approved")]
    assert "no contract 'K-9'" in dunmore("contract", "show", "K-9", ok=False)
    good = tmp_path / "contracts.csv"
    good.write_text(
        "customer,number,title,signed_on,amount,currency,terms\nC1,K-2,Spares,2026-08-04,500,CNY,net 30\n"
    )
    assert "1 rows, 1 new, 0 changed, 0 unchanged (dry run" in dunmore(
        "contract", "import", str(good), "--dry-run"
    )
    assert "1 rows, 1 new" in dunmore("contract", "import", str(good))
    assert "1 rows, 0 new, 0 changed, 1 unchanged" in dunmore("contract", "import", str(good))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer,number,title,signed_on,amount,currency,terms\nC9,K-3,Spares,2026-08-04,500,CNY,net\n"
    )
    result = runner.invoke(app, ["--db", str(sqlite_engine.url), "contract", "import", str(bad)], env=ENV)
    assert result.exit_code == 2, result.output
    assert "line 2, column customer: no such customer" in result.output
