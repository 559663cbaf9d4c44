"""Instalment reminders to the customer, told as a dated story of one customer under the standard
policy (examples/dunning.yaml: no `plans:` section, so the defaults: reminders on, 3 days before,
by e-mail) and the creditor's calendar of China.

C1 (an English-speaking customer with an e-mail contact) agrees on 2026-09-05 to pay INV-1's
10,000.00 CNY in three monthly instalments from 2026-09-15. Each unpaid instalment is announced to
the customer 3 days before its date and on it, once whatever the run day; a paid one is not; a
revert withdraws the run's reminders and the next run writes them again. The worker sends them
through the real SMTP test server, in the customer's language.
"""

# ruff: noqa: F811

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, update
from typer.testing import CliRunner

from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role
from dunmore.cli.app import app
from dunmore.delivery.channels.email import SmtpChannel
from dunmore.delivery.channels.fake import FakeSmsGateway
from dunmore.delivery.check import check_templates
from dunmore.delivery.models import DELIVERIES
from dunmore.delivery.render import Templates
from dunmore.delivery.uses import TemplateUse
from dunmore.delivery.worker import Outlets, Worker
from dunmore.ledger.models import CONTACTS, CUSTOMERS
from dunmore.run.instalment_notice_models import INSTALMENT_NOTICES
from dunmore.run.models import NOTICES
from dunmore.settings import load_settings
from dunmore.store.db import transaction
from dunmore.workspace import plans
from dunmore.workspace.plan_views import PlanView
from tests.scenarios.story import Story, day, morning
from tests.support.smtp import SmtpServer, smtp_server  # noqa: F401  (the fixture)

PASSWORD = "a long enough password"
ENV = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en"}


def _story(engine: Engine) -> tuple[Story, PlanView]:
    """C1 in English with ap@c1.example.com; INV-1 10,000.00 CNY due 2026-09-01; on 2026-09-05 a plan
    of three instalments: 3,333.33 on 2026-09-15, 3,333.33 on 2026-10-15, 3,333.34 on 2026-11-16."""
    story = Story(engine)
    story.customer("C1", grade="B")
    with transaction(engine) as conn:
        conn.execute(
            update(CUSTOMERS).values(owner="wang", portfolio="north", language="en", name="Northwind Ltd")
        )
        customer_id = conn.execute(select(CUSTOMERS.c.id)).scalar_one()
        conn.execute(
            insert(CONTACTS).values(
                customer_id=customer_id,
                name="Alex Morgan",
                email="ap@c1.example.com",
                phone="+8613800138000",
                is_primary=True,
            )
        )
        add_user(conn, login="wang", role=Role.COLLECTOR, password=PASSWORD, portfolios=["north"], actor="t",
                 at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    with transaction(engine) as conn:
        plan = plans.add(
            conn, user=get_user(conn, login="wang"), customer="C1", today=day("2026-09-05"),
            now=morning("2026-09-05"), country="CN", instalments=3, first=day("2026-09-15"),
        )  # fmt: skip
    return story, plan


def reminders(engine: Engine) -> list[tuple[object, ...]]:
    """(as-of, instalment, moment, amount, remaining, notice status, its deliveries' channel:status)
    of every instalment reminder written, oldest first."""
    k, n, d = INSTALMENT_NOTICES.c, NOTICES.c, DELIVERIES.c
    query = (
        select(n.id, n.as_of, n.status, n.kind, n.step, k.number, k.moment, k.amount_minor, k.remaining_minor)
        .join(INSTALMENT_NOTICES, k.notice_id == n.id, isouter=True)
        .where(n.kind == "instalment")
        .order_by(n.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        sent = {
            row.id: [
                f"{channel}:{status}"
                for channel, status in conn.execute(
                    select(d.channel, d.status).where(d.notice_id == row.id).order_by(d.id)
                )
            ]
            for row in rows
        }
    assert {(row.kind, row.step) for row in rows} <= {("instalment", "instalment-reminder")}
    return [
        (row.as_of.isoformat(), row.number, row.moment, row.amount_minor, row.remaining_minor, row.status,
         sent[row.id])
        for row in rows
    ]  # fmt: skip


def _worker(engine: Engine, server: SmtpServer, sms: FakeSmsGateway, at: datetime) -> Worker:
    outlets = Outlets(email=lambda: SmtpChannel(server.config()), sms=sms)
    return Worker(
        engine, load_settings(), templates=Templates(), outlets=outlets, clock=lambda: at, name="test"
    )


def test_each_unpaid_instalment_is_announced_before_and_on_its_date_once(engine: Engine) -> None:
    story, _ = _story(engine)
    assert story.run("2026-09-11") == []  # 4 days before instalment 1: not yet
    assert reminders(engine) == []
    story.run("2026-09-12")
    before = ("2026-09-12", 1, "before", 333333, 1000000, "committed", ["email:pending", "sms:pending"])
    assert reminders(engine) == [before]
    story.run("2026-09-12")  # a second run on the same day writes nothing again
    assert reminders(engine) == [before]
    story.run("2026-09-13")  # nor any later day
    story.run("2026-09-14")
    assert reminders(engine) == [before]
    story.run("2026-09-15")
    on = ("2026-09-15", 1, "on", 333333, 1000000, "committed", ["email:pending", "sms:pending"])
    assert reminders(engine) == [before, on]
    story.run("2026-09-16")
    assert reminders(engine) == [before, on]
    # Instalment 2 paid early: no reminder of it, neither before nor on its date.
    story.pay("PAY-1", "C1", on="2026-09-16", amount="3333.33", invoice="INV-1")
    story.pay("PAY-2", "C1", on="2026-10-09", amount="3333.33", invoice="INV-1")
    for on_day in ("2026-10-12", "2026-10-13", "2026-10-15", "2026-10-16"):
        story.run(on_day)
    assert reminders(engine) == [before, on]
    # Instalment 3, 2026-11-16: announced on 2026-11-13 with what is left of the plan.
    story.run("2026-11-13")
    third = ("2026-11-13", 3, "before", 333334, 333334, "committed", ["email:pending", "sms:pending"])
    assert reminders(engine) == [before, on, third]


def test_a_revert_withdraws_the_runs_reminders_and_the_next_run_writes_them_again(engine: Engine) -> None:
    story, _ = _story(engine)
    story.run("2026-09-12")
    run_id = story.runs()[-1][0]
    story.revert(run_id, on="2026-09-12")
    assert reminders(engine) == [
        ("2026-09-12", None, None, None, None, "reverted", ["email:cancelled", "sms:cancelled"])
    ]
    story.run("2026-09-13")
    assert reminders(engine)[1:] == [
        ("2026-09-13", 1, "before", 333333, 1000000, "committed", ["email:pending", "sms:pending"])
    ]


def test_the_worker_sends_the_reminder_by_email_in_the_customers_language(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    story, plan = _story(engine)
    story.run("2026-09-12")
    at = morning("2026-09-12") - timedelta(hours=6)  # 10:00 in Shanghai
    sms = FakeSmsGateway()
    tally = _worker(engine, smtp_server, sms, at).run(drain=True)
    assert (tally.sent, tally.by_channel) == (2, {"email": 1, "sms": 1})
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ("ap@c1.example.com",)
    assert mail.message["Content-Language"] == "en"
    assert "Payment plan: instalment due soon" in str(mail.message["Subject"])
    body = mail.message.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    assert f"instalment 1 of payment plan no. {plan.id}, CN¥3,333.33, falls due on 15 September 2026" in text
    assert "The remaining balance of the plan, this instalment included, is CN¥10,000.00." in text
    [message] = sms.sent
    assert message.to == "+8613800138000"
    assert f"payment plan {plan.id} of Northwind Ltd: CN¥3,333.33 due 15 September 2026" in message.text
    assert reminders(engine)[0][-1] == ["email:sent", "sms:sent"]


def test_the_reminder_previews_in_each_language(sqlite_engine: Engine) -> None:
    engine = sqlite_engine  # a command-line story: `dunmore notice preview` on the story's database
    story, plan = _story(engine)
    story.run("2026-09-15")
    with engine.connect() as conn:
        notice_id = conn.execute(select(NOTICES.c.id).where(NOTICES.c.kind == "instalment")).scalar_one()
    runner = CliRunner()

    def preview(*args: str) -> str:
        result = runner.invoke(
            app,
            [
                "--db",
                str(engine.url),
                "notice",
                "preview",
                str(notice_id),
                *args,
            ],
            env=ENV,
        )
        assert result.exit_code == 0, result.output
        return result.output

    assert f"is a friendly reminder that instalment 1 of payment plan no. {plan.id}" in preview()
    assert f"第{plan.id}號分期付款計畫的第1期款項" in preview("--lang", "zh-TW")
    assert "分期付款提醒：2026年9月15日应付¥3,333.33" in preview("--lang", "zh-CN")


def test_the_shipped_templates_pass_the_check_and_the_wording_lint() -> None:
    problems = check_templates(Templates(), [TemplateUse("instalment-reminder", ("email", "letter", "sms"))])
    assert [str(problem) for problem in problems] == []
