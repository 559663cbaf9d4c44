"""`dunmore statements issue|send|remind|list` and `dunmore statement show|pdf` on a story's database:
C1 (星河电子, zh-TW) owes INV-1 and pays part of it in November; its statement is issued, e-mailed
with the PDF to a real SMTP server, re-issued as version 2, and reminded once."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, insert, select, update
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.ledger.models import CONTACTS, CUSTOMERS
from dunmore.store.db import transaction
from tests.scenarios.story import Story
from tests.support.smtp import SmtpServer

ENV = {
    "DUNMORE_TIMEZONE": "Asia/Shanghai",
    "DUNMORE_LANGUAGE": "en",
    "DUNMORE_CREDITOR__EMAIL": "ar@creditor.example",
}


def test_statements_from_the_command_line(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    story = Story(sqlite_engine)
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-10-20", due="2026-11-05", amount="10000.00")
    story.pay("PAY-1", "C1", on="2026-11-10", amount="1500.00")
    with transaction(sqlite_engine) as conn:
        conn.execute(update(CUSTOMERS).values(language="zh-TW", name="星河電子"))
        customer_id = conn.execute(select(CUSTOMERS.c.id)).scalar_one()
        conn.execute(
            insert(CONTACTS).values(customer_id=customer_id, email="ap@debtor.example", is_primary=True)
        )
    env = ENV | {"DUNMORE_SMTP__HOST": smtp_server.host, "DUNMORE_SMTP__PORT": str(smtp_server.port)}
    runner = CliRunner()

    def dunmore(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    issued = dunmore("statements", "issue", "--period", "2026-11", "--as-of", "2026-12-01")
    assert "1 statements issued for 2026-11-01 – 2026-11-30, 1 queued by e-mail" in issued
    assert "2026-13" in dunmore("statements", "issue", "--period", "2026-13", ok=False)
    assert "before 2026-11-30" in dunmore(
        "statements", "issue", "--period", "2026-11", "--as-of", "2026-11-20", ok=False
    )
    assert "1 sent" in dunmore("statements", "send")
    [received] = smtp_server.messages
    assert received.rcpt_tos == ("ap@debtor.example",)
    assert "對帳單" in str(received.message["Subject"])
    [attached] = list(received.message.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content().startswith(b"%PDF")
    dunmore("statements", "issue", "--period", "2026-11", "--as-of", "2026-12-02", "--customers", "C1")
    listed = json.loads(dunmore("statements", "list", "--period", "2026-11", "--json"))
    assert [(s["id"], s["version"], s["closing"], s["status"]) for s in listed] == [
        (2, 2, "8500.00", "sent"),
        (1, 1, "8500.00", "sent"),
    ]
    shown = json.loads(dunmore("statement", "show", "1", "--json"))
    assert [line["reference"] for line in shown["content"]["lines"]] == ["PAY-1"]
    assert "opening balance" in dunmore("statement", "show", "1")
    shown_in_chinese = runner.invoke(
        app, ["--db", str(sqlite_engine.url), "statement", "show", "1"], env=env | {"DUNMORE_LANG": "zh-TW"}
    ).output
    assert all(word in shown_in_chinese for word in ("期初餘額", "付款", "PAY-1")), shown_in_chinese
    assert "1 statements reminded, 0 lapsed" in dunmore("statements", "remind", "--as-of", "2026-12-09")
    assert "0 statements reminded, 2 lapsed" in dunmore("statements", "remind", "--as-of", "2026-12-20")
    assert "lapsed" in dunmore("statements", "list", "--status", "lapsed")
    dunmore("statement", "pdf", "2", "-o", str(tmp_path))  # -o / --output, as `letters print`; --out too
    assert (tmp_path / "statement-C1-2026-11-01-CNY-v2.pdf").read_bytes().startswith(b"%PDF")
    assert "not confirmed" in dunmore("statement", "pdf", "2", "--receipt", "--out", str(tmp_path), ok=False)
    assert "no statement 9" in dunmore("statement", "show", "9", ok=False)
