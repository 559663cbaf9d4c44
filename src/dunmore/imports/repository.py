"""Set-based reads and writes of the ledger tables for imports and exports: one statement per table.

Reads return frames whose columns are named as the import's targets (contacts' columns prefixed
`contact_`); writes go through `dunmore.store.bulk`, in chunks so that a progress bar can follow.
Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, Table, func, or_, select, union
from sqlalchemy.sql import ColumnElement

from dunmore.imports.columns import Kind
from dunmore.imports.fields import CONTACT_FIELDS, dtype, stored_columns
from dunmore.ledger.models import CONTACTS, CREDIT_NOTES, CUSTOMERS, INVOICES, ITEM_LEVELS, PAYMENTS
from dunmore.run.models import NOTICE_ITEMS
from dunmore.store.bulk import deferred_indexes, insert_frame, read_frame, update_frame

TABLES: dict[Kind, Table] = {
    Kind.CUSTOMERS: CUSTOMERS,
    Kind.INVOICES: INVOICES,
    Kind.PAYMENTS: PAYMENTS,
    Kind.CREDIT_NOTES: CREDIT_NOTES,
}
CHUNK = 50_000
LOOKUP = 5_000  # ids per `IN (…)` when reading only the rows a file names
Advance = Callable[[int], None]


def _read(
    conn: Connection | None, columns: Iterable[ColumnElement[Any]], query: Select[Any] | None = None
) -> pl.DataFrame:
    """Rows of a query as a frame typed by column name; `conn` None gives the empty frame."""
    selected = list(columns)
    schema = {str(column.key): dtype(str(column.key)) for column in selected}
    if conn is None:
        return pl.DataFrame(schema=schema)
    return read_frame(conn, query if query is not None else select(*selected), schema)


def customer_ids(conn: Connection | None) -> pl.DataFrame:
    """external_id → id of every customer."""
    return _read(conn, [CUSTOMERS.c.external_id, CUSTOMERS.c.id])


def invoice_facts(
    conn: Connection | None, *, external_ids: pl.Series | None = None, ids: pl.Series | None = None
) -> pl.DataFrame:
    """The id, customer (database id and `customer_ref`) and currency of invoices.

    Only the invoices with these external ids or database ids are read, in slices of `LOOKUP`
    ids per statement; nothing is read when `conn` is None.
    """
    columns = [
        INVOICES.c.external_id,
        INVOICES.c.id,
        INVOICES.c.customer_id,
        CUSTOMERS.c.external_id.label("customer_ref"),
        INVOICES.c.currency,
    ]
    query = select(*columns).join_from(INVOICES, CUSTOMERS, INVOICES.c.customer_id == CUSTOMERS.c.id)
    frames = [_read(None, columns)]
    for column, wanted in ((INVOICES.c.external_id, external_ids), (INVOICES.c.id, ids)):
        values = wanted.drop_nulls().unique().sort().to_list() if wanted is not None else []
        for start in range(0, len(values), LOOKUP):
            frames.append(_read(conn, columns, query.where(column.in_(values[start : start + LOOKUP]))))
    return pl.concat(frames).unique("id", keep="first", maintain_order=True)


def stored_rows(conn: Connection | None, kind: Kind) -> pl.DataFrame:
    """The stored rows of this kind: id, every column an import compares (customers: `contact_id`)."""
    if kind is Kind.CUSTOMERS:
        return _stored_customers(conn)
    table = TABLES[kind]
    columns = [table.c.id, *(table.c[name] for name in stored_columns(kind))]
    stored = _read(conn, columns)
    return _with_dunning_state(conn, stored) if kind is Kind.INVOICES else stored


def _with_dunning_state(conn: Connection | None, invoices: pl.DataFrame) -> pl.DataFrame:
    """Add what the run made of each invoice: its `kind` (a fee or interest item is the run's own),
    its `level`, and whether it was `dunned` (a level, or listed on any notice).

    Only the few invoices the run touched are read (a scan that returns little, and the index of
    notice items); reading kind and level beside every stored row cost a third more time.
    """
    i, lv = INVOICES.c, ITEM_LEVELS.c
    columns = [i.id, i.kind, func.coalesce(lv.level, 0).label("level")]
    levelled = INVOICES.outerjoin(ITEM_LEVELS, lv.invoice_id == i.id)
    query = select(*columns).select_from(levelled).where(or_(i.kind != "invoice", lv.level > 0))
    touched = _read(conn, columns, query)
    item = NOTICE_ITEMS.c.item_id.label("id")
    noticed = _read(conn, [item], select(item).distinct())
    state = invoices.join(touched, on="id", how="left", maintain_order="left")
    dunned = (pl.col("level") > 0) | pl.col("id").is_in(noticed.get_column("id").implode())
    return state.with_columns(pl.col("kind").fill_null("invoice"), pl.col("level").fill_null(0)).with_columns(
        dunned.alias("dunned")
    )


def _primary_contacts() -> Any:
    first = func.min(CONTACTS.c.id).label("contact_id")
    query = (
        select(CONTACTS.c.customer_id, first).where(CONTACTS.c.is_primary).group_by(CONTACTS.c.customer_id)
    )
    return query.subquery("primary_contact")


def _stored_customers(conn: Connection | None) -> pl.DataFrame:
    primary = _primary_contacts()
    contact_columns = [CONTACTS.c[column].label(target) for target, column in CONTACT_FIELDS.items()]
    own = [CUSTOMERS.c[name] for name in stored_columns(Kind.CUSTOMERS) if name not in CONTACT_FIELDS]
    columns = [CUSTOMERS.c.id, *own, primary.c.contact_id, *contact_columns]
    joined = CUSTOMERS.outerjoin(primary, primary.c.customer_id == CUSTOMERS.c.id).outerjoin(
        CONTACTS, CONTACTS.c.id == primary.c.contact_id
    )
    return _read(conn, columns, select(*columns).select_from(joined))


_SERVER_DEFAULTS = {"0": 0, "false": False}


def _all_default(table: Table, values: pl.Series) -> bool:
    """Whether every value is what the database puts in this column when it is left out."""
    if values.null_count() == len(values):
        return True
    default = table.c[values.name].server_default
    text = str(getattr(default, "arg", "")).strip("'") if default is not None else None
    if text not in _SERVER_DEFAULTS or values.null_count():
        return False
    return bool((values == _SERVER_DEFAULTS[text]).all())


def insert_rows(conn: Connection, table: Table, frame: pl.DataFrame, advance: Advance) -> None:
    """Insert the frame in chunks, reporting each chunk's size.

    Columns that hold, in every row, what the database would put there anyway (NULL, or the
    column's server default such as 0 disputed) are left out: binding a million of them is time
    spent for nothing.
    """
    implied = [name for name in frame.columns if _all_default(table, frame.get_column(name))]
    with deferred_indexes(conn, table, frame.height):
        for chunk in frame.drop(implied).iter_slices(CHUNK):
            insert_frame(conn, table, chunk)
            advance(chunk.height)


def update_rows(conn: Connection, table: Table, frame: pl.DataFrame, advance: Advance) -> None:
    """Update the rows named by `id` in chunks, reporting each chunk's size."""
    for chunk in frame.iter_slices(CHUNK):
        update_frame(conn, table, chunk)
        advance(chunk.height)


def settlement_totals(conn: Connection, kind: Kind, external_ids: pl.Series) -> pl.DataFrame:
    """Per currency: amount and unapplied total of the payments or credit notes with these ids."""
    table = TABLES[kind]
    columns = [table.c.external_id, table.c.currency, table.c.amount_minor, table.c.unapplied_minor]
    rows = _read(conn, columns).filter(pl.col("external_id").is_in(external_ids.implode()))
    totals = rows.group_by("currency").agg(pl.col("amount_minor").sum(), pl.col("unapplied_minor").sum())
    return totals.sort("currency")


def customers_with_settlements(conn: Connection) -> set[int]:
    """Customers that have at least one payment or credit note."""
    query = union(select(PAYMENTS.c.customer_id), select(CREDIT_NOTES.c.customer_id))
    return set(read_frame(conn, query, {"customer_id": pl.Int64}).get_column("customer_id").to_list())
