"""Gather: the ledger as the run sees it on D, read set-based into the engine's frames.

Only invoices issued on or before D count, with their open amount as of D (allocations dated after
D are added back), and the late-payment interest basis of the payments dated on or before D.
Given a `Part`, only that partition's customers are read (`dunmore.engine.partition`); given `only`,
one customer's (by id: `explain` reads it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, and_, func, select, true
from sqlalchemy.sql.elements import True_

from dunmore.credit.contract_fee import read_fee_clauses
from dunmore.credit.contract_interest import read_clauses
from dunmore.credit.contract_models import CONTRACTS
from dunmore.engine import plans, promises
from dunmore.engine.frames import CUSTOMERS, GROUPS, ITEMS, REJECTIONS, SnapshotFrames
from dunmore.engine.partition import Part
from dunmore.ledger.models import ALLOCATIONS, INVOICES, ITEM_LEVELS
from dunmore.ledger.models import CUSTOMERS as CUSTOMER_TABLE
from dunmore.run.models import DUNNING_GROUPS, NOTICE_ITEMS, NOTICES, REMINDER_RECORDS
from dunmore.run.next_steps import read_facts
from dunmore.run.plans import read_plans
from dunmore.run.promises import read_promises
from dunmore.store.bulk import read_frame

_ITEM_COLUMNS = ["item_id", "customer_id", "currency", "kind", "due_date", "open_minor", "disputed_minor"]
KEYS = ["customer_id", "currency"]
_ITEM_COLUMNS += ["on_hold", "level", "level_date", "interest_charged_minor"]


def _later_allocations(conn: Connection, as_of: date, part: Part | None, only: int | None) -> pl.DataFrame:
    """What was allocated after D, per invoice: added back to today's open amount gives D's."""
    a = ALLOCATIONS.c
    query = select(a.invoice_id, func.sum(a.amount_minor)).where(a.date > as_of).group_by(a.invoice_id)
    mine = _in(part, only, INVOICES.c.customer_id)
    if not isinstance(mine, True_):
        query = query.where(a.invoice_id.in_(select(INVOICES.c.id).where(mine)))
    return read_frame(conn, query, {"item_id": pl.Int64, "later": pl.Int64})


def _item_rows(conn: Connection, condition: Any) -> pl.DataFrame:
    i, lv = INVOICES.c, ITEM_LEVELS.c
    query = select(i.id, i.customer_id, i.currency, i.kind, i.due_date, i.open_minor, i.disputed_minor)
    level = func.coalesce(lv.level, 0)
    query = query.add_columns(i.on_hold, level, lv.level_date, i.interest_charged_minor).where(condition)
    query = query.select_from(INVOICES.outerjoin(ITEM_LEVELS, lv.invoice_id == i.id))
    return read_frame(conn, query, {name: ITEMS[name] for name in _ITEM_COLUMNS})


def _in(part: Part | None, only: int | None, customer_id: Any) -> Any:
    """The condition that keeps a partition's customers, or the one customer `only` (neither: every
    customer)."""
    wanted = true() if part is None else part.holds(customer_id)
    return wanted if only is None else and_(wanted, customer_id == only)


def _open_items(conn: Connection, as_of: date, part: Part | None, only: int | None) -> pl.DataFrame:
    """Invoices issued by D and open on D: open now, or settled only by what came after D."""
    issued = and_(INVOICES.c.issue_date <= as_of, _in(part, only, INVOICES.c.customer_id))
    open_now = _item_rows(conn, and_(issued, INVOICES.c.open_minor > 0))
    later = _later_allocations(conn, as_of, part, only)
    settled_since = later.join(open_now, on="item_id", how="anti")["item_id"].to_list()
    reopened = [
        _item_rows(conn, and_(issued, INVOICES.c.id.in_(settled_since[start : start + 10_000])))
        for start in range(0, len(settled_since), 10_000)
    ]
    items = pl.concat([open_now, *reopened]).join(later, on="item_id", how="left")
    return items.with_columns(open_minor=pl.col("open_minor") + pl.col("later").fill_null(0)).drop("later")


def _late_payments(conn: Connection, as_of: date, part: Part | None, only: int | None) -> pl.DataFrame:
    """Σ amount × days late of payment allocations dated after the due date and on or before D."""
    a, i = ALLOCATIONS.c, INVOICES.c
    query = (
        select(a.invoice_id, a.date, i.due_date, a.amount_minor)
        .select_from(ALLOCATIONS.join(INVOICES, i.id == a.invoice_id))
        .where(
            and_(
                a.payment_id.is_not(None),
                a.date <= as_of,
                a.date > i.due_date,
                _in(part, only, i.customer_id),
            )
        )
    )
    schema = {"item_id": pl.Int64, "paid": pl.Date, "due": pl.Date, "amount": pl.Int64}
    paid = read_frame(conn, query, schema)
    days = (pl.col("paid") - pl.col("due")).dt.total_days()
    return paid.group_by("item_id").agg(paid_minor_days=(pl.col("amount") * days).sum())


def _reminders_had(conn: Connection, part: Part | None, only: int | None) -> pl.DataFrame:
    r = REMINDER_RECORDS.c
    query = select(r.invoice_id, r.step)
    mine = _in(part, only, INVOICES.c.customer_id)
    if not isinstance(mine, True_):
        query = query.join_from(REMINDER_RECORDS, INVOICES, INVOICES.c.id == r.invoice_id).where(mine)
    had = read_frame(conn, query, {"item_id": pl.Int64, "step": pl.String})
    return had.group_by("item_id").agg(reminders_had=pl.col("step").sort())


def read_items(
    conn: Connection, as_of: date, part: Part | None = None, *, only: int | None = None
) -> pl.DataFrame:
    items = _open_items(conn, as_of, part, only)
    items = items.join(_late_payments(conn, as_of, part, only), on="item_id", how="left")
    items = items.join(_reminders_had(conn, part, only), on="item_id", how="left")
    clauses = read_clauses(conn, _in(part, only, CONTRACTS.c.customer_id))
    items = items.join(clauses, on="item_id", how="left")
    fee_clauses = read_fee_clauses(conn, _in(part, only, CONTRACTS.c.customer_id))
    items = items.join(fee_clauses, on="item_id", how="left")
    return items.with_columns(
        paid_minor_days=pl.col("paid_minor_days").fill_null(0),
        reminders_had=pl.col("reminders_had").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        promised_until=pl.lit(None, dtype=pl.Date),
        plan_until=pl.lit(None, dtype=pl.Date),
    ).select(list(ITEMS))


def read_customers(conn: Connection, part: Part | None = None, *, only: int | None = None) -> pl.DataFrame:
    c = CUSTOMER_TABLE.c
    query = select(c.id, c.grade, c.tags, c.on_hold).where(_in(part, only, c.id))
    raw = read_frame(
        conn, query, {"customer_id": pl.Int64, "grade": pl.String, "tags": pl.String, "on_hold": pl.Boolean}
    )
    tags = pl.when(pl.col("tags") == "").then(pl.lit([], dtype=pl.List(pl.String)))
    return raw.with_columns(tags=tags.otherwise(pl.col("tags").str.split(";"))).cast(CUSTOMERS)


def read_groups(conn: Connection, part: Part | None = None, *, only: int | None = None) -> pl.DataFrame:
    g = DUNNING_GROUPS.c
    query = select(g.customer_id, g.currency, g.last_level_notice, g.fee_levels, g.episode_open)
    query = query.where(_in(part, only, g.customer_id))
    schema = {"customer_id": pl.Int64, "currency": pl.String, "last_level_notice": pl.Date}
    schema |= {"fee_levels": pl.String, "episode_open": pl.Boolean}
    state = read_frame(conn, query, schema)
    n = NOTICES.c
    pending = and_(n.status == "pending_approval", _in(part, only, n.customer_id))
    waiting_query = select(n.customer_id, n.currency).where(pending).distinct()
    waiting = read_frame(conn, waiting_query, {"customer_id": pl.Int64, "currency": pl.String})
    keys = ["customer_id", "currency"]
    state = state.join(
        waiting.with_columns(awaiting_approval=pl.lit(True)), on=keys, how="full", coalesce=True
    )
    levels = pl.when(pl.col("fee_levels").fill_null("") == "").then(pl.lit([], dtype=pl.List(pl.String)))
    return (
        state.with_columns(
            fee_levels=levels.otherwise(pl.col("fee_levels").str.split(";")).cast(pl.List(pl.Int64)),
            episode_open=pl.col("episode_open").fill_null(False),
            awaiting_approval=pl.col("awaiting_approval").fill_null(False),
            promise_broken_on=pl.lit(None, dtype=pl.Date),
            plan_broken_on=pl.lit(None, dtype=pl.Date),
        )
        .select(list(GROUPS))
        .cast(GROUPS)
    )


def standing_rejections() -> Select[Any]:
    """(notice id, customer, currency, step, dunned amount) of every rejected level notice nobody
    reopened; the dunned amount is the sum of the open amounts the notice listed."""
    n, i = NOTICES.c, NOTICE_ITEMS.c
    amount = select(func.coalesce(func.sum(i.open_minor), 0)).where(i.notice_id == n.id).scalar_subquery()
    standing = and_(n.status == "rejected", n.kind == "level", n.reopened_at.is_(None))
    return select(n.id, n.customer_id, n.currency, n.step, amount.label("rejected_minor")).where(standing)


def read_rejections(conn: Connection, part: Part | None = None, *, only: int | None = None) -> pl.DataFrame:
    """The standing rejections, one row per (customer, currency, step) with the largest amount."""
    query = standing_rejections().where(_in(part, only, NOTICES.c.customer_id)).subquery()
    keys = [query.c.customer_id, query.c.currency, query.c.step]
    grouped = select(*keys, func.max(query.c.rejected_minor)).group_by(*keys)
    return read_frame(conn, grouped, dict(REJECTIONS))


def read_snapshot(
    conn: Connection, as_of: date, part: Part | None = None, *, only: int | None = None
) -> SnapshotFrames:
    """The ledger as of D, in the engine's frames: only partition `part`'s customers, if given;
    `only` one customer's part (by id), which decides exactly as the whole does, since customers are
    independent (`explain` reads it)."""
    items, groups = read_items(conn, as_of, part, only=only), read_groups(conn, part, only=only)
    items, groups, changes = with_promises(conn, as_of, items, groups, part, only)
    items, groups, plan_changes = with_plans(conn, as_of, items, groups, part, only)
    return SnapshotFrames(
        as_of,
        items,
        read_customers(conn, part, only=only),
        groups,
        read_rejections(conn, part, only=only),
        changes,
        plan_changes,
        facts=read_facts(conn, as_of, pl.concat([items.select(KEYS), groups.select(KEYS)]), part, only=only),
    )


def with_promises(
    conn: Connection,
    as_of: date,
    items: pl.DataFrame,
    groups: pl.DataFrame,
    part: Part | None,
    only: int | None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(the items with their `promised_until`, the groups with their `promise_broken_on`, the
    promises decided on D): the promises' state for D (`engine.promises`) read into the snapshot."""
    found = read_promises(conn, as_of, part, only=only)
    if found.pending.is_empty() and found.broken.is_empty():
        return items, groups, promises.no_changes()
    states = promises.promise_states(found.pending, as_of)
    changes = promises.changes(states)
    items = items.with_columns(promises.promised_until(items, states, found.covered))
    groups = groups.with_columns(promises.promise_broken_on(groups, found.broken, changes, as_of))
    return items, groups, changes


def with_plans(
    conn: Connection,
    as_of: date,
    items: pl.DataFrame,
    groups: pl.DataFrame,
    part: Part | None,
    only: int | None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(the items with their `plan_until`, the groups with their `plan_broken_on`, the plans decided
    on D): the instalment plans' state for D (`run.plans`, `engine.plans`) read into the snapshot."""
    found = read_plans(conn, as_of, part, only=only)
    if found.states.is_empty() and found.broken.is_empty():
        return items, groups, found.changes
    items = items.with_columns(plans.plan_until(items, found.states, found.covered))
    groups = groups.with_columns(plans.plan_broken_on(groups, found.broken, found.changes, as_of))
    return items, groups, found.changes
