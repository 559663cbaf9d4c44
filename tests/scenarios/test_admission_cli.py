"""`dunmore credit apply|attach|applications|approve|reject|signal|orders` on a story's database: C1,
a new customer, applies for 300,000.00 CNY on net 30; the drafter cannot approve, a manager does and
`credit check` answers from the new limit; an orders file pushes the exposure over it; a signal of
insolvency holds C1's credit."""

from __future__ import annotations

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

ENV = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en", "DUNMORE_LANG": "en"}


def test_credit_admission_from_the_command_line(sqlite_engine: Engine, tmp_path: Path) -> None:
    story = Story(sqlite_engine, policy=None)
    story.customer("C1")
    with transaction(sqlite_engine) as conn:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        add_user(conn, login="boss", role=Role.MANAGER, password="a long enough password", actor="t", at=at)
    runner = CliRunner()

    def dunmore(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env=ENV)
        assert result.exit_code == code, result.output
        return result.output

    applied = dunmore(
        "credit", "apply", "C1", "--limit", "300000.00", "--terms", "net 30", "--currency", "CNY",
        "--years", "8", "--capital", "5000000.00", "--report-score", "80", "--by", "wang",
    )  # fmt: skip
    assert "credit application 1 drafted for C1" in applied
    statement = tmp_path / "balance-2025.pdf"
    statement.write_bytes(b"%PDF-1.4\n% balance sheet\n")
    assert "balance-2025.pdf kept, SHA-256" in dunmore(
        "credit", "attach", "1", str(statement), "--by", "wang"
    )
    [draft] = json.loads(dunmore("credit", "applications", "--status", "draft", "--json"))
    assert (draft["kind"], draft["limit"], draft["facts"]["registered_capital_minor"]) == (
        "new",
        "300000.00",
        500_000_000,
    )
    assert "credit.manage" in dunmore("credit", "approve", "1", "--by", "wang", code=5)
    assert "credit application 1 approved" in dunmore("credit", "approve", "1", "--by", "boss")
    listed = dunmore("credit", "applications", "--status", "approved")
    assert "C1" in listed
    assert "net 30" in listed
    assert "OK: 250000.00 CNY within the credit limit of 300000.00" in dunmore(
        "credit", "check", "C1", "250000.00"
    )

    orders = tmp_path / "orders.csv"
    orders.write_text(
        "客户编号,订单号,订单日期,币种,金额\nC1,SO-1,2026-03-01,CNY,100000.00\n", encoding="utf-8"
    )
    assert "orders.csv: 1 open orders (0 before)" in dunmore("credit", "orders", str(orders))
    over = json.loads(dunmore("credit", "check", "C1", "250000.00", "--json", code=8))
    assert (over["exposure"], over["over"]) == ("100000.00", "50000.00")

    signal = dunmore(
        "credit", "signal", "C1", "--kind", "insolvency", "--date", "2026-03-01", "--as-of", "2026-03-02",
        "--note", "bankruptcy petition", "--by", "wang",
    )  # fmt: skip
    assert "risk signal recorded for C1: 1 alerts" in signal
    assert "C1 is on credit hold" in signal
    held = dunmore("credit", "check", "C1", "1.00", code=9)
    assert "risk signal: insolvency" in held
