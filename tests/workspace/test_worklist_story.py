"""A collector's week, told by date: what Li's worklist says each morning, and how working a line
takes it off for the day (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Engine, select

from dunmore.access.service import get_user
from dunmore.access.values import Role
from dunmore.delivery.models import TASKS
from dunmore.ledger.balances import refresh
from dunmore.store.db import transaction
from dunmore.workspace.tasks import complete
from dunmore.workspace.worklist import worklist
from tests.scenarios.story import Story
from tests.workspace.worklist_rows import add_broken_promise, add_run_task, add_users, at, log_contact, place

TZ = "Asia/Shanghai"


def _said(conn: Connection, login: str, day: str) -> list[str]:
    """Each line as `customer: why → what to do`, in order."""
    page = worklist(conn, user=get_user(conn, login=login), as_of=date.fromisoformat(day), timezone=TZ)
    return [f"{line.customer.code}: {line.why} → {line.what}" for line in page.lines]


def _ledger(engine: Engine) -> dict[str, int]:
    story = Story(engine, policy=None)
    for code, grade in (("C1", "C"), ("C2", "A"), ("C3", "B"), ("C4", "B"), ("C5", "B"), ("W1", "A")):
        story.customer(code, grade=grade)
    story.invoice("I1", "C1", issued="2026-08-24", due="2026-09-23", amount="48200.00")
    story.invoice("I2", "C2", issued="2026-10-21", due="2026-11-20", amount="10000.00")
    story.invoice("I3", "C3", issued="2026-10-01", due="2026-11-01", amount="300.00")
    story.invoice("I4", "C4", issued="2026-10-01", due="2026-11-01", amount="5000.00")
    story.invoice("I5", "C5", issued="2026-10-01", due="2026-11-22", amount="800.00")
    story.invoice("W1-1", "W1", issued="2026-10-01", due="2026-11-01", amount="99999.00")
    ids = story._customers  # the story's own map of codes to ids
    with transaction(engine) as conn:
        add_users(conn, ("li", Role.COLLECTOR, ["east"]), ("wang", Role.COLLECTOR, ["west"]))
        for code, cid in ids.items():
            place(
                conn, cid, portfolio="west" if code == "W1" else "east", owner="Li" if code == "C5" else None
            )
        refresh(conn, as_of=date(2026, 12, 6))  # the summary as the run of 12-06 left it
    return ids


def test_li_s_day_follow_up_promise_task_then_value_and_worked_lines_leave_until_tomorrow(
    engine: Engine,
) -> None:
    ids = _ledger(engine)
    with transaction(engine) as conn:
        # 12-03: Li called C3, who asked to be called back on 12-07
        log_contact(conn, ids["C3"], when=at("2026-12-03"), actor="li", follow_up="2026-12-07")
        # 12-05: the run found C4's promise of 5,000.00 by 12-01 (grace 2 days) broken
        add_broken_promise(conn, ids["C4"], amount_minor=5_000_00, due="2026-12-01", decided="2026-12-05")
        # 12-06: the run's call step for C5 (owner Li) became a task
        task = add_run_task(conn, ids["C5"], "2026-12-06", title="Second reminder: call C5")
        assert conn.execute(select(TASKS.c.due_on, TASKS.c.assignee).where(TASKS.c.id == task)).one() == (
            date(2026, 12, 6),
            "li",
        )
    with transaction(engine) as conn:
        assert _said(conn, "li", "2026-12-07") == [
            "C3: follow-up set on 12-03 for 12-07 → call back as agreed",
            "C4: promise of CNY 5,000.00 due 12-01 broken → call to ask why",
            "C5: call task from the run of 12-06: Second reminder: call C5 → make the call",
            "C1: CNY 48,200.00 overdue 75 days, grade C → call to ask for payment",
            "C2: CNY 10,000.00 overdue 17 days, grade A → call to ask for payment",
        ]
        assert _said(conn, "wang", "2026-12-07") == [
            "W1: CNY 99,999.00 overdue 36 days, grade A → call to ask for payment"
        ]
    with transaction(engine) as conn:  # 12-07: Li works three lines
        li = get_user(conn, login="li")
        complete(conn, user=li, task_id=task, outcome="no_answer", at=at("2026-12-07", 3))
        log_contact(conn, ids["C1"], when=at("2026-12-07", 4), actor="li")
        log_contact(conn, ids["C4"], when=at("2026-12-07", 5), actor="li", outcome="refused")
    with transaction(engine) as conn:
        assert [line.split(":")[0] for line in _said(conn, "li", "2026-12-07")] == ["C3", "C2"]
        # 12-08: C1 and C5 are back, by value; C4 was worked since its promise broke; C3 still waits
        assert _said(conn, "li", "2026-12-08") == [
            "C3: follow-up set on 12-03 for 12-07 → call back as agreed",
            "C1: CNY 48,200.00 overdue 76 days, grade C → call to ask for payment",
            "C2: CNY 10,000.00 overdue 18 days, grade A → call to ask for payment",
            "C4: CNY 5,000.00 overdue 37 days, grade B → call to ask for payment",
            "C5: CNY 800.00 overdue 16 days, grade B → call to ask for payment",
        ]
