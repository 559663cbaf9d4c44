"""The customer's story from the terminal: a dated story of C1 told with `dunmore activity`, the
codes an operator adds, and the timeline printed, as JSON and as CSV (with a PDF of it too)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from dunmore.access.models import AUDIT_LOG
from dunmore.cli import activities as cli
from dunmore.cli.app import app
from dunmore.ledger.models import CONTACTS
from tests.store.ledger_rows import add_customer, add_payment

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def dunmore(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> object:
    with sqlite_engine.begin() as conn:
        c1 = add_customer(conn, "C1")
        conn.execute(CONTACTS.insert().values(customer_id=c1, name="Zhang Wei"))
        add_payment(conn, "PAY-1", c1, "2026-03-11", 50000)
    runner = CliRunner()
    clock = {"now": datetime(2026, 3, 10, 1, 0, tzinfo=UTC)}
    monkeypatch.setattr(cli, "_now", lambda: clock["now"])
    monkeypatch.setattr(cli, "business_today", lambda settings: clock["now"].date())

    def run(*args: str, ok: bool = True, at: str | None = None, lang: str = "en") -> str:
        if at is not None:
            clock["now"] = datetime.fromisoformat(at)
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env={"DUNMORE_LANG": lang})
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    return run


def test_a_call_with_no_answer_and_a_call_back_two_days_later(dunmore: object, tmp_path: Path) -> None:
    run = dunmore
    assert callable(run)
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(PDF)
    fake = tmp_path / "contract.pdf"
    fake.write_bytes(b"PK\x03\x04" + b"\x00" * 20)
    run("activity", "add", "C1", "--kind", "call", "--outcome", "call_back", "--follow-up", "2026-03-12",
        at="2026-03-10T01:00:00+00:00")  # fmt: skip
    refused = run("activity", "add", "C1", "--kind", "call", "--attach", str(fake), ok=False)
    assert "only PDF, PNG, JPEG and WebP" in refused
    call = ["activity", "add", "C1", "--kind", "call", "--outcome", "reached", "--reason", "cash_flow"]
    said = run(*call, "--contact", "zhang wei", "--attach", str(receipt), at="2026-03-12T02:00:00+00:00")
    assert "contact 2 logged on C1" in said
    events = json.loads(run("timeline", "C1", "--json"))
    assert [(e["kind"], e["status"], e["at"][:10]) for e in events] == [
        ("activity", "reached", "2026-03-12"),
        ("payment", None, "2026-03-11"),
        ("activity", "call_back", "2026-03-10"),
    ]
    assert events[0]["attachments"][0]["filename"] == "receipt.pdf"
    listed = json.loads(run("activity", "list", "C1", "--json"))
    assert [(a["outcome"], a["reason"], a["contact"]) for a in listed] == [
        ("reached", "cash_flow", "Zhang Wei"),
        ("call_back", None, None),
    ]
    out = tmp_path / "c1.csv"
    assert "2 events written" in run("timeline", "C1", "--kind", "activity", "--csv", str(out))
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Time", "Kind", "What happened"]
    assert [row[1] for row in rows[1:]] == ["Contact records"] * 2  # the kind said, not its code
    assert rows[1][2] == "Call, outcome: Reached; Zhang Wei; reason: Cash-flow difficulty"
    assert rows[2][2] == "Call, outcome: Call back on a date; follow up on 2026-03-12"
    assert len(rows) == 3
    printed = run("timeline", "C1", lang="zh-TW")  # every heading and kind in the reader's language
    assert all(word in printed for word in ("時間", "類型", "發生了什麼", "聯絡紀錄", "收款與貸項"))
    assert not any(word in printed for word in ("when", "what happened", "activity", "payment"))


def test_an_operator_adds_and_disables_a_code_and_each_is_audited(
    dunmore: object, sqlite_engine: Engine
) -> None:
    run = dunmore
    assert callable(run)
    run(
        "codes",
        "add",
        "reason",
        "bank_holiday",
        "--zh-cn",
        "银行假日",
        "--zh-tw",
        "銀行假日",
        "--en",
        "Bank holiday",
    )
    codes = json.loads(run("codes", "list", "--kind", "reason", "--json"))
    labels = {"zh-CN": "银行假日", "zh-TW": "銀行假日", "en": "Bank holiday"}
    assert codes[-1] == {"kind": "reason", "code": "bank_holiday", "active": True, "built_in": False} | {
        "labels": labels
    }
    run("codes", "disable", "reason", "bank_holiday")
    refused = run("activity", "add", "C1", "--kind", "note", "--reason", "bank_holiday", ok=False)
    assert "not an active reason code" in refused
    assert "built-in" in run("codes", "disable", "outcome", "reached", ok=False)
    with sqlite_engine.connect() as conn:
        actions = conn.execute(select(AUDIT_LOG.c.action).order_by(AUDIT_LOG.c.id)).scalars().all()
    assert actions == ["code.add", "code.disable"]
