"""Fees waived with an instalment plan, as dated stories of one customer (SQLite and PostgreSQL).

C1 owes INV-1, 10,000.00 CNY due 2026-09-01, under the standard policy of examples/dunning.yaml:
the run of 2026-09-16 (level 2) charges a fee of 50.00. On 2026-09-18 the customer agrees to pay in
three instalments and the fee is waived with the plan. wang is C1's collector; boss and chief are
managers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role, User
from dunmore.errors import BadArgument, PermissionDenied, PlanRefused
from dunmore.ledger.models import CREDIT_NOTES, CUSTOMERS
from dunmore.store.db import transaction
from dunmore.workspace import plan_waivers, plans, waivers
from dunmore.workspace.plan_views import PlanView
from tests.scenarios.story import ACTOR, Story, day, morning

PASSWORD = "a long enough password"
REASON = "goodwill: the plan is agreed"


@pytest.fixture
def story(engine: Engine) -> Story:
    found = Story(engine)
    found.customer("C1", grade="B")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).values(owner="wang", portfolio="north"))
        at = datetime(2026, 1, 1, tzinfo=UTC)
        add_user(
            conn, login="wang", role=Role.COLLECTOR, password=PASSWORD, portfolios=["north"], actor="t", at=at
        )
        for login in ("boss", "chief"):
            add_user(conn, login=login, role=Role.MANAGER, password=PASSWORD, actor="t", at=at)
    found.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    found.run("2026-09-04")
    found.run("2026-09-16")
    return found


def _user(engine: Engine, login: str) -> User:
    with engine.connect() as conn:
        return get_user(conn, login=login)


def agree(engine: Engine, *, login: str, limit: int, **more: Any) -> PlanView:
    """`login` agrees on 2026-09-18 three monthly instalments from 2026-10-08 over everything C1
    owes in CNY, waiving the covered fees; waivers above `limit` (minor units) wait for approval."""
    with transaction(engine) as conn:
        return plans.add(
            conn, user=_user(engine, login), customer="C1", today=day("2026-09-18"),
            now=morning("2026-09-18"), country="CN", instalments=3, first=day("2026-10-08"), waive=REASON,
            thresholds={"CNY": limit},
            **more,
        )  # fmt: skip


def decide(engine: Engine, plan_id: int, *, approve: bool, login: str, on: str = "2026-09-19") -> PlanView:
    with transaction(engine) as conn:
        return plan_waivers.decide_plan(
            conn, plan_id=plan_id, approve=approve, checker=login, on=day(on), now=morning(on), actor=login,
            user=_user(engine, login),
        )  # fmt: skip


def fees(story: Story) -> list[str]:
    charges = sorted(story.charges().items())
    return [text.split("open ")[1] for name, text in charges if name.startswith("FEE-")]


def credit_notes(engine: Engine) -> list[tuple[str, int]]:
    c = CREDIT_NOTES.c
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(c.external_id, c.amount_minor).order_by(c.id))]


def test_a_fee_under_the_threshold_is_waived_at_once_and_the_plan_covers_the_rest(
    engine: Engine, story: Story
) -> None:
    assert fees(story) == ["50.00"]
    plan = agree(engine, login="wang", limit=6000)  # 50.00 ≤ 60.00
    assert plan.status == "active"
    assert fees(story) == ["0.00"]  # reversed by the waiver's credit note
    with engine.connect() as conn:
        [waiver] = waivers.list_waivers(conn)
    assert (waiver.status, str(waiver.amount), waiver.requested_by) == ("applied", "50.00 CNY", "wang")
    assert credit_notes(engine) == [(f"CN-WVR-{waiver.id}", 5000)]
    # the instalments add up to what is owed without the fee: 10,000.00 in three, the last takes the rounding
    assert [one.amount_minor for one in plan.instalments] == [333333, 333333, 333334]
    assert plan.total_minor == 1_000_000
    assert story.run("2026-10-01") == []  # +30: L3 would be due, the plan holds it


def test_a_fee_above_the_threshold_makes_the_plan_wait_for_another_manager(
    engine: Engine, story: Story
) -> None:
    plan = agree(engine, login="boss", limit=4000)  # 50.00 > 40.00
    assert plan.status == "waiting"
    assert fees(story) == ["50.00"]  # nothing is waived yet
    assert story.run("2026-10-01") != []  # a waiting plan holds nothing: L3 goes out
    with pytest.raises(PermissionDenied, match="asked for a waiver"):
        decide(engine, plan.id, approve=True, login="boss")  # maker ≠ checker
    with pytest.raises(PermissionDenied):
        decide(engine, plan.id, approve=True, login="wang")  # a collector does not approve
    with engine.connect() as conn:
        [waiver] = waivers.list_waivers(conn)
    with pytest.raises(BadArgument, match=f"asked with plan {plan.id}"), transaction(engine) as conn:
        waivers.decide_waiver(
            conn, waiver_id=waiver.id, approve=True, checker="chief", on=day("2026-10-02"),
            now=morning("2026-10-02"), actor=ACTOR,
        )  # fmt: skip
    done = decide(engine, plan.id, approve=True, login="chief", on="2026-10-02")
    assert done.status == "active"
    assert fees(story)[0] == "0.00"
    assert credit_notes(engine) == [(f"CN-WVR-{waiver.id}", 5000)]
    with engine.connect() as conn:
        [decided, *_] = waivers.list_waivers(conn)
    assert (decided.status, decided.decided_by) == ("applied", "chief")
    with pytest.raises(PlanRefused, match="not waiting"):
        decide(engine, plan.id, approve=False, login="chief", on="2026-10-03")


def test_a_rejected_plan_is_cancelled_and_waives_nothing(engine: Engine, story: Story) -> None:
    plan = agree(engine, login="wang", limit=0)
    assert plan.status == "waiting"
    with transaction(engine) as conn:  # the command line: the checker is named
        done = plan_waivers.decide_plan(
            conn, plan_id=plan.id, approve=False, checker="boss", on=day("2026-09-19"),
            now=morning("2026-09-19"), actor="cli:ops",
        )  # fmt: skip
    assert (done.status, done.reason) == ("cancelled", "plan_waiver_rejected")
    assert fees(story) == ["50.00"]
    assert credit_notes(engine) == []
    with engine.connect() as conn:
        assert [(w.status, w.decided_by) for w in waivers.list_waivers(conn)] == [("rejected", "boss")]
    # the invoice is free for a new plan
    assert agree(engine, login="wang", limit=6000).status == "active"


def test_a_waiver_is_asked_only_when_the_plan_is_agreed_and_covers_a_fee(
    engine: Engine, story: Story
) -> None:
    with pytest.raises(PlanRefused, match="not when it is proposed"):
        agree(engine, login="wang", limit=6000, proposed=True)
    with pytest.raises(PlanRefused, match="nothing to waive"):
        agree(engine, login="wang", limit=6000, invoices=["INV-1"])
