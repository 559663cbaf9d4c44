"""The aging report: open amounts as of a date, by bucket, per currency or per customer.

Amounts are the open amounts as of the date: invoices issued after it are left out, and what was
allocated after it is added back. Different currencies are never summed together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import polars as pl
from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, select
from sqlalchemy.sql.elements import True_

from dunmore.domain.aging import Bucket
from dunmore.ledger.tables import ALLOCATIONS, CUSTOMERS, INVOICES
from dunmore.store.bulk import read_frame

GroupBy = Literal["currency", "customer"]


@dataclass(frozen=True)
class AgingReport:
    """`rows` has key columns, then one Int64 column of minor units per bucket label, then `total`.

    `totals` has one row per currency with the same bucket columns.
    """

    as_of: date
    by: GroupBy
    buckets: tuple[Bucket, ...]
    rows: pl.DataFrame
    totals: pl.DataFrame

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.buckets]


def _bucket_case(due: Any, as_of: date, buckets: tuple[Bucket, ...]) -> Any:
    """SQL: the bucket index of a due date (for grouping per customer in the database)."""
    whens = [
        (due >= b.earliest_due(as_of), literal(i)) for i, b in enumerate(buckets) if b.earliest_due(as_of)
    ]
    return case(*whens, else_=literal(len(buckets) - 1))


def _bucket_of(as_of: date, buckets: tuple[Bucket, ...]) -> pl.Expr:
    """Polars: the bucket index of each row's due date."""
    index: pl.Expr = pl.lit(len(buckets) - 1, dtype=pl.Int64)
    for position, bucket in reversed(list(enumerate(buckets))):
        earliest = bucket.earliest_due(as_of)
        if earliest is not None:
            index = (
                pl.when(pl.col("due_date") >= earliest)
                .then(pl.lit(position, dtype=pl.Int64))
                .otherwise(index)
            )
    return index.alias("bucket")


def _open_amounts(
    conn: Connection, as_of: date, by: GroupBy, buckets: tuple[Bucket, ...], scope: ColumnElement[bool] | None
) -> pl.DataFrame:
    """Open amounts on D per currency (and customer) and bucket: open today plus what was allocated
    after D. Per currency the database groups by due date (in the order of the covering index
    `ix_invoices_aging`, no sort) and Polars buckets the few thousand rows; per customer the
    database groups by bucket, since grouping by due date would return every invoice."""
    i, a = INVOICES.c, ALLOCATIONS.c
    keys = [i.currency] + ([i.customer_id] if by == "customer" else [])
    position = i.due_date if by == "currency" else _bucket_case(i.due_date, as_of, buckets).label("bucket")
    issued = i.issue_date <= as_of
    now = select(*keys, position, func.sum(i.open_minor)).where(and_(issued, i.open_minor > 0))
    later = select(*keys, position, func.sum(a.amount_minor)).select_from(
        ALLOCATIONS.join(INVOICES, i.id == a.invoice_id)
    )
    later = later.where(and_(a.date > as_of, issued))
    if scope is not None and not isinstance(scope, True_):  # "every customer" needs no condition
        reached = i.customer_id.in_(select(CUSTOMERS.c.id).where(scope))
        now, later = now.where(reached), later.where(reached)
    schema: dict[str, Any] = {"currency": pl.String} | ({"customer_id": pl.Int64} if by == "customer" else {})
    schema |= {"due_date": pl.Date} if by == "currency" else {"bucket": pl.Int64}
    schema["amount"] = pl.Int64
    parts = [read_frame(conn, q.group_by(*keys, position), schema) for q in (now, later)]
    long = pl.concat(parts)
    if by == "currency":
        long = long.with_columns(_bucket_of(as_of, buckets)).drop("due_date")
    return long.group_by([k for k in long.columns if k != "amount"]).agg(pl.col("amount").sum())


def _pivot(long: pl.DataFrame, keys: list[str], buckets: tuple[Bucket, ...]) -> pl.DataFrame:
    labels = [b.label for b in buckets]
    columns = [
        pl.col("amount").filter(pl.col("bucket") == i).sum().alias(label) for i, label in enumerate(labels)
    ]
    wide = long.group_by(keys).agg(columns).with_columns(total=pl.sum_horizontal(labels))
    return wide.sort(keys)


def _customer_names(conn: Connection) -> pl.DataFrame:
    query = select(CUSTOMERS.c.id, CUSTOMERS.c.external_id, CUSTOMERS.c.name)
    schema = {"customer_id": pl.Int64, "customer": pl.String, "name": pl.String}
    return read_frame(conn, query, schema)


def aging_report(
    conn: Connection,
    *,
    as_of: date,
    buckets: tuple[Bucket, ...],
    by: GroupBy,
    scope: ColumnElement[bool] | None = None,
) -> AgingReport:
    """Compute the aging as of `as_of`: of the whole ledger, or of the customers `scope` (a condition
    over `customers`, e.g. `access.permissions.customer_scope(user)`) reaches."""
    long = _open_amounts(conn, as_of, by, buckets, scope)
    totals = _pivot(long, ["currency"], buckets)
    if by == "currency":
        return AgingReport(as_of, by, buckets, totals, totals)
    rows = _pivot(long, ["customer_id", "currency"], buckets)
    named = rows.join(_customer_names(conn), on="customer_id", how="left")
    ordered = named.select("customer", "name", "currency", *[b.label for b in buckets], "total")
    return AgingReport(as_of, by, buckets, ordered.sort("customer", "currency"), totals)
