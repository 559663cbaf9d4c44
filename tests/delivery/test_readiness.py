"""A worker refuses to send as the demo creditor from a business's own database, and names every
setting it needs; on the demo database it starts with the demo's values and says where e-mails go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.delivery.models import DELIVERIES
from dunmore.delivery.readiness import check, sending_problems, start_notes
from dunmore.settings import Settings
from dunmore.store.db import transaction
from dunmore.store.meta import mark_demo
from tests.delivery.portfolio import CREDITOR_ENV, Debtor, overdue_portfolio
from tests.support.smtp import SmtpServer

CONFIGURED: dict[str, Any] = {
    "creditor": {
        "name": "上海明远精密机械有限公司",
        "address": ["上海市浦东新区张江路 1288 号"],
        "email": "ar@mingyuan.example.cn",
    },
    "smtp": {"host": "smtp.mingyuan.example.cn"},
    "sms": {"adapter": "webhook", "url": "https://sms-gateway.example/send"},
}


def settings(**groups: dict[str, Any]) -> Settings:
    """Settings from these values only: neither the environment nor a dunmore.toml is read."""
    return Settings.model_validate(groups)


def test_out_of_the_box_settings_name_every_setting_sending_needs() -> None:
    problems = sending_problems(settings(), channels={"email", "sms", "letter"}, demo=False)
    assert [(p.what, p.key) for p in problems] == [
        ("creditor name", "creditor.name"),
        ("creditor address", "creditor.address"),
        ("creditor e-mail", "creditor.email"),
        ("SMTP host", "smtp.host"),
        ("SMS gateway", "sms.adapter and sms.url"),
    ]
    shown = [str(p) for p in problems]
    assert shown[0] == (
        "creditor name is still the demo's 'Dunmore Demo Trading Co., Ltd.': set DUNMORE_CREDITOR__NAME "
        "or creditor.name in dunmore.toml"
    )
    assert "DUNMORE_CREDITOR__ADDRESS" in shown[1]
    assert "'ar@example.com'" in shown[2]
    assert "DUNMORE_SMTP__HOST" in shown[3]
    assert "DUNMORE_SMS__ADAPTER (webhook or twilio) and DUNMORE_SMS__URL" in shown[4]


def test_a_channel_not_in_use_needs_no_setting() -> None:
    problems = sending_problems(settings(creditor=CONFIGURED["creditor"]), channels={"letter"}, demo=False)
    assert problems == []


def test_a_configured_business_may_send_on_every_channel() -> None:
    assert sending_problems(settings(**CONFIGURED), channels={"email", "sms", "letter"}, demo=False) == []


def test_twilio_names_each_credential_it_lacks() -> None:
    configured = settings(creditor=CONFIGURED["creditor"], sms={"adapter": "twilio", "account_sid": "AC1"})
    problems = sending_problems(configured, channels={"sms"}, demo=False)
    assert [p.env for p in problems] == ["DUNMORE_SMS__AUTH_TOKEN", "DUNMORE_SMS__SENDER"]


def test_the_demo_database_may_send_as_the_demo_and_says_where_e_mails_go() -> None:
    out_of_the_box = settings()
    channels = {"email", "sms"}
    assert sending_problems(out_of_the_box, channels=channels, demo=True) == []
    creditor, smtp, sms = map(str, start_notes(out_of_the_box, channels=channels, demo=True))
    assert "Dunmore Demo Trading Co., Ltd. <ar@example.com>" in creditor
    assert "e-mails go to 127.0.0.1:25; while nothing answers there each is retried" in smtp
    assert "DUNMORE_SMS__ADAPTER and __URL" in sms
    assert start_notes(settings(**CONFIGURED), channels=channels, demo=True) == []
    assert start_notes(out_of_the_box, channels=channels, demo=False) == []


def test_the_channels_in_use_are_the_queued_ones_and_the_policys(engine: Engine, tmp_path: Path) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor()], channels="sms, letter")
    with transaction(engine) as conn:
        ready = check(conn, settings(creditor=CONFIGURED["creditor"]))
        assert not ready.demo
        assert [p.what for p in ready.missing] == ["SMS gateway"]
        mark_demo(conn)
        ready = check(conn, settings())
    assert ready.demo
    assert ready.missing == ()
    assert len(ready.notes) == 2  # the demo creditor, and SMS without a gateway


def test_the_worker_refuses_to_send_as_the_demo_creditor_from_a_real_database(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor()], channels="email, sms")
    result = CliRunner().invoke(app, ["--db", str(sqlite_engine.url), "worker", "--drain"], env={})
    assert result.exit_code == 2
    assert "the worker will not send from this database (not the demo's) until 5 settings" in result.output
    for variable in ("CREDITOR__NAME", "CREDITOR__ADDRESS", "CREDITOR__EMAIL", "SMTP__HOST", "SMS__URL"):
        assert f"DUNMORE_{variable}" in result.output
    assert "Traceback" not in result.output
    with sqlite_engine.connect() as conn:
        assert set(conn.execute(select(DELIVERIES.c.status)).scalars()) == {"pending"}


def test_the_worker_on_the_demo_database_sends_to_127_0_0_1_and_says_so(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor()])
    with transaction(sqlite_engine) as conn:
        mark_demo(conn)
    env = {"DUNMORE_SMTP__PORT": str(smtp_server.port), "DUNMORE_DELIVERY__WINDOWS": "{}"}
    result = CliRunner().invoke(app, ["--db", str(sqlite_engine.url), "worker", "--drain"], env=env)
    assert result.exit_code == 0, result.output
    assert f"e-mails go to 127.0.0.1:{smtp_server.port}" in result.output
    assert "demo creditor Dunmore Demo Trading Co., Ltd." in result.output
    [mail] = smtp_server.messages
    assert "ar@example.com" in str(mail.message["From"])


def test_a_configured_worker_starts_without_notes(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor()])
    env = CREDITOR_ENV | {
        "DUNMORE_SMTP__HOST": smtp_server.host,
        "DUNMORE_SMTP__PORT": str(smtp_server.port),
        "DUNMORE_DELIVERY__WINDOWS": "{}",
    }
    result = CliRunner().invoke(app, ["--db", str(sqlite_engine.url), "worker", "--drain"], env=env)
    assert result.exit_code == 0, result.output
    assert "note:" not in result.output
    [mail] = smtp_server.messages
    assert "ar@mingyuan.example.cn" in str(mail.message["From"])
