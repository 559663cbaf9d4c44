"""Instalment plans in the run: gather the active plans with their instalments and what was paid
toward them, decide each one's state on D with the pure rule (`domain.plans.plan_state`), write the
day's decisions with an alert for each broken plan, and put them back to active when the run is
reverted.

Set-based reads (a bounded number of statements whatever the number of plans); the states are then
decided for all plans at once in Polars (`engine.plans.decide_plans`), held equal by a property test
to the domain's own function called plan by plan (`engine.plan_reference`), so the run and the
pages can never disagree on them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, bindparam, func, select, update

from dunmore.domain.plan_reminders import moment_of
from dunmore.domain.plans import Instalment, allocate
from dunmore.engine import plans as rule
from dunmore.engine.partition import Part
from dunmore.ledger.models import ALLOCATIONS
from dunmore.store.bulk import read_frame
from dunmore.workspace.alerts import NewAlert, raise_alerts
from dunmore.workspace.plan_models import PLAN_INSTALMENTS, PLAN_ITEMS, PLANS

REMIND_DAYS = 3  # an instalment is announced this many days ahead
MAX_GRACE = 60  # instalments due this long ago are not looked at again (their "on" reminder is out)


@dataclass(frozen=True)
class PlanInputs:
    """What the run reads and decides of the plans: each active plan's state on D (`rule.STATES`),
    the invoices they cover (`rule.COVERED`), each group's latest broken day before D
    (`rule.BROKEN`), and the plans decided on D (`rule.CHANGES`)."""

    states: pl.DataFrame
    covered: pl.DataFrame
    broken: pl.DataFrame
    changes: pl.DataFrame


def _scoped(condition: Any, part: Part | None, only: int | None) -> Any:
    customer_id = PLANS.c.customer_id
    if part is not None:
        condition = and_(condition, part.holds(customer_id))
    return condition if only is None else and_(condition, customer_id == only)


def _active(part: Part | None, only: int | None) -> Any:
    return _scoped(PLANS.c.status == "active", part, only)


def _read(conn: Connection, as_of: date, part: Part | None, only: int | None) -> tuple[pl.DataFrame, ...]:
    p, pi, a, n = PLANS.c, PLAN_ITEMS.c, ALLOCATIONS.c, PLAN_INSTALMENTS.c
    active = _active(part, only)
    plans = read_frame(
        conn,
        select(p.id, p.customer_id, p.currency, p.grace_days).where(active),
        dict(rule.PLANS),
    )
    schedule = read_frame(
        conn,
        select(n.plan_id, n.number, n.due_on, n.amount_minor)
        .join_from(PLAN_INSTALMENTS, PLANS)
        .where(active),
        dict(rule.SCHEDULE),
    )
    paid = (
        select(p.id, a.date, func.sum(a.amount_minor))
        .select_from(
            PLANS.join(PLAN_ITEMS, pi.plan_id == p.id).join(ALLOCATIONS, a.invoice_id == pi.invoice_id)
        )
        .where(and_(active, a.payment_id.is_not(None), a.date >= p.start_on, a.date <= as_of))
        .group_by(p.id, a.date)
    )
    payments = read_frame(conn, paid, dict(rule.PAYMENTS))
    covered = read_frame(
        conn, select(pi.plan_id, pi.invoice_id).join_from(PLAN_ITEMS, PLANS).where(active), dict(rule.COVERED)
    )
    return plans, schedule, payments, covered


def _broken(conn: Connection, part: Part | None, only: int | None) -> pl.DataFrame:
    p = PLANS.c
    query = select(p.customer_id, p.currency, func.max(p.decided_on)).where(
        _scoped(p.status == "broken", part, only)
    )
    return read_frame(conn, query.group_by(p.customer_id, p.currency), dict(rule.BROKEN))


def read_plans(
    conn: Connection, as_of: date, part: Part | None = None, *, only: int | None = None
) -> PlanInputs:
    """The active plans' states on D, with the invoices they cover and the groups' broken days."""
    plans, schedule, payments, covered = _read(conn, as_of, part, only)
    states, changes = rule.decide_plans(plans, schedule, payments, as_of)
    return PlanInputs(states, covered, _broken(conn, part, only), changes)


def write_plan_changes(
    conn: Connection, changes: pl.DataFrame, *, run_id: int, as_of: date, now: datetime
) -> None:
    """Write the plans the run decided (only those still active: a second run for the same D finds
    none), what each instalment had received, and alert the owner and the managers of a broken one."""
    if changes.is_empty():
        return
    p = PLANS.c
    statement = (
        update(PLANS)
        .where(and_(p.id == bindparam("b_id"), p.status == "active"))
        .values(
            status=bindparam("b_status"),
            reason=bindparam("b_reason"),
            decided_on=as_of,
            decided_run_id=run_id,
        )
    )
    rows = changes.iter_rows(named=True)
    conn.execute(
        statement, [{"b_id": r["plan_id"], "b_status": r["status"], "b_reason": r["reason"]} for r in rows]
    )
    _write_instalments(conn, changes)
    alerts = []
    for row in changes.filter(pl.col("status") == "broken").iter_rows(named=True):
        params: dict[str, str | int] = {
            "plan": row["plan_id"],
            "amount_minor": row["missed_minor"],
            "currency": row["currency"],
            "due_on": row["missed_due_on"].isoformat(),
        }
        alerts.append(NewAlert("plan_broken", f"plan-broken:{row['plan_id']}", row["customer_id"], params))
    raise_alerts(conn, alerts, at=now)


def _write_instalments(conn: Connection, changes: pl.DataFrame) -> None:
    """Each decided plan's instalments with what the payments gave them in date order: paid,
    missed (the one that broke the plan), or still pending."""
    n = PLAN_INSTALMENTS.c
    ids = changes["plan_id"].to_list()
    query = select(n.plan_id, n.number, n.due_on, n.amount_minor).where(n.plan_id.in_(ids))
    schedule: dict[int, list[Instalment]] = defaultdict(list)
    for stored in conn.execute(query):
        schedule[stored.plan_id].append(Instalment(stored.number, stored.due_on, stored.amount_minor))
    updates = []
    for row in changes.iter_rows(named=True):
        ordered = sorted(schedule[row["plan_id"]], key=lambda i: (i.due_on, i.number))
        for one, got in zip(ordered, allocate(ordered, row["paid_minor"]), strict=True):
            status = "paid" if got >= one.amount_minor else "pending"
            if one.number == row["missed_number"]:
                status = "missed"
            updates.append(
                {"b_plan": row["plan_id"], "b_number": one.number, "b_paid": got, "b_status": status}
            )
    statement = (
        update(PLAN_INSTALMENTS)
        .where(and_(n.plan_id == bindparam("b_plan"), n.number == bindparam("b_number")))
        .values(paid_minor=bindparam("b_paid"), status=bindparam("b_status"))
    )
    if updates:
        conn.execute(statement, updates)


def undo_plan_changes(conn: Connection, run_id: int) -> int:
    """Put the plans run `run_id` decided back to active (a revert of that run)."""
    p, n = PLANS.c, PLAN_INSTALMENTS.c
    decided = select(p.id).where(p.decided_run_id == run_id)
    conn.execute(
        update(PLAN_INSTALMENTS).where(n.plan_id.in_(decided)).values(paid_minor=0, status="pending")
    )
    values = {"status": "active", "reason": None, "decided_on": None, "decided_run_id": None}
    result = conn.execute(update(PLANS).where(p.decided_run_id == run_id).values(values))
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class Unpaid:
    """An instalment of an active plan not yet paid in full on D: what is left of it (`left_minor`)
    and of the whole plan (`remaining_minor`)."""

    plan_id: int
    customer_id: int
    currency: str
    grace_days: int
    instalment: Instalment
    left_minor: int
    remaining_minor: int


def unpaid_instalments(
    conn: Connection, *, as_of: date, ahead: int, part: Part | None = None
) -> list[Unpaid]:
    """The unpaid instalments of the active plans with an instalment due from `MAX_GRACE` days ago to
    `ahead` days from D; payments fall on the instalments in date order (`allocate`)."""
    p, n = PLANS.c, PLAN_INSTALMENTS.c
    window = and_(n.due_on >= as_of - timedelta(days=MAX_GRACE), n.due_on <= as_of + timedelta(days=ahead))
    near = select(n.plan_id).join_from(PLAN_INSTALMENTS, PLANS).where(_active(part, None), window).distinct()
    plan_ids = sorted(conn.execute(near).scalars())
    if not plan_ids:
        return []
    rows = conn.execute(
        select(p.id, p.customer_id, p.currency, p.grace_days, n.number, n.due_on, n.amount_minor)
        .join_from(PLAN_INSTALMENTS, PLANS)
        .where(p.id.in_(plan_ids))
    ).all()
    paid = _paid_by_plan(conn, plan_ids, as_of)
    by_plan: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_plan[row.id].append(row)
    found = []
    for plan_id, mine in sorted(by_plan.items()):
        ordered = sorted(
            (Instalment(r.number, r.due_on, r.amount_minor) for r in mine), key=lambda i: (i.due_on, i.number)
        )
        total_paid = paid.get(plan_id, 0)
        remaining = sum(one.amount_minor for one in ordered) - total_paid
        for one, given in zip(ordered, allocate(ordered, total_paid), strict=True):
            if given < one.amount_minor:
                first = mine[0]
                found.append(
                    Unpaid(plan_id, first.customer_id, first.currency, first.grace_days, one,
                           one.amount_minor - given, remaining)
                )  # fmt: skip
    return found


def _paid_by_plan(conn: Connection, plan_ids: list[int], as_of: date) -> dict[int, int]:
    """plan id → what the payments to its invoices gave it, from the day it was agreed to D."""
    p, pi, a = PLANS.c, PLAN_ITEMS.c, ALLOCATIONS.c
    query = (
        select(p.id, func.sum(a.amount_minor))
        .select_from(
            PLANS.join(PLAN_ITEMS, pi.plan_id == p.id).join(ALLOCATIONS, a.invoice_id == pi.invoice_id)
        )
        .where(p.id.in_(plan_ids), a.payment_id.is_not(None), a.date >= p.start_on, a.date <= as_of)
        .group_by(p.id)
    )
    return {int(plan_id): int(total or 0) for plan_id, total in conn.execute(query)}


def remind_instalments(conn: Connection, *, as_of: date, now: datetime, part: Part | None = None) -> int:
    """Remind the owner and the managers of each instalment of an active plan not yet paid in full:
    once in the `REMIND_DAYS` before its date, once from its date to its last day of grace (the
    alert's key makes each said once, whichever run day it falls on). The alerts are raised
    together; the number raised."""
    alerts = []
    for due in unpaid_instalments(conn, as_of=as_of, ahead=REMIND_DAYS, part=part):
        one = due.instalment
        when = moment_of(one.due_on, as_of, days_before=REMIND_DAYS, grace_days=due.grace_days)
        if when is None:
            continue
        params: dict[str, str | int] = {
            "plan": due.plan_id,
            "amount_minor": due.left_minor,
            "currency": due.currency,
            "due_on": one.due_on.isoformat(),
        }
        key = f"instalment-due:{due.plan_id}:{one.number}:{when}"
        alerts.append(NewAlert("instalment_due", key, due.customer_id, params))
    return raise_alerts(conn, alerts, at=now)


def planned_items(
    conn: Connection, customer_id: int, items: pl.DataFrame, as_of: date
) -> dict[int, dict[str, str]]:
    """item_id → the active plan that pauses it on D, said as `plan` and `until` (`explain`)."""
    paused = items.filter(pl.col("plan_until") >= as_of)
    if paused.is_empty():
        return {}
    p, pi, n = PLANS.c, PLAN_ITEMS.c, PLAN_INSTALMENTS.c
    last = select(n.plan_id, func.max(n.due_on).label("last")).group_by(n.plan_id).subquery()
    query = (
        select(pi.invoice_id, p.id, p.grace_days, last.c.last)
        .join_from(PLAN_ITEMS, PLANS, p.id == pi.plan_id)
        .join(last, last.c.plan_id == p.id)
        .where(
            p.customer_id == customer_id, p.status == "active", pi.invoice_id.in_(paused["item_id"].to_list())
        )
    )
    return {
        int(item_id): {"plan": str(plan_id), "until": (last_due + timedelta(days=grace)).isoformat()}
        for item_id, plan_id, grace, last_due in conn.execute(query)
    }


__all__ = [
    "PlanInputs",
    "Unpaid",
    "planned_items",
    "read_plans",
    "remind_instalments",
    "undo_plan_changes",
    "unpaid_instalments",
    "write_plan_changes",
]
