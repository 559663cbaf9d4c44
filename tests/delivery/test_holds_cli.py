"""A collector's hands on the outbox: a hold, a dispute and a cease-contact request, each set from the
command line after the run, stop what they must and only that."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.delivery.models import DELIVERIES
from dunmore.ledger.models import INVOICES
from tests.delivery.portfolio import CREDITOR_ENV, Debtor, overdue_portfolio
from tests.support.smtp import SmtpServer


def test_hold_dispute_and_cease_contact_from_the_command_line(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor() for _ in range(4)], channels="email, letter")
    url = str(sqlite_engine.url)
    env = CREDITOR_ENV | {
        "DUNMORE_SMTP__HOST": smtp_server.host,
        "DUNMORE_SMTP__PORT": str(smtp_server.port),
        "DUNMORE_DELIVERY__WINDOWS": "{}",
    }
    runner = CliRunner()

    def dunmore(*args: str) -> str:
        result = runner.invoke(app, ["--db", url, *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "C00001 on hold: no notices; 2 pending deliveries cancelled" in dunmore("hold", "C00001")
    assert "INV-00002: 100.00 disputed; 2 pending deliveries cancelled" in dunmore(
        "dispute", "INV-00002", "100.00"
    )
    assert "contact stopped, letter only; 1 pending delivery cancelled" in dunmore("cease-contact", "C00003")
    with sqlite_engine.connect() as conn:  # before any worker ran
        before = conn.execute(select(DELIVERIES.c.status).order_by(DELIVERIES.c.id)).scalars().all()
    assert before == ["cancelled"] * 5 + ["pending"] * 3
    refused = runner.invoke(app, ["--db", url, "dispute", "INV-00004", "99999.00"], env=env)
    assert refused.exit_code != 0
    assert "between 0 and the invoice's amount 1234.50 CNY" in refused.output
    missing = runner.invoke(app, ["--db", url, "hold", "C99999"], env=env)
    assert missing.exit_code != 0
    assert "no customer 'C99999'" in missing.output
    dunmore("worker", "--drain")

    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(DELIVERIES.c.channel, DELIVERIES.c.status).order_by(DELIVERIES.c.id)).all()
        in_dispute = conn.execute(select(INVOICES.c.disputed_minor).where(INVOICES.c.id == 2)).scalar_one()
    assert [tuple(row) for row in rows] == [
        ("email", "cancelled"), ("letter", "cancelled"),  # C00001 on hold
        ("email", "cancelled"), ("letter", "cancelled"),  # INV-00002 disputed after the notice
        ("email", "cancelled"), ("letter", "sent"),  # C00003: letters only
        ("email", "sent"), ("letter", "sent"),
    ]  # fmt: skip
    assert in_dispute == 10_000
    assert [m.rcpt_tos for m in smtp_server.messages] == [("ap+4@debtor.example.com",)]


def test_a_stored_notice_previews_in_any_language_and_channel(sqlite_engine: Engine, tmp_path: Path) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor()], channels="email, sms, letter")
    url = str(sqlite_engine.url)
    runner = CliRunner()

    def preview(*args: str) -> str:
        result = runner.invoke(app, ["--db", url, "notice", "preview", "1", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "INV-00001" in preview()  # the customer's language, the plain text
    assert "2026年11月23日" in preview()
    assert "23 November 2026" in preview("--lang", "en")
    assert preview("--channel", "sms", "--lang", "zh-TW").startswith("【")
    letter = tmp_path / "notice.pdf"
    assert "letter written to" in preview("--channel", "letter", "-o", str(letter))
    assert letter.read_bytes().startswith(b"%PDF")
    wrong = runner.invoke(app, ["--db", url, "notice", "preview", "1", "--channel", "fax"])
    assert wrong.exit_code != 0
    assert "use one of text, email, html, sms, letter" in wrong.output
    missing = runner.invoke(app, ["--db", url, "notice", "preview", "99"])
    assert missing.exit_code != 0
    assert "no notice 99" in missing.output
