"""One reader for the workspace's records of a customer that cover invoices — promises to pay and
instalment plans: a page of them newest first with the customer's code and name, and the invoice
numbers each covers. Each capability builds its own view from the rows (`promises`, `plan_views`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Row, Table, select

from dunmore.ledger.models import CUSTOMERS, INVOICES


def newest_first(
    conn: Connection, table: Table, condition: Any, *, limit: int | None = None, after_id: int | None = None
) -> Sequence[Row[Any]]:
    """The rows of `table` that meet `condition` (already scoped by the caller), newest first, each
    with its customer's code (`customer`) and name (`customer_name`); `after_id`: the last id of
    the page before."""
    c, record_id = CUSTOMERS.c, table.c.id
    query = (
        select(table, c.external_id.label("customer"), c.name.label("customer_name"))
        .join_from(table, CUSTOMERS, c.id == table.c.customer_id)
        .where(condition)
        .order_by(record_id.desc())
    )
    if after_id is not None:
        query = query.where(record_id < after_id)
    if limit is not None:
        query = query.limit(limit)
    return conn.execute(query).all()


def covered_numbers(conn: Connection, owner: Column[Any], ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Each record's covered invoice numbers in order, through its link table (`owner`: the link's
    column naming the record, e.g. `plan_items.plan_id`; the link's `invoice_id` names the invoice)."""
    if not ids:
        return {}
    link = owner.table
    query = (
        select(owner, INVOICES.c.external_id)
        .join_from(link, INVOICES, INVOICES.c.id == link.c.invoice_id)
        .where(owner.in_(list(ids)))
        .order_by(owner, INVOICES.c.external_id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for record_id, number in conn.execute(query):
        found[record_id].append(number)
    return {key: tuple(value) for key, value in found.items()}


__all__ = ["covered_numbers", "newest_first"]
