"""Next steps from the outcome of a contact, told as dated stories of one customer
(docs/next-steps.md, "Outcomes").

The policy: L1 at +3 by e-mail, L2 at +15 by e-mail, 7 days between level notices; a wrong number
asks for a task to find a new contact, a refusal for a review of the escalation, and "no answer"
for a call; "cash-flow difficulty" (a reason) asks for a plan proposal. INV-1, 10,000.00 CNY, is
due 2026-09-01.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role
from dunmore.cli.app import app
from dunmore.delivery.models import DELIVERIES
from dunmore.delivery.outbox import next_step_title
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.next_step_models import NEXT_STEPS
from dunmore.store.db import transaction
from dunmore.workspace.activities import NewActivity, log_activity
from dunmore.workspace.kinds import ActivityKind
from tests.scenarios.story import Story, morning, policy_file

POLICY = """
policies:
  standard:
    min_days_between_notices: 7
    levels:
      - {name: first-overdue, at: 3, channels: [email], template: overdue-1}
      - {name: second-overdue, at: 15, channels: [email], template: overdue-2}
    next_steps:
      reasons:
        cash_flow: {action: propose_plan}
      outcomes:
        wrong_number: {action: find_contact}
        refused: {action: review_escalation}
        no_answer: {action: call}
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


def _log(engine: Engine, on: str, *, outcome: str, reason: str | None = None) -> None:
    """wang logs a call with C1 on `on`, with its outcome (and the reason C1 gave)."""
    with transaction(engine) as conn:
        user = get_user(conn, login="wang")
        new = NewActivity(kind=ActivityKind.CALL, outcome=outcome, reason=reason, at=morning(on))
        log_activity(conn, user=user, customer="C1", new=new, now=morning(on), today=morning(on).date())


def _steps(engine: Engine) -> list[tuple[str, str, str, str, str | None]]:
    """(as_of, action, reason, trigger_on, channel of its delivery) of the steps taken."""
    s, d = NEXT_STEPS.c, DELIVERIES.c
    query = (
        select(s.as_of, s.action, s.reason, s.trigger_on, d.channel)
        .outerjoin(DELIVERIES, d.id == s.delivery_id)
        .order_by(s.id)
    )
    with engine.connect() as conn:
        return [
            (str(a), action, reason, str(t), channel) for a, action, reason, t, channel in conn.execute(query)
        ]


def test_a_wrong_number_asks_once_for_a_task_to_find_a_new_contact(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    story.run("2026-09-04")
    _log(engine, "2026-09-06", outcome="wrong_number")
    story.run("2026-09-07")
    find = ("2026-09-07", "find_contact", "outcome:wrong_number", "2026-09-06", "call")
    assert _steps(engine) == [find]
    story.run("2026-09-08")  # taken once per contact
    assert _steps(engine) == [find]
    with engine.connect() as conn:
        delivery_id = conn.execute(select(NEXT_STEPS.c.delivery_id)).scalar_one()
        assert (
            next_step_title(conn, delivery_id, "INV-1 is overdue") == "Find a new contact: INV-1 is overdue"
        )
    assert "next step: find_contact — the contact of 2026-09-06 ended wrong_number" in (
        story.explain("C1", "2026-09-07")["INV-1"].sentences
    )
    # A later refusal is a new outcome: its own step, once.
    _log(engine, "2026-09-10", outcome="refused")
    story.run("2026-09-11")
    story.run("2026-09-12")
    assert _steps(engine) == [
        find,
        ("2026-09-11", "review_escalation", "outcome:refused", "2026-09-10", "call"),
    ]


def test_an_outcome_and_a_reason_of_the_same_call_each_take_their_step(
    engine: Engine, tmp_path: Path
) -> None:
    story = _story(engine, tmp_path)
    story.run("2026-09-04")
    _log(engine, "2026-09-06", outcome="refused", reason="cash_flow")
    story.run("2026-09-07")
    assert _steps(engine) == [
        ("2026-09-07", "propose_plan", "cash_flow", "2026-09-06", "call"),
        ("2026-09-07", "review_escalation", "outcome:refused", "2026-09-06", "call"),
    ]
    story.run("2026-09-08")
    assert len(_steps(engine)) == 2


def test_an_unmapped_outcome_and_a_revert_take_no_step(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine, tmp_path)
    story.run("2026-09-04")
    _log(engine, "2026-09-06", outcome="reached")  # the policy maps no step to it
    story.run("2026-09-07")
    assert _steps(engine) == []
    _log(engine, "2026-09-08", outcome="no_answer")
    story.run("2026-09-09")
    run_id = story.runs()[-1][0]
    assert [step[1] for step in _steps(engine)] == ["call"]
    story.revert(run_id, on="2026-09-09")  # the step counts as not taken: the next run takes it again
    story.run("2026-09-10")
    assert [step[1:] for step in _steps(engine)] == [
        ("call", "outcome:no_answer", "2026-09-08", "call"),
        ("call", "outcome:no_answer", "2026-09-08", "call"),
    ]


def test_policy_check_warns_of_an_outcome_no_code_has(sqlite_engine: Engine, tmp_path: Path) -> None:
    _story(sqlite_engine, tmp_path)
    path = policy_file(tmp_path, POLICY.replace("no_answer:", "hung_up:"))
    env = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en"}
    result = CliRunner().invoke(app, ["--db", str(sqlite_engine.url), "policy", "check", str(path)], env=env)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "next_steps maps outcome hung_up, which no outcome code has yet" in said
    assert "wrong_number, which" not in said
