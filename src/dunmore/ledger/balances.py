"""The per-customer summary behind the customer list: open and overdue amounts and the highest level
per customer and currency (`customer_balances`), kept by every write that changes them.

Each row is computed for a date (`as_of`) and knows when it stops being exact (see
`CustomerBalance`): a reader on day D takes the stored overdue amount of every row that is not
`stale(D)` and recomputes the few stale rows from their invoices. Writers refresh the customers they
touched, set-at-a-time; the daily run also rolls every stale row forward to its date, so that the
rows a reader must recompute are at most the items that fell due since the last run.

Who refreshes (the write paths that change an invoice's open amount or level, or add or remove one):
imports (`imports.service.apply`), the demo loader, a run's commit, an approval, a run's revert.
Holds and disputes change neither the open amount nor the level, so they touch nothing here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    table,
    union,
)

from dunmore.ledger.models import BALANCES, CUSTOMERS, INVOICES
from dunmore.store.bulk import affected_customers

NO_CURRENCY = ""  # the row of a customer with nothing open

_COLUMNS = ["customer_id", "currency", "as_of", "open_minor", "overdue_minor", "max_level", "next_due",
            "last_overdue_due"]  # fmt: skip


def stale(as_of: date) -> ColumnElement[bool]:
    """The rows whose stored overdue amount is not the one on `as_of`: an open item fell due between
    the row's date and `as_of` (either way)."""
    b = BALANCES.c
    return or_(b.next_due < as_of, b.last_overdue_due >= as_of)


def overdue_on(as_of: date) -> ColumnElement[int]:
    """The open amount due before `as_of` of the account of the `customer_balances` row, summed from
    its invoices (the reference, used for the stale rows)."""
    i, b = INVOICES.c, BALANCES.c
    due = func.coalesce(func.sum(case((i.due_date < as_of, i.open_minor), else_=0)), 0)
    mine = and_(i.customer_id == b.customer_id, i.currency == b.currency, i.open_minor > 0)
    return cast(select(due).where(mine).scalar_subquery(), BigInteger)


def _computed(customers: Select[Any] | None, as_of: date) -> Select[Any]:
    """The rows of these customers' accounts as of `as_of`, from their open invoices."""
    i = INVOICES.c
    overdue = case((i.due_date < as_of, i.open_minor), else_=0)
    query = select(
        i.customer_id,
        i.currency,
        literal(as_of).label("as_of"),
        cast(func.sum(i.open_minor), BigInteger).label("open_minor"),
        cast(func.sum(overdue), BigInteger).label("overdue_minor"),
        func.max(i.level).label("max_level"),
        func.min(case((i.due_date >= as_of, i.due_date))).label("next_due"),
        func.max(case((i.due_date < as_of, i.due_date))).label("last_overdue_due"),
    ).where(i.open_minor > 0)
    if customers is not None:
        query = query.where(i.customer_id.in_(customers))
    return query.group_by(i.customer_id, i.currency)


def _empty(customers: Select[Any] | None, as_of: date) -> Select[Any]:
    """One zero row for each of these customers with nothing open."""
    c, i = CUSTOMERS.c, INVOICES.c
    query = select(
        c.id, literal(NO_CURRENCY), literal(as_of), literal(0), literal(0), literal(0),
        literal(None), literal(None),
    ).where(~exists().where(i.customer_id == c.id, i.open_minor > 0))  # fmt: skip
    return query if customers is None else query.where(c.id.in_(customers))


def _refresh(conn: Connection, customers: Select[Any] | None, as_of: date) -> None:
    doomed = delete(BALANCES)
    if customers is not None:
        doomed = doomed.where(BALANCES.c.customer_id.in_(customers))
    conn.execute(doomed)
    conn.execute(insert(BALANCES).from_select(_COLUMNS, _computed(customers, as_of)))
    conn.execute(insert(BALANCES).from_select(_COLUMNS, _empty(customers, as_of)))


def refresh(conn: Connection, *, customer_ids: Any = None, as_of: date) -> None:
    """Recompute the rows of these customers as of `as_of`: a collection of ids, a select of ids, or
    None for every customer. Three statements whatever the number of customers."""
    if customer_ids is None or isinstance(customer_ids, Select):
        _refresh(conn, customer_ids, as_of)
        return
    if not customer_ids:
        return
    with affected_customers(conn, customer_ids) as scope:
        _refresh(conn, select(column("customer_id")).select_from(table(scope)), as_of)


def without_row() -> Select[Any]:
    """The customers with no row yet (new customers, before their first refresh)."""
    c, b = CUSTOMERS.c, BALANCES.c
    return select(c.id).where(~exists().where(b.customer_id == c.id))


def roll(conn: Connection, *, customer_ids: Select[Any] | None, as_of: date) -> None:
    """Refresh these customers and every customer with a row stale on `as_of`: the daily run's step,
    after which a reader on `as_of` recomputes nothing."""
    stale_ones = select(BALANCES.c.customer_id).where(stale(as_of))
    wanted = stale_ones if customer_ids is None else union(stale_ones, customer_ids)
    with affected_customers(conn, [row[0] for row in conn.execute(wanted)]) as scope:
        _refresh(conn, select(column("customer_id")).select_from(table(scope)), as_of)
