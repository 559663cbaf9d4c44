"""The next step follows the answer, told as dated stories of one customer (docs/next-steps.md).

The policy: L1 at +3 by e-mail, L2 at +15 by e-mail and a call, 7 days between level notices; an
e-mail unanswered for 5 days asks for a call to confirm receipt; "invoice not received" re-sends the
invoice and pauses escalation 10 days; "cash-flow difficulty" asks for a plan proposal. INV-1,
10,000.00 CNY, is due 2026-09-01.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from typer.testing import CliRunner

from dunmore.access.models import AUDIT_LOG
from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role
from dunmore.cli.app import app
from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS
from dunmore.delivery.outbox import next_step_title
from dunmore.ledger.models import CONTACTS, CUSTOMERS
from dunmore.run.next_step_models import NEXT_STEPS
from dunmore.store.db import transaction
from dunmore.workspace.activities import NewActivity, log_activity
from dunmore.workspace.codes import add_code
from dunmore.workspace.kinds import ActivityKind, CodeKind
from tests.scenarios.story import Story, digest, morning, policy_file

POLICY = """
policies:
  standard:
    min_days_between_notices: 7
    levels:
      - {name: first-overdue, at: 3, channels: [email], template: overdue-1}
      - {name: second-overdue, at: 15, channels: [email, call], template: overdue-2}
    next_steps:
      confirm_receipt_after_days: 5
      reasons:
        not_received: {action: resend_invoice, pause_days: 10}
        cash_flow: {action: propose_plan}
routes:
  - {policy: standard}
"""


def _story(engine: Engine, tmp_path: Path) -> Story:
    story = Story(engine, policy_file(tmp_path, POLICY))
    story.customer("C1", grade="B")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).values(owner="wang", portfolio="north"))
        add_user(
            conn, login="wang", role=Role.COLLECTOR, password="a long enough password", actor="t",
            portfolios=["north"], at=datetime(2026, 1, 1, tzinfo=UTC),
        )  # fmt: skip
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    return story


def _log(engine: Engine, on: str, *, reason: str | None = None, outcome: str = "reached") -> None:
    """wang logs a call with C1 on `on`, with the reason C1 gave."""
    with transaction(engine) as conn:
        user = get_user(conn, login="wang")
        new = NewActivity(kind=ActivityKind.CALL, outcome=outcome, reason=reason, at=morning(on))
        log_activity(conn, user=user, customer="C1", new=new, now=morning(on), today=morning(on).date())


def _steps(engine: Engine) -> list[tuple[str, str, str, str, str | None, str | None]]:
    """(as_of, action, reason, trigger_on, pause_until, channel of its delivery) of the steps taken."""
    s, d = NEXT_STEPS.c, DELIVERIES.c
    query = (
        select(s.as_of, s.action, s.reason, s.trigger_on, s.pause_until, d.channel)
        .outerjoin(DELIVERIES, d.id == s.delivery_id)
        .order_by(s.id)
    )
    with engine.connect() as conn:
        return [
            (str(a), action, reason, str(t), None if p is None else str(p), channel)
            for a, action, reason, t, p, channel in conn.execute(query)
        ]


def test_an_unanswered_email_asks_for_a_call_to_confirm_receipt_once(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    assert digest(story.run("2026-09-04")) == ["C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00"]
    story.run("2026-09-08")  # four days: not yet
    assert _steps(engine) == []
    story.run("2026-09-09")  # five days without a payment, a promise or a contact
    assert _steps(engine) == [
        ("2026-09-09", "confirm_receipt", "email_unanswered", "2026-09-04", None, "call")
    ]
    story.run("2026-09-10")  # taken once per e-mail
    assert len(_steps(engine)) == 1


def test_an_answered_email_asks_for_nothing(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    story.run("2026-09-04")
    _log(engine, "2026-09-06", outcome="reached")
    story.run("2026-09-09")
    assert _steps(engine) == []


def test_invoice_not_received_resends_it_and_pauses_escalation(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    story.run("2026-09-04")
    _log(engine, "2026-09-06", reason="not_received")
    story.run("2026-09-06")
    assert _steps(engine) == [
        ("2026-09-06", "resend_invoice", "not_received", "2026-09-06", "2026-09-16", "email")
    ]
    assert story.run("2026-09-16") == []  # L2 is due (+15, 12 days since L1) but paused
    explained = story.explain("C1", "2026-09-16")["INV-1"]
    assert "next_step_pause" in explained.reasons
    assert "2026-09-17" in explained.sentences[-1]  # the next step after the pause
    assert digest(story.run("2026-09-17")) == ["C1 CNY L2 second-overdue: INV-1 L2 +16d 10000.00"]
    assert len(_steps(engine)) == 1  # the reason was acted on once


def test_cash_flow_difficulty_asks_for_a_plan_proposal(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    story.run("2026-09-04")
    _log(engine, "2026-09-05", reason="cash_flow")
    story.run("2026-09-05")
    assert _steps(engine) == [("2026-09-05", "propose_plan", "cash_flow", "2026-09-05", None, "call")]


def _contact(engine: Engine, **wishes: Any) -> None:
    with transaction(engine) as conn:
        customer_id = conn.execute(select(CUSTOMERS.c.id)).scalar_one()
        row = {
            "customer_id": customer_id,
            "name": "Ms Li",
            "email": "li@c1.example",
            "phone": "+8613800000000",
        }
        conn.execute(insert(CONTACTS).values(row | {"is_primary": True} | wishes))


def _deliveries(engine: Engine) -> list[tuple[str, str, str | None]]:
    """(channel, status, the reason of its last event) of every delivery, by id."""
    d, e = DELIVERIES.c, DELIVERY_EVENTS.c
    reason = select(e.reason).where(e.delivery_id == d.id).order_by(e.id.desc()).limit(1).scalar_subquery()
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(d.channel, d.status, reason).order_by(d.id))]


def test_a_do_not_call_contact_gets_no_call(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    _contact(engine, do_not_call=True)
    story.run("2026-09-04")
    story.pay("PAY-1", "C1", on="2026-09-05", amount="1.00")  # an answer: no confirm-receipt call
    story.run("2026-09-16")
    assert _deliveries(engine) == [
        ("email", "pending", None),
        ("email", "pending", None),
        ("call", "cancelled", "do_not_call"),
    ]


def test_a_contact_who_prefers_sms_gets_sms(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    _contact(engine, preferred_channel="sms")
    story.run("2026-09-04")
    assert _deliveries(engine) == [("sms", "pending", "preferred_channel")]


def test_contact_wishes_from_the_command_line_are_audited_and_respected(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    story = _story(sqlite_engine, tmp_path)
    _contact(sqlite_engine)
    runner = CliRunner()

    def dunmore(*args: str, ok: bool = True) -> str:
        env = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en"}
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    said = dunmore("contact", "set", "C1", "ms li", "--prefer", "sms", "--do-not-call")
    assert "contact Ms Li: prefers sms; not to be called; may be e-mailed" in said
    assert "no channel 'fax'" in dunmore("contact", "set", "C1", "Ms Li", "--prefer", "fax", ok=False)
    assert "no contact 'Mr Wu'" in dunmore("contact", "set", "C1", "Mr Wu", "--may-call", ok=False)
    with sqlite_engine.connect() as conn:
        row = conn.execute(
            select(AUDIT_LOG.c.action, AUDIT_LOG.c.after).where(AUDIT_LOG.c.action == "contact.wishes")
        ).one()
    assert json.loads(row.after)["do_not_call"] is True
    story.run("2026-09-04")
    story.run("2026-09-16")
    assert [(channel, status) for channel, status, _ in _deliveries(sqlite_engine)] == [
        ("sms", "pending"),
        ("sms", "pending"),
        ("call", "cancelled"),
    ]


def test_the_task_of_a_next_step_says_which_step_it_is(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    story.run("2026-09-04")
    story.run("2026-09-09")
    with engine.connect() as conn:
        delivery_id = conn.execute(select(NEXT_STEPS.c.delivery_id)).scalar_one()
        assert (
            next_step_title(conn, delivery_id, "INV-1 is overdue")
            == "Call to confirm receipt: INV-1 is overdue"
        )
        assert (
            next_step_title(conn, delivery_id - 1, "INV-1 is overdue") == "INV-1 is overdue"
        )  # the L1 e-mail


def test_policy_check_warns_of_a_reason_no_code_has(sqlite_engine: Engine, tmp_path: Path) -> None:
    _story(sqlite_engine, tmp_path)
    path = policy_file(tmp_path, POLICY.replace("cash_flow:", "asked_for_time:"))
    env = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en"}
    result = CliRunner().invoke(app, ["--db", str(sqlite_engine.url), "policy", "check", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "next_steps maps reason asked_for_time, which no reason code has yet" in " ".join(
        result.output.split()
    )
    assert "not_received, which" not in result.output


def test_a_reverted_run_takes_back_its_next_steps(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    story.run("2026-09-04")
    _log(engine, "2026-09-06", reason="not_received")
    story.run("2026-09-06")
    run_id = max(run for run, _, _ in story.runs())
    story.revert(run_id, on="2026-09-06")
    assert _deliveries(engine)[-1] == ("email", "cancelled", "run_reverted")  # the re-sent invoice
    story.run("2026-09-07")  # the reason is acted on again, its pause counted from its day
    assert _steps(engine)[-1] == (
        "2026-09-07",
        "resend_invoice",
        "not_received",
        "2026-09-06",
        "2026-09-16",
        "email",
    )


def test_asked_for_time_a_code_an_admin_added_asks_for_a_promise_proposal(
    engine: Engine, tmp_path: Path
) -> None:
    asked = POLICY.replace("cash_flow: {action: propose_plan}", "asked_for_time: {action: propose_promise}")
    story = Story(engine, policy_file(tmp_path, asked))
    story.customer("C1", grade="B")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).values(owner="wang", portfolio="north"))
        at = datetime(2026, 1, 1, tzinfo=UTC)
        add_user(conn, login="boss", role=Role.ADMIN, password="a long enough password", actor="t", at=at)
        add_user(conn, login="wang", role=Role.COLLECTOR, password="a long enough password", actor="t",
                 portfolios=["north"], at=at)  # fmt: skip
        labels = {"zh-CN": "要求延期", "zh-TW": "要求延期", "en": "Asked for time"}
        add_code(conn, user=get_user(conn, login="boss"), kind=CodeKind.REASON, code="asked_for_time",
                 labels=labels, now=at)  # fmt: skip
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.run("2026-09-04")
    _log(engine, "2026-09-05", reason="asked_for_time")
    story.run("2026-09-05")
    assert _steps(engine) == [("2026-09-05", "propose_promise", "asked_for_time", "2026-09-05", None, "call")]
