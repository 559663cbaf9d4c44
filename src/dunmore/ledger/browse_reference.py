"""The customer list computed the plain way, for reading and for the property tests that hold the
summary (`ledger.balances`) and the paged list (`browse.list_accounts`) equal to it: every open
invoice of the reachable customers aggregated per request, no pagination. Too slow for a large
ledger (≈1.6 s at 1M items); never called by an interface. The same for the dashboard's aging by
currency and bucket (`ledger.balances.aging`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Connection, and_, case, cast, func, literal, select

from dunmore.access.models import USERS
from dunmore.access.permissions import customer_scope
from dunmore.access.values import User
from dunmore.domain.aging import Bucket
from dunmore.ledger.balances import NO_CURRENCY
from dunmore.ledger.browse import Account, AccountFilter, account_columns, customer_filter, owner_user
from dunmore.ledger.models import CUSTOMERS, INVOICES, ITEM_LEVELS


def reference_accounts(conn: Connection, *, user: User, as_of: date, filters: AccountFilter) -> list[Account]:
    """Every account the user reaches through the filter, in the list's order."""
    i, c = INVOICES.c, CUSTOMERS.c
    totals = (
        select(
            i.customer_id,
            i.currency,
            cast(func.sum(i.open_minor), BigInteger).label("open_minor"),
            cast(func.sum(case((i.due_date < as_of, i.open_minor), else_=0)), BigInteger).label("overdue"),
            func.max(ITEM_LEVELS.c.level).label("max_level"),
        )
        .select_from(INVOICES.outerjoin(ITEM_LEVELS, ITEM_LEVELS.c.invoice_id == i.id))
        .where(i.open_minor > 0)
        .group_by(i.customer_id, i.currency)
        .subquery()
    )
    t = totals.c
    overdue = func.coalesce(t.overdue, 0)
    currency = func.coalesce(t.currency, literal(NO_CURRENCY))
    level = func.coalesce(t.max_level, 0)
    columns = account_columns(overdue, func.coalesce(t.open_minor, 0), currency, level, c.id)
    joined = CUSTOMERS.outerjoin(totals, t.customer_id == c.id).outerjoin(USERS, owner_user())
    wanted = customer_filter(user, filters)
    if filters.level is not None:
        wanted = and_(wanted, level == filters.level)
    query = select(*columns).select_from(joined).where(wanted)
    rows = conn.execute(query.order_by(overdue.desc(), c.id.desc(), currency.desc())).all()
    return [Account(**{k: v for k, v in row._mapping.items() if k != "customer_id"}) for row in rows]


def reference_aging(
    conn: Connection, *, user: User, as_of: date, buckets: tuple[Bucket, ...]
) -> dict[str, tuple[int, ...]]:
    """The dashboard's aging the plain way: every open invoice of the customers the user reaches,
    its open amount in the bucket of its due date on `as_of`, summed per currency."""
    i, c = INVOICES.c, CUSTOMERS.c
    mine = i.customer_id.in_(select(c.id).where(customer_scope(user)))
    query = select(i.currency, i.due_date, i.open_minor).where(i.open_minor > 0, mine)
    totals: dict[str, list[int]] = {}
    for currency, due, amount in conn.execute(query):
        days = (as_of - due).days
        into = totals.setdefault(currency, [0] * len(buckets))
        into[next(n for n, b in enumerate(buckets) if b.high is None or days <= b.high)] += amount
    return {currency: tuple(amounts) for currency, amounts in totals.items()}
