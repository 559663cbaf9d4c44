"""The aging report: open amounts as of a date, by bucket, per currency or per customer.

Amounts are the open amounts as of the date: invoices issued after it are left out, and what was
allocated after it is added back. Different currencies are never summed together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import polars as pl
from sqlalchemy import Connection, and_, case, func, literal, select

from dunmore.domain.aging import Bucket
from dunmore.ledger.models import ALLOCATIONS, CUSTOMERS, INVOICES
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


def _bucket_index(due: Any, as_of: date, buckets: tuple[Bucket, ...]) -> Any:
    whens = []
    for index, bucket in enumerate(buckets):
        earliest = bucket.earliest_due(as_of)
        if earliest is not None:
            whens.append((due >= earliest, literal(index)))
    return case(*whens, else_=literal(len(buckets) - 1))


def _open_items_query(as_of: date, buckets: tuple[Bucket, ...], by: GroupBy) -> Any:
    later = (
        select(ALLOCATIONS.c.invoice_id, func.sum(ALLOCATIONS.c.amount_minor).label("later"))
        .where(ALLOCATIONS.c.date > as_of)
        .group_by(ALLOCATIONS.c.invoice_id)
        .subquery()
    )
    open_as_of = INVOICES.c.open_minor + func.coalesce(later.c.later, 0)
    bucket = _bucket_index(INVOICES.c.due_date, as_of, buckets).label("bucket")
    keys = [INVOICES.c.currency] + ([INVOICES.c.customer_id] if by == "customer" else [])
    return (
        select(*keys, bucket, func.sum(open_as_of).label("amount"))
        .select_from(INVOICES.outerjoin(later, later.c.invoice_id == INVOICES.c.id))
        .where(and_(INVOICES.c.issue_date <= as_of, open_as_of > 0))
        .group_by(*keys, bucket)
    )


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


def aging_report(conn: Connection, *, as_of: date, buckets: tuple[Bucket, ...], by: GroupBy) -> AgingReport:
    """Compute the aging of the whole ledger as of `as_of`."""
    schema: dict[str, Any] = {"currency": pl.String}
    if by == "customer":
        schema["customer_id"] = pl.Int64
    schema |= {"bucket": pl.Int64, "amount": pl.Int64}
    long = read_frame(conn, _open_items_query(as_of, buckets, by), schema)
    totals = _pivot(long, ["currency"], buckets)
    if by == "currency":
        return AgingReport(as_of, by, buckets, totals, totals)
    rows = _pivot(long, ["customer_id", "currency"], buckets)
    named = rows.join(_customer_names(conn), on="customer_id", how="left")
    ordered = named.select("customer", "name", "currency", *[b.label for b in buckets], "total")
    return AgingReport(as_of, by, buckets, ordered.sort("customer", "currency"), totals)
