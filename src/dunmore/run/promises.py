"""Promises to pay in the run: gather the pending ones with what was paid toward them, write the
day's decisions (status, decided_on, paid_minor, reason, the run) with an alert for each broken one,
and put them back to pending when the run is reverted. Set-based: a bounded number of statements
whatever the number of promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, bindparam, exists, func, select, update

from dunmore.domain.money import format_minor
from dunmore.engine import promises as rule
from dunmore.engine.partition import Part
from dunmore.ledger.models import ALLOCATIONS, INVOICES
from dunmore.store.bulk import read_frame
from dunmore.workspace.alerts import NewAlert, raise_alerts
from dunmore.workspace.models import PROMISE_ITEMS, PROMISES


@dataclass(frozen=True)
class PromiseInputs:
    """What the run reads of the promises: the pending ones (`rule.PENDING`), the items they name
    (`rule.COVERED`), and each group's latest broken day before today (`rule.BROKEN`)."""

    pending: pl.DataFrame
    covered: pl.DataFrame
    broken: pl.DataFrame


def _scoped(condition: Any, customer_id: Any, part: Part | None, only: int | None) -> Any:
    if part is not None:
        condition = and_(condition, part.holds(customer_id))
    return condition if only is None else and_(condition, customer_id == only)


def _pending_promises(conn: Connection, part: Part | None, only: int | None) -> pl.DataFrame:
    p = PROMISES.c
    named = exists().where(PROMISE_ITEMS.c.promise_id == p.id)
    query = select(p.id, p.customer_id, p.currency, p.amount_minor, p.made_on, p.due_on, p.grace_days, ~named)
    query = query.where(_scoped(p.status == "pending", p.customer_id, part, only))
    schema = dict(rule.PENDING) | {"made_on": pl.Date}
    schema.pop("paid_minor")
    order = ["promise_id", "customer_id", "currency", "amount_minor", "made_on", "due_on", "grace_days"]
    return read_frame(conn, query, {name: schema[name] for name in [*order, "whole_balance"]})


def _payments(conn: Connection, as_of: date, part: Part | None, only: int | None) -> pl.DataFrame:
    """Payments allocated from each pending promise's making to D, per promise and allocation date:
    to its invoices, or (a whole-balance promise) to its customer's invoices in its currency."""
    p, a, i, pi = PROMISES.c, ALLOCATIONS.c, INVOICES.c, PROMISE_ITEMS.c
    paid = and_(a.payment_id.is_not(None), a.date >= p.made_on, a.date <= as_of)
    pending = _scoped(p.status == "pending", p.customer_id, part, only)
    named = (
        select(p.id, a.date, func.sum(a.amount_minor))
        .select_from(
            PROMISES.join(PROMISE_ITEMS, pi.promise_id == p.id).join(
                ALLOCATIONS, a.invoice_id == pi.invoice_id
            )
        )
        .where(and_(pending, paid))
        .group_by(p.id, a.date)
    )
    whole = (
        select(p.id, a.date, func.sum(a.amount_minor))
        .select_from(
            PROMISES.join(INVOICES, and_(i.customer_id == p.customer_id, i.currency == p.currency)).join(
                ALLOCATIONS, a.invoice_id == i.id
            )
        )
        .where(and_(pending, paid, ~exists().where(pi.promise_id == p.id)))
        .group_by(p.id, a.date)
    )
    schema = {"promise_id": pl.Int64, "date": pl.Date, "amount": pl.Int64}
    return pl.concat([read_frame(conn, named, schema), read_frame(conn, whole, schema)])


def _covered(conn: Connection, part: Part | None, only: int | None) -> pl.DataFrame:
    p, pi = PROMISES.c, PROMISE_ITEMS.c
    query = select(pi.promise_id, pi.invoice_id).join_from(PROMISE_ITEMS, PROMISES, p.id == pi.promise_id)
    return read_frame(
        conn, query.where(_scoped(p.status == "pending", p.customer_id, part, only)), dict(rule.COVERED)
    )


def _broken(conn: Connection, part: Part | None, only: int | None) -> pl.DataFrame:
    p = PROMISES.c
    failed = _scoped(p.status.in_(["broken", "partial"]), p.customer_id, part, only)
    query = select(p.customer_id, p.currency, func.max(p.decided_on)).where(failed)
    return read_frame(conn, query.group_by(p.customer_id, p.currency), dict(rule.BROKEN))


def read_promises(
    conn: Connection, as_of: date, part: Part | None = None, *, only: int | None = None
) -> PromiseInputs:
    """The pending promises with what was paid toward them by min(D, deadline)."""
    pending = _pending_promises(conn, part, only)
    payments = _payments(conn, as_of, part, only)
    deadlines = pending.select("promise_id", deadline=rule.deadline())
    counted = payments.join(deadlines, on="promise_id").filter(pl.col("date") <= pl.col("deadline"))
    paid = counted.group_by("promise_id").agg(paid_minor=pl.col("amount").sum())
    pending = pending.join(paid, on="promise_id", how="left", maintain_order="left")
    pending = (
        pending.with_columns(pl.col("paid_minor").fill_null(0)).select(list(rule.PENDING)).cast(rule.PENDING)
    )
    return PromiseInputs(pending, _covered(conn, part, only), _broken(conn, part, only))


@dataclass(frozen=True)
class PendingPromise:
    """A pending promise as `explain` names it; `item_ids` empty: the whole balance in its currency."""

    id: int
    currency: str
    amount_minor: int
    due_on: date
    grace_days: int
    item_ids: tuple[int, ...]


def pending_promises(conn: Connection, customer_id: int) -> list[PendingPromise]:
    """One customer's pending promises with the invoices they name."""
    p, pi = PROMISES.c, PROMISE_ITEMS.c
    rows = conn.execute(
        select(p.id, p.currency, p.amount_minor, p.due_on, p.grace_days)
        .where(p.customer_id == customer_id, p.status == "pending")
        .order_by(p.id)
    ).all()
    named: dict[int, list[int]] = {}
    query = select(pi.promise_id, pi.invoice_id).where(pi.promise_id.in_([row.id for row in rows]))
    for promise_id, invoice_id in conn.execute(query):
        named.setdefault(promise_id, []).append(invoice_id)
    return [
        PendingPromise(
            row.id,
            row.currency,
            row.amount_minor,
            row.due_on,
            row.grace_days,
            tuple(sorted(named.get(row.id, []))),
        )
        for row in rows
    ]


def write_promise_changes(
    conn: Connection, changes: pl.DataFrame, *, run_id: int, as_of: date, now: datetime
) -> None:
    """Write the promises the run decided (only those still pending: a second run for the same D
    finds none) and alert the owner and the managers of each broken or partly kept one."""
    if changes.is_empty():
        return
    p = PROMISES.c
    statement = (
        update(PROMISES)
        .where(and_(p.id == bindparam("b_id"), p.status == "pending"))
        .values(
            status=bindparam("b_status"),
            reason=bindparam("b_reason"),
            paid_minor=bindparam("b_paid"),
            decided_on=as_of,
            decided_run_id=run_id,
        )
    )
    rows = [
        {"b_id": r["promise_id"], "b_status": r["status"], "b_reason": r["reason"], "b_paid": r["paid_minor"]}
        for r in changes.iter_rows(named=True)
    ]
    conn.execute(statement, rows)
    _alert_broken(conn, changes.filter(pl.col("status") != "kept"), now=now)


def _alert_broken(conn: Connection, failed: pl.DataFrame, *, now: datetime) -> None:
    """One alert per broken or partly kept promise, raised together (a bounded number of statements
    whatever their number)."""
    alerts = []
    for row in failed.iter_rows(named=True):
        currency = row["currency"]
        params: dict[str, str | int] = {
            "promise": row["promise_id"],
            "amount": f"{format_minor(row['amount_minor'], currency)} {currency}",
            "paid": f"{format_minor(row['paid_minor'], currency)} {currency}",
            "due_on": row["due_on"].isoformat(),
        }
        key = f"promise-broken:{row['promise_id']}"
        alerts.append(NewAlert("promise_broken", key, row["customer_id"], params))
    raise_alerts(conn, alerts, at=now)


def undo_promise_changes(conn: Connection, run_id: int) -> int:
    """Put the promises run `run_id` decided back to pending (a revert of that run)."""
    p = PROMISES.c
    values = {
        "status": "pending",
        "reason": None,
        "paid_minor": 0,
        "decided_on": None,
        "decided_run_id": None,
    }
    result = conn.execute(update(PROMISES).where(p.decided_run_id == run_id).values(values))
    return int(result.rowcount or 0)


__all__ = [
    "PendingPromise",
    "PromiseInputs",
    "pending_promises",
    "read_promises",
    "undo_promise_changes",
    "write_promise_changes",
]
