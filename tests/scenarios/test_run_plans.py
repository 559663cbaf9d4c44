"""Instalment plans, told as dated stories of one customer under the standard policy
(examples/dunning.yaml: L1 at +3, L2 at +15 with a 50.00 fee, L3 at +30, 7 days between level
notices; the default grace of 2 days) and the creditor's calendar of China.

While a plan is kept its invoices do not rise; a missed instalment breaks it at the first run after
its last day of grace, alerts the owner and the managers, and the rest escalates at once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, update

from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role, User
from dunmore.credit import grades
from dunmore.credit.grades_models import GRADE_HISTORY
from dunmore.errors import NotFound, PlanRefused
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import transaction
from dunmore.workspace import alert_texts, calendar, plans, timeline, worklist
from dunmore.workspace.models import ALERTS
from dunmore.workspace.plan_views import PlanView
from tests.scenarios.story import Story, day, digest, morning

PASSWORD = "a long enough password"


def _story(engine: Engine) -> Story:
    """C1, owned by the collector wang in portfolio north; INV-1 10,000.00 CNY due 2026-09-01."""
    story = Story(engine)
    story.customer("C1", grade="B")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).values(owner="wang", portfolio="north"))
        at = datetime(2026, 1, 1, tzinfo=UTC)
        add_user(
            conn, login="wang", role=Role.COLLECTOR, password=PASSWORD, portfolios=["north"], actor="t", at=at
        )
        add_user(conn, login="boss", role=Role.MANAGER, password=PASSWORD, actor="t", at=at)
        add_user(
            conn, login="zhao", role=Role.COLLECTOR, password=PASSWORD, portfolios=["south"], actor="t", at=at
        )
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    return story


def _user(engine: Engine, login: str) -> User:
    with engine.connect() as conn:
        return get_user(conn, login=login)


def agree(engine: Engine, *, on: str, login: str = "wang", **terms: object) -> PlanView:
    """`login` agrees on `on` a plan for C1 with the given terms (`plans.add`'s keywords)."""
    with transaction(engine) as conn:
        return plans.add(
            conn, user=_user(engine, login), customer="C1", today=day(on), now=morning(on), country="CN",
            **terms,  # type: ignore[arg-type]
        )  # fmt: skip


def show(engine: Engine, plan_id: int) -> PlanView:
    with engine.connect() as conn:
        return plans.get(conn, user=_user(engine, "boss"), plan_id=plan_id)


def schedule(view: PlanView) -> list[tuple[int, str, int, int, str]]:
    return [
        (i.number, i.due_on.isoformat(), i.amount_minor, i.paid_minor, i.status) for i in view.instalments
    ]


def alerted(engine: Engine, kind: str = "plan_broken") -> list[tuple[str, str]]:
    a = ALERTS.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.recipient, a.key).where(a.kind == kind).order_by(a.recipient, a.key)
        ).all()
    return [(row.recipient, row.key) for row in rows]


def test_a_plan_kept_to_the_end_holds_every_escalation_and_ends_kept(engine: Engine) -> None:
    story = _story(engine)
    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"
    ]
    # 2026-09-05: three monthly instalments from 2026-09-15; 2026-11-15 is a Sunday: moved to the
    # Monday. 10,000.00 / 3: the last instalment takes the rounding.
    plan = agree(engine, on="2026-09-05", instalments=3, first=day("2026-09-15"))
    assert schedule(plan) == [
        (1, "2026-09-15", 333333, 0, "pending"),
        (2, "2026-10-15", 333333, 0, "pending"),
        (3, "2026-11-16", 333334, 0, "pending"),
    ]
    with engine.connect() as conn:
        events = calendar.events(conn, user=_user(engine, "wang"), today=day("2026-09-05"))
    assert [(e.on.isoformat(), e.title) for e in events if e.kind == "instalment"] == [
        ("2026-09-15", "C1 (C1) 应付一期 ¥3,333.33"),
        ("2026-10-15", "C1 (C1) 应付一期 ¥3,333.33"),
        ("2026-11-16", "C1 (C1) 应付一期 ¥3,333.34"),
    ]
    story.pay("PAY-1", "C1", on="2026-09-15", amount="3333.33", invoice="INV-1")
    assert story.run("2026-09-16") == []  # +15: L2 is due, but the plan holds it
    assert f"paused: instalment plan #{plan.id} is kept (until 2026-11-18)" in (
        story.explain("C1", "2026-09-17")["INV-1"].sentences
    )
    story.pay("PAY-2", "C1", on="2026-10-16", amount="3333.33", invoice="INV-1")  # in the grace
    assert story.run("2026-10-05") == []  # +34: L3 would be due
    assert story.run("2026-10-18") == []
    assert show(engine, plan.id).instalments[1].status == "paid"
    story.pay("PAY-3", "C1", on="2026-11-16", amount="3333.34", invoice="INV-1")
    assert story.run("2026-11-17") == []
    done = show(engine, plan.id)
    assert (done.status, done.reason, done.decided_on) == ("kept", "plan_kept", day("2026-11-17"))
    assert [i.status for i in done.instalments] == ["paid", "paid", "paid"]
    assert story.levels() == {"INV-1": 1}
    assert alerted(engine) == []
    with engine.connect() as conn:
        which = timeline.Filter(kinds=frozenset({"plan"}))
        story_of_c1 = timeline.timeline(conn, user=_user(engine, "wang"), customer="C1", which=which)
    assert [(e.source, e.status, e.amount_minor) for e in story_of_c1.events] == [
        ("plan_end", "kept", 1000000),
        ("plan", "agreed", 1000000),
    ]


def test_a_missed_second_instalment_breaks_the_plan_alerts_and_escalates_the_rest(engine: Engine) -> None:
    story = _story(engine)
    story.run("2026-09-04")
    plan = agree(engine, on="2026-09-05", instalments=3, first=day("2026-09-15"))
    story.pay("PAY-1", "C1", on="2026-09-15", amount="3333.33", invoice="INV-1")
    assert story.run("2026-10-13") == []  # two days before the second instalment: announced
    assert alerted(engine, "instalment_due") == [
        ("boss", f"instalment-due:{plan.id}:2:before"),
        ("wang", f"instalment-due:{plan.id}:2:before"),
    ]
    assert story.run("2026-10-17") == []  # the second instalment's last day of grace: reminded
    # 2026-10-18: nothing came for the second instalment: the plan is broken, and INV-1 rises.
    assert digest(story.run("2026-10-18")) == [
        "C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +47d 6666.67 (interest 36.00)"
    ]
    broken = show(engine, plan.id)
    assert (broken.status, broken.reason, broken.decided_on) == (
        "broken",
        "plan_instalment_missed",
        day("2026-10-18"),
    )
    assert [i.status for i in broken.instalments] == ["paid", "missed", "pending"]
    assert alerted(engine) == [("boss", f"plan-broken:{plan.id}"), ("wang", f"plan-broken:{plan.id}")]
    assert [key for login, key in alerted(engine, "instalment_due") if login == "wang"] == [
        f"instalment-due:{plan.id}:2:before",
        f"instalment-due:{plan.id}:2:on",
    ]
    with engine.connect() as conn:
        params = conn.execute(select(ALERTS.c.params).where(ALERTS.c.key.like("%:2:on"))).scalars().first()
    assert alert_texts.said("instalment_due", json.loads(params or "{}"), customer="C1", language="en") == (
        f"C1 has an instalment of CN¥3,333.33 due Oct 15, 2026 (plan {plan.id})"
    )
    assert story.run("2026-10-19") == []  # decided once: no second alert, no second notice
    assert len(alerted(engine)) == 2
    with engine.connect() as conn:
        page = worklist.worklist(conn, user=_user(engine, "wang"), as_of=day("2026-10-19"), timezone="UTC")
    top = page.lines[0]
    assert (top.customer.code, top.reason, top.action, top.amount_minor) == (
        "C1",
        "plan_broken",
        "call_why",
        333333,
    )
    assert str(top.why) == "instalment of CNY 3,333.33 due 10-15 missed: plan broken"


def test_a_broken_plan_lifts_the_spacing_and_a_revert_puts_it_back(engine: Engine) -> None:
    story = _story(engine)
    story.invoice("INV-2", "C1", issued="2026-08-10", due="2026-09-10", amount="5000.00")
    story.run("2026-09-04")
    assert digest(story.run("2026-09-13"))[0].startswith("C1 CNY L1 first-overdue")
    plan = agree(engine, on="2026-09-14", instalments=2, first=day("2026-09-15"))
    assert story.run("2026-09-16") == []  # INV-1 reached its second level: paused
    # 2026-09-18: the first instalment (due 2026-09-15, grace to 2026-09-17) was not paid. The last
    # level notice was five days ago (spacing 7), but the broken plan lifts the spacing.
    assert digest(story.run("2026-09-18"))[0].startswith("C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +17d")
    assert show(engine, plan.id).status == "broken"
    run_id = story.runs()[-1][0]
    story.revert(run_id, on="2026-09-10")
    again = show(engine, plan.id)
    assert (again.status, again.reason) == ("active", None)


def test_a_down_payment_comes_first_and_typed_instalments_must_add_up(engine: Engine) -> None:
    _story(engine)
    with pytest.raises(PlanRefused, match="add up"):
        agree(
            engine,
            on="2026-09-05",
            typed=[(day("2026-09-20"), Decimal("4000")), (day("2026-10-20"), Decimal("5000"))],
        )
    with pytest.raises(PlanRefused, match="dates must increase"):
        agree(
            engine,
            on="2026-09-05",
            typed=[(day("2026-10-20"), Decimal("4000")), (day("2026-09-20"), Decimal("6000"))],
        )
    with pytest.raises(PlanRefused, match="not an open CNY invoice"):
        agree(engine, on="2026-09-05", instalments=2, first=day("2026-09-20"), invoices=["INV-9"])
    with pytest.raises(NotFound):
        agree(engine, on="2026-09-05", login="zhao", instalments=2, first=day("2026-09-20"))
    made = agree(
        engine, on="2026-09-05", instalments=2, first=day("2026-10-15"), down_payment=Decimal("1000.00"),
        down_on=day("2026-09-07"),
    )  # fmt: skip
    assert [(i.number, i.due_on.isoformat(), i.amount_minor) for i in made.instalments] == [
        (0, "2026-09-07", 100000),
        (1, "2026-10-15", 450000),
        (2, "2026-11-16", 450000),
    ]
    with pytest.raises(PlanRefused, match="already in a plan"):
        agree(engine, on="2026-09-05", instalments=2, first=day("2026-10-15"))
    with transaction(engine) as conn:
        cancelled = plans.cancel(conn, user=_user(engine, "wang"), plan_id=made.id, reason="withdrawn",
                                 now=morning("2026-09-06"))  # fmt: skip
    assert (cancelled.status, cancelled.reason) == ("cancelled", "plan_cancelled")


def broken_promises(engine: Engine, on: str) -> int:
    """C1's `broken_promises` factor in the grading of `on`, computed by the manager that morning."""
    with transaction(engine) as conn:
        grades.compute(conn, user=_user(engine, "boss"), as_of=day(on), now=morning(on))
        h = GRADE_HISTORY.c
        return int(conn.execute(select(h.broken_promises).where(h.as_of == day(on))).scalar_one())


def test_a_plan_broken_by_a_missed_instalment_counts_as_a_broken_promise_in_the_grade(engine: Engine) -> None:
    """A payment plan is a promise to pay in instalments: the grade's `broken_promises` counts the
    plan from the run that finds its instalment missed, and the owner hears of a first one."""
    story = _story(engine)
    story.run("2026-09-04")
    agree(engine, on="2026-09-05", instalments=3, first=day("2026-09-15"))
    story.pay("PAY-1", "C1", on="2026-09-15", amount="3333.33", invoice="INV-1")
    story.run("2026-10-17")  # the second instalment's last day of grace: the plan still holds
    assert broken_promises(engine, "2026-10-17") == 0
    story.run("2026-10-18")  # nothing came: the plan is broken
    assert broken_promises(engine, "2026-10-18") == 1
    assert [login for login, _ in alerted(engine, "first_broken_promise")] == ["boss", "wang"]
