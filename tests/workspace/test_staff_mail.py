"""Alerts e-mailed to staff through their outbox, against a real SMTP server (aiosmtpd): at once for
who chose it, as one digest a day for who chose that, each in the reader's language."""

# The fixture is imported from tests.support and named as a test parameter, which F811 reports.
# ruff: noqa: F811

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import Connection, Engine, select

from dunmore.access.service import add_user, set_language
from dunmore.access.values import Language, Role
from dunmore.delivery.channels.email import SmtpChannel
from dunmore.errors import BadArgument
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.alerts import raise_alert
from dunmore.workspace.mail_models import ALERT_MAILS
from dunmore.workspace.staff_mail import From, queue_digests, send_due, set_email
from tests.support.smtp import SmtpServer, smtp_server  # noqa: F401  (the fixture)

AT = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai, on 2026-12-07
SENDER = From("ar@dunmore.test", "Dunmore")
PARAMS: dict[str, str | int] = {"invoice": "INV-9", "amount_minor": 20_000_000, "currency": "CNY",
                                "due_on": "2026-12-06"}  # fmt: skip


def _office(conn: Connection) -> int:
    for login, role in (("wang", Role.SALES), ("boss", Role.MANAGER), ("chen", Role.MANAGER)):
        add_user(conn, login=login, role=role, password="a long enough password", actor="test", at=AT)
    set_language(conn, login="boss", language=Language.EN, actor="test", at=AT)
    set_language(conn, login="chen", language=Language.ZH_TW, actor="test", at=AT)
    set_email(conn, login="boss", address="boss@dunmore.test", mode="immediate", actor="test", at=AT)
    set_email(conn, login="wang", address="wang@dunmore.test", mode="digest", actor="test", at=AT)
    set_email(conn, login="chen", address="chen@dunmore.test", mode="none", actor="test", at=AT)
    return int(
        conn.execute(
            CUSTOMERS.insert()
            .values(external_id="C1", name="华东贸易", owner="wang")
            .returning(CUSTOMERS.c.id)
        ).scalar_one()
    )


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _send(engine: Engine, server: SmtpServer) -> tuple[int, int, int]:
    tally = send_due(engine, channel=lambda: SmtpChannel(server.config()), sender=SENDER, now=lambda: AT)
    return tally.sent, tally.retried, tally.failed


def test_an_alert_is_mailed_at_once_to_who_chose_it_in_their_language(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    with engine.begin() as conn:
        customer = _office(conn)
        raise_alert(conn, kind="high_value_overdue", key="hv:9", customer_id=customer, params=PARAMS, at=AT)
    assert _send(engine, smtp_server) == (1, 0, 0)
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ("boss@dunmore.test",)
    assert mail.message["Subject"] == "Dunmore alert: High-value invoice overdue · 华东贸易 (C1)"
    body = _text(mail.message)
    assert "Invoice INV-9 of 华东贸易 (C1) (CN¥200,000.00) is overdue since Dec 6, 2026" in body
    assert _send(engine, smtp_server) == (0, 0, 0)  # sent once


def test_the_digest_gathers_the_days_alerts_once_per_user(engine: Engine, smtp_server: SmtpServer) -> None:
    with engine.begin() as conn:
        customer = _office(conn)
        raise_alert(conn, kind="high_value_overdue", key="hv:9", customer_id=customer, params=PARAMS, at=AT)
        raise_alert(conn, kind="dispute_opened", key="d:1", customer_id=customer, at=AT + timedelta(hours=2),
                    params={"invoice": "INV-9", "amount_minor": 50_000, "currency": "CNY"})  # fmt: skip
        raise_alert(conn, kind="dispute_opened", key="d:2", customer_id=customer, at=AT + timedelta(days=1),
                    params={"invoice": "INV-9", "amount_minor": 60_000, "currency": "CNY"})  # fmt: skip
        day = date(2026, 12, 7)
        assert queue_digests(conn, day=day, zone="Asia/Shanghai", at=AT + timedelta(hours=12)) == 1
        assert queue_digests(conn, day=day, zone="Asia/Shanghai", at=AT + timedelta(hours=12)) == 0
        mails = sorted(conn.execute(select(ALERT_MAILS.c.recipient, ALERT_MAILS.c.key)).all())
    # boss's three alerts went out at once; wang's wait for the digest; chen wants no mail
    assert [(who, key.split(":")[0]) for who, key in mails] == [("boss", "alert")] * 3 + [("wang", "digest")]
    assert mails[-1].key == "digest:wang:2026-12-07"
    smtp_server.messages.clear()
    assert _send(engine, smtp_server) == (4, 0, 0)
    [digest] = [m for m in smtp_server.messages if m.rcpt_tos == ("wang@dunmore.test",)]
    assert digest.message["Subject"] == "Dunmore：2026年12月7日 的 2 条提醒"
    body = _text(digest.message)
    assert (
        "- 大额发票逾期: 华东贸易 (C1) 的大额发票 INV-9（¥200,000.00）已于2026年12月6日到期，现已逾期" in body
    )
    assert "华东贸易 (C1) 对发票 INV-9 的 ¥500.00 提出争议" in body
    assert "¥600.00" not in body  # the next day's alert waits for the next digest


def test_an_address_is_checked(engine: Engine) -> None:
    with engine.begin() as conn:
        _office(conn)
        with pytest.raises(BadArgument):
            set_email(conn, login="wang", address="not an address", mode="digest", actor="test", at=AT)
        with pytest.raises(BadArgument):
            set_email(conn, login="wang", address="wang@x.cn", mode="hourly", actor="test", at=AT)


def test_the_worker_sends_staff_mail_beside_the_notices(engine: Engine, smtp_server: SmtpServer) -> None:
    from dunmore.delivery.worker import Outlets, Worker
    from tests.delivery.test_worker import TEMPLATES, settings

    with engine.begin() as conn:
        customer = _office(conn)
        raise_alert(conn, kind="high_value_overdue", key="hv:9", customer_id=customer, params=PARAMS, at=AT)
    outlets = Outlets(email=lambda: SmtpChannel(smtp_server.config()))
    tally = Worker(engine, settings(), templates=TEMPLATES, outlets=outlets, clock=lambda: AT).run(drain=True)
    assert (tally.staff_mail.sent, [m.rcpt_tos for m in smtp_server.messages]) == (
        1,
        [("boss@dunmore.test",)],
    )
