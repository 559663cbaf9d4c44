"""Apply: write a run's decisions in the caller's transaction, set-based.

The effects of a level notice (level rises, fee item, interest item, spacing clock, fee level,
deliveries) live in one function, used both when a run commits and when a pending notice is
approved later, so that approval applies exactly what the run would have applied on its date.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, delete, insert, select, tuple_

from dunmore.domain.policy import PolicySet
from dunmore.ledger.models import INVOICES
from dunmore.ledger.service import reallocate
from dunmore.run.models import DELIVERIES, DUNNING_GROUPS, NOTICE_ITEMS, NOTICES, REMINDER_RECORDS
from dunmore.store.bulk import insert_frame, read_frame, update_frame

GROUP = ["customer_id", "currency"]


def insert_notices(conn: Connection, notices: pl.DataFrame, *, run_id: int, as_of: date) -> pl.DataFrame:
    """Insert the notices; returns them with their database `notice_id` beside `notice_key`."""
    if notices.is_empty():
        return notices.with_columns(notice_id=pl.lit(None, dtype=pl.Int64))
    status = (
        pl.when(pl.col("pending_approval")).then(pl.lit("pending_approval")).otherwise(pl.lit("committed"))
    )
    rows = notices.with_columns(status=status, run_id=pl.lit(run_id), as_of=pl.lit(as_of))
    columns = ["run_id", "as_of", *GROUP, "kind", "step", "policy", "level", "fee_minor"]
    columns += ["interest_charge_minor", "status"]
    statement = insert(NOTICES).returning(NOTICES.c.id, sort_by_parameter_order=True)
    ids = conn.execute(statement, rows.select(columns).to_dicts()).scalars().all()
    return notices.with_columns(notice_id=pl.Series(ids, dtype=pl.Int64))


def insert_notice_items(conn: Connection, items: pl.DataFrame, keyed: pl.DataFrame) -> None:
    rows = items.join(keyed.select("notice_key", "notice_id"), on="notice_key")
    columns = ["notice_id", "item_id", "kind", "level", "days_past_due", "open_minor", "interest_minor"]
    insert_frame(conn, NOTICE_ITEMS, rows.select(columns))


def insert_reminder_records(conn: Connection, records: pl.DataFrame, *, run_id: int) -> None:
    rows = records.select(pl.col("item_id").alias("invoice_id"), "step", "status", run_id=pl.lit(run_id))
    insert_frame(conn, REMINDER_RECORDS, rows)


def insert_deliveries(conn: Connection, notices: pl.DataFrame, policies: PolicySet, now: datetime) -> None:
    """One pending delivery per channel of each notice's step (the outbox)."""
    channels = {
        (name, step.name): step.channels
        for name, policy in policies.policies.items()
        for step in (*policy.reminders, *policy.levels)
    }
    rows = [
        (notice_id, channel, "pending", now)
        for notice_id, policy, step in notices.select("notice_id", "policy", "step").iter_rows()
        for channel in channels.get((policy, step), ())
    ]
    schema = {"notice_id": pl.Int64, "channel": pl.String, "status": pl.String}
    frame = pl.DataFrame(rows, schema={**schema, "created_at": pl.Datetime("us", "UTC")}, orient="row")
    insert_frame(conn, DELIVERIES, frame)


def write_group_state(conn: Connection, changes: pl.DataFrame) -> None:
    """Replace the state of the changed groups (delete + insert, set-based)."""
    if changes.is_empty():
        return
    keys = [tuple(k) for k in changes.select(GROUP).iter_rows()]
    for start in range(0, len(keys), 5_000):
        chunk = keys[start : start + 5_000]
        conn.execute(delete(DUNNING_GROUPS).where(tuple_(*(DUNNING_GROUPS.c[k] for k in GROUP)).in_(chunk)))
    levels = pl.col("fee_levels").list.eval(pl.element().cast(pl.String)).list.join(";")
    insert_frame(conn, DUNNING_GROUPS, changes.with_columns(fee_levels=levels))


def _charge_items(conn: Connection, notices: pl.DataFrame, *, as_of: date) -> list[int]:
    """Fee and interest items (invoices of kind fee/interest, due on D); returns their customers."""
    fees = notices.filter(pl.col("fee_minor").is_not_null()).select(
        *GROUP, "notice_id", amount_minor="fee_minor", kind=pl.lit("fee"), prefix=pl.lit("FEE-")
    )
    interest = notices.filter(pl.col("interest_charge_minor").is_not_null()).select(
        *GROUP,
        "notice_id",
        amount_minor="interest_charge_minor",
        kind=pl.lit("interest"),
        prefix=pl.lit("INT-"),
    )
    charges = pl.concat([fees, interest])
    rows = charges.select(
        external_id=pl.col("prefix") + pl.col("notice_id").cast(pl.String),
        customer_id="customer_id",
        issue_date=pl.lit(as_of),
        due_date=pl.lit(as_of),
        currency="currency",
        amount_minor="amount_minor",
        disputed_minor=pl.lit(0, dtype=pl.Int64),
        open_minor="amount_minor",
        on_hold=pl.lit(False),
        kind="kind",
        level=pl.lit(0, dtype=pl.Int64),
        interest_charged_minor=pl.lit(0, dtype=pl.Int64),
    )
    insert_frame(conn, INVOICES, rows)
    return rows["customer_id"].unique().to_list()


def _charge_interest(conn: Connection, notices: pl.DataFrame, items: pl.DataFrame) -> None:
    """Mark the interest a notice's interest item charged on each of its items."""
    charging = notices.filter(pl.col("interest_charge_minor").is_not_null()).select("notice_id")
    charged = items.join(charging, on="notice_id").filter(pl.col("interest_minor") > 0)
    current = _invoice_values(conn, charged["item_id"].to_list(), "interest_charged_minor")
    update = charged.join(current, on="item_id").select(
        id="item_id", interest_charged_minor=pl.col("interest_charged_minor") + pl.col("interest_minor")
    )
    update_frame(conn, INVOICES, update)


def _invoice_values(conn: Connection, ids: list[int], column: str) -> pl.DataFrame:
    frames = []
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        query = select(INVOICES.c.id, INVOICES.c[column]).where(INVOICES.c.id.in_(chunk))
        frames.append(read_frame(conn, query, {"item_id": pl.Int64, column: pl.Int64}))
    return pl.concat(frames) if frames else pl.DataFrame(schema={"item_id": pl.Int64, column: pl.Int64})


def _raise_levels(conn: Connection, items: pl.DataFrame, *, as_of: date) -> None:
    invoices = items.filter(pl.col("kind") == "invoice")
    current = _invoice_values(conn, invoices["item_id"].to_list(), "level").rename({"level": "current"})
    rising = invoices.join(current, on="item_id").filter(pl.col("level") > pl.col("current"))
    update_frame(conn, INVOICES, rising.select(id="item_id", level="level", level_date=pl.lit(as_of)))


def apply_level_effects(conn: Connection, notices: pl.DataFrame, items: pl.DataFrame, *, as_of: date) -> None:
    """What non-pending level notices change in the ledger: levels, fee and interest items.

    `notices` has notice_id, customer_id, currency, fee_minor, interest_charge_minor; `items` has
    notice_id, item_id, kind, level (after the notice) and interest_minor.
    """
    _raise_levels(conn, items, as_of=as_of)
    _charge_interest(conn, notices, items)
    reallocate(conn, _charge_items(conn, notices, as_of=as_of))


def notice_rows(conn: Connection, notice_id: int) -> tuple[dict[str, Any] | None, pl.DataFrame]:
    """A stored notice and its items, for approval."""
    row = conn.execute(select(NOTICES).where(NOTICES.c.id == notice_id)).mappings().first()
    n = NOTICE_ITEMS.c
    query = select(n.notice_id, n.item_id, n.kind, n.level, n.interest_minor).where(n.notice_id == notice_id)
    schema = {"notice_id": pl.Int64, "item_id": pl.Int64, "kind": pl.String, "level": pl.Int64}
    items = read_frame(conn, query, {**schema, "interest_minor": pl.Int64})
    return (dict(row) if row else None), items


def group_after_approval(conn: Connection, notice: dict[str, Any]) -> pl.DataFrame:
    """The group's state once an approved notice applies: its run date as last notice, its fee level."""
    g = DUNNING_GROUPS.c
    query = select(g.last_level_notice, g.fee_levels, g.episode_open).where(
        and_(g.customer_id == notice["customer_id"], g.currency == notice["currency"])
    )
    found = conn.execute(query).first()
    levels = [int(x) for x in found.fee_levels.split(";") if x] if found else []
    if notice["fee_minor"] is not None:
        levels = sorted({*levels, notice["level"]})
    last = (
        notice["as_of"]
        if found is None or found.last_level_notice is None
        else max(found.last_level_notice, notice["as_of"])
    )
    row = (
        notice["customer_id"],
        notice["currency"],
        last,
        levels,
        True if found is None else found.episode_open,
    )
    schema = {"customer_id": pl.Int64, "currency": pl.String, "last_level_notice": pl.Date}
    return pl.DataFrame(
        [row], schema={**schema, "fee_levels": pl.List(pl.Int64), "episode_open": pl.Boolean}, orient="row"
    )
