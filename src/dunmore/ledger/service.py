"""Keeping the ledger's derived state current: allocations, open and unapplied amounts.

`reallocate` replays the groups (customer × currency) of the given customers with the pure rule in
`dunmore.domain.allocation` and writes only what changed. Imports call it after every write, so the
derived columns are always what the documents imply. Services add and flush; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, column, delete, func, select, table

from dunmore.domain.allocation import GroupAllocation, OpenItem, Source, SourceKind, allocate_group
from dunmore.ledger.models import ALLOCATIONS, CREDIT_NOTES, INVOICES, PAYMENTS
from dunmore.store.bulk import affected_customers, insert_frame, read_frame, update_frame

_SOURCE_TABLES = {SourceKind.PAYMENT: PAYMENTS, SourceKind.CREDIT_NOTE: CREDIT_NOTES}
_INVOICE_SCHEMA = {
    "id": pl.Int64,
    "customer_id": pl.Int64,
    "currency": pl.String,
    "issue_date": pl.Date,
    "due_date": pl.Date,
    "start_minor": pl.Int64,
    "open_minor": pl.Int64,
}
_SOURCE_SCHEMA = {
    "id": pl.Int64,
    "customer_id": pl.Int64,
    "currency": pl.String,
    "date": pl.Date,
    "amount_minor": pl.Int64,
    "invoice_id": pl.Int64,
    "unapplied_minor": pl.Int64,
}
_ALLOCATION_SCHEMA = {
    "invoice_id": pl.Int64,
    "payment_id": pl.Int64,
    "credit_note_id": pl.Int64,
    "date": pl.Date,
    "amount_minor": pl.Int64,
}

Group = tuple[int, str]


def reallocate(conn: Connection, customer_ids: Collection[int] | None = None) -> None:
    """Recompute allocations, open and unapplied amounts for these customers (None: everyone)."""
    if customer_ids is None:
        _reallocate(conn, None)
    elif customer_ids:
        with affected_customers(conn, customer_ids) as scope_table:
            _reallocate(conn, scope_table)


def _scoped(query: Select[Any], scope: str | None) -> Select[Any]:
    """Restrict a query on a table with a `customer_id` to the customers in the scope table."""
    if scope is None:
        return query
    in_scope: Select[Any] = select(column("customer_id")).select_from(table(scope))
    return query.where(column("customer_id").in_(in_scope))


def _read_invoices(conn: Connection, scope: str | None) -> pl.DataFrame:
    start = func.coalesce(INVOICES.c.snapshot_open_minor, INVOICES.c.amount_minor)
    query = select(
        *(INVOICES.c[name] for name in ("id", "customer_id", "currency", "issue_date", "due_date")),
        start.label("start_minor"),
        INVOICES.c.open_minor,
    )
    return read_frame(conn, _scoped(query, scope), _INVOICE_SCHEMA)


def _read_sources(conn: Connection, scope: str | None) -> pl.DataFrame:
    frames = []
    for kind, source_table in _SOURCE_TABLES.items():
        query = select(*(source_table.c[name] for name in _SOURCE_SCHEMA))
        frame = read_frame(conn, _scoped(query, scope), _SOURCE_SCHEMA)
        frames.append(frame.with_columns(kind=pl.lit(int(kind), dtype=pl.Int64)))
    return pl.concat(frames)


def _reallocate(conn: Connection, scope: str | None) -> None:
    invoices = _read_invoices(conn, scope)
    sources = _read_sources(conn, scope)
    results = _replay_groups(invoices, sources)
    _write_open(conn, invoices, results)
    _write_unapplied(conn, sources, results)
    _replace_allocations(conn, scope, results)


def _replay_groups(invoices: pl.DataFrame, sources: pl.DataFrame) -> dict[Group, GroupAllocation]:
    """Run the pure replay for every group that has a payment or credit note; others need none."""
    settles: dict[Group, list[Source]] = defaultdict(list)
    for row in sources.iter_rows(named=True):
        source = Source(
            SourceKind(row["kind"]), row["id"], row["date"], row["amount_minor"], row["invoice_id"]
        )
        settles[(row["customer_id"], row["currency"])].append(source)
    items: dict[Group, list[OpenItem]] = defaultdict(list)
    groups = sources.select("customer_id", "currency").unique()
    for row in invoices.join(groups, on=["customer_id", "currency"], how="semi").iter_rows(named=True):
        item = OpenItem(row["id"], row["issue_date"], row["due_date"], row["start_minor"])
        items[(row["customer_id"], row["currency"])].append(item)
    return {group: allocate_group(items[group], settles[group]) for group in settles}


def _write_open(conn: Connection, invoices: pl.DataFrame, results: dict[Group, GroupAllocation]) -> None:
    open_now = {i: left for result in results.values() for i, left in result.open_minor.items()}
    derived = pl.col("id").replace_strict(open_now, default=pl.col("start_minor"), return_dtype=pl.Int64)
    changed = invoices.with_columns(new=derived).filter(pl.col("new") != pl.col("open_minor"))
    update_frame(conn, INVOICES, changed.select("id", open_minor="new"))


def _write_unapplied(conn: Connection, sources: pl.DataFrame, results: dict[Group, GroupAllocation]) -> None:
    left = {key: minor for result in results.values() for key, minor in result.unapplied_minor.items()}
    for kind, source_table in _SOURCE_TABLES.items():
        mine = sources.filter(pl.col("kind") == int(kind))
        now = {source_id: left.get((kind, source_id), 0) for source_id in mine["id"].to_list()}
        derived = pl.col("id").replace_strict(now, return_dtype=pl.Int64)
        changed = mine.with_columns(new=derived).filter(pl.col("new") != pl.col("unapplied_minor"))
        update_frame(conn, source_table, changed.select("id", unapplied_minor="new"))


def _replace_allocations(conn: Connection, scope: str | None, results: dict[Group, GroupAllocation]) -> None:
    in_scope = _scoped(select(INVOICES.c.id), scope)
    conn.execute(delete(ALLOCATIONS).where(ALLOCATIONS.c.invoice_id.in_(in_scope)))
    rows = [
        (
            a.invoice_id,
            a.source_id if a.kind is SourceKind.PAYMENT else None,
            a.source_id if a.kind is SourceKind.CREDIT_NOTE else None,
            a.date,
            a.amount_minor,
        )
        for result in results.values()
        for a in result.allocations
    ]
    insert_frame(conn, ALLOCATIONS, pl.DataFrame(rows, schema=_ALLOCATION_SCHEMA, orient="row"))
