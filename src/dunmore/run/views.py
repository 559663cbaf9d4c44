"""Notices as people and machines read them: external ids, money as exact decimal strings."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Connection, select

from dunmore.domain.money_frames import minor_to_text
from dunmore.engine.frames import DecisionFrames
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.store.bulk import read_frame


def _external_ids(conn: Connection, table: Any, ids: list[int], names: tuple[str, str]) -> pl.DataFrame:
    frames = []
    for start in range(0, len(ids), 10_000):
        query = select(table.c.id, table.c.external_id).where(table.c.id.in_(ids[start : start + 10_000]))
        frames.append(read_frame(conn, query, {names[0]: pl.Int64, names[1]: pl.String}))
    return pl.concat(frames) if frames else pl.DataFrame(schema={names[0]: pl.Int64, names[1]: pl.String})


def _money(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    if frame.is_empty():  # no currency to map: an empty exponent mapping would not type as integers
        return frame.with_columns(pl.col(columns).cast(pl.String))
    currencies = frame["currency"].unique().to_list()
    return frame.with_columns(minor_to_text(c, "currency", currencies) for c in columns)


def notices_json(conn: Connection, notices: pl.DataFrame, decisions: DecisionFrames) -> list[dict[str, Any]]:
    """The `run --json` list: one object per notice with its items, ids as the user knows them."""
    customers = _external_ids(
        conn, CUSTOMERS, notices["customer_id"].unique().to_list(), ("customer_id", "customer")
    )
    items = decisions.notice_items.join(notices.select("notice_key", "currency"), on="notice_key")
    invoices = _external_ids(conn, INVOICES, items["item_id"].unique().to_list(), ("item_id", "invoice_id"))
    items = _money(items.join(invoices, on="item_id"), ["open_minor", "interest_minor"])
    by_key: dict[int, list[dict[str, Any]]] = {}
    for row in items.sort("notice_key", "item_id").iter_rows(named=True):
        by_key.setdefault(row["notice_key"], []).append(
            {"invoice_id": row["invoice_id"], "kind": row["kind"], "level": row["level"],
             "days_past_due": row["days_past_due"], "open_amount": row["open_minor"],
             "interest": row["interest_minor"]}
        )  # fmt: skip
    shown = _money(notices.join(customers, on="customer_id"), ["fee_minor", "interest_charge_minor"])
    return [
        {"notice_id": n["notice_id"], "status": n["status"], "customer_id": n["customer"],
         "currency": n["currency"], "kind": n["kind"], "step": n["step"], "level": n["level"],
         "fee": n["fee_minor"], "interest_charged": n["interest_charge_minor"],
         "items": by_key.get(n["notice_key"], [])}
        for n in shown.sort("notice_key").iter_rows(named=True)
    ]  # fmt: skip


def notices_table_rows(conn: Connection, notices: pl.DataFrame, decisions: DecisionFrames) -> pl.DataFrame:
    """One row per notice for the terminal: totals of its items, fee, status."""
    totals = decisions.notice_items.group_by("notice_key").agg(
        items=pl.len(), open_minor=pl.col("open_minor").sum(), interest_minor=pl.col("interest_minor").sum()
    )
    customers = _external_ids(
        conn, CUSTOMERS, notices["customer_id"].unique().to_list(), ("customer_id", "customer")
    )
    rows = notices.join(totals, on="notice_key").join(customers, on="customer_id").sort("notice_key")
    return rows.select(
        id=pl.col("notice_id").cast(pl.String).fill_null("-"),
        customer="customer",
        step=pl.col("step")
        + pl.when(pl.col("status") == "pending_approval").then(pl.lit(" (to approve)")).otherwise(pl.lit("")),
        items="items",
        currency="currency",
        open="open_minor",
        interest="interest_minor",
        fee=pl.col("fee_minor").fill_null(0),
    )
