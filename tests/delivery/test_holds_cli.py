"""A collector's hands on the outbox: a hold, a dispute and a cease-contact request, each set from the
command line after the run, stop what they must and only that."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.delivery.models import DELIVERIES
from dunmore.ledger.models import INVOICES
from tests.delivery.portfolio import Debtor, overdue_portfolio
from tests.support.smtp import SmtpServer


def test_hold_dispute_and_cease_contact_from_the_command_line(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor() for _ in range(4)], channels="email, letter")
    url = str(sqlite_engine.url)
    env = {
        "DUNMORE_SMTP__HOST": smtp_server.host,
        "DUNMORE_SMTP__PORT": str(smtp_server.port),
        "DUNMORE_DELIVERY__WINDOWS": "{}",
    }
    runner = CliRunner()

    def dunmore(*args: str) -> str:
        result = runner.invoke(app, ["--db", url, *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    dunmore("hold", "C00001")
    dunmore("dispute", "INV-00002", "100.00")
    dunmore("cease-contact", "C00003")
    refused = runner.invoke(app, ["--db", url, "dispute", "INV-00004", "99999.00"], env=env)
    assert refused.exit_code != 0
    assert "between 0 and the invoice's amount 1234.50 CNY" in refused.output
    missing = runner.invoke(app, ["--db", url, "hold", "C99999"], env=env)
    assert missing.exit_code != 0
    assert "no customer 'C99999'" in missing.output
    dunmore("worker", "--drain")

    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(DELIVERIES.c.channel, DELIVERIES.c.status).order_by(DELIVERIES.c.id)).all()
        disputed = conn.execute(select(INVOICES.c.disputed_minor).where(INVOICES.c.id == 2)).scalar_one()
    assert [tuple(row) for row in rows] == [
        ("email", "cancelled"), ("letter", "cancelled"),  # C00001 on hold
        ("email", "cancelled"), ("letter", "cancelled"),  # INV-00002 disputed after the notice
        ("email", "cancelled"), ("letter", "sent"),  # C00003: letters only
        ("email", "sent"), ("letter", "sent"),
    ]  # fmt: skip
    assert disputed == 10_000
    assert [m.rcpt_tos for m in smtp_server.messages] == [("ap+4@debtor.example.com",)]
