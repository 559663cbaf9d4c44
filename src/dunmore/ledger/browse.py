"""Reading customers for people: the customer list and one customer's page, within the customers
the user reaches (`customer_scope`): a customer outside it is not found, never "forbidden".

The list is one row per customer and currency they owe in (an account: amounts in different
currencies are never added), sorted by the overdue amount, largest first, and paginated in the
database by keyset (overdue, customer id, currency): a page costs the same whatever its depth, and no
page loads the ledger whole.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
)

from dunmore.access.permissions import customer_scope
from dunmore.access.values import User
from dunmore.errors import BadArgument, NotFound
from dunmore.ledger.models import CONTACTS, CUSTOMERS, INVOICES, ITEM_LEVELS

PAGE_MAX = 200
NO_CURRENCY = ""  # the account row of a customer who owes nothing


@dataclass(frozen=True)
class Account:
    """A customer's open and overdue amounts in one currency (minor units); `currency` is "" and the
    amounts 0 for a customer with nothing open."""

    code: str
    name: str
    portfolio: str
    owner: str | None
    grade: str | None
    on_hold: bool
    currency: str
    open_minor: int
    overdue_minor: int
    max_level: int


@dataclass(frozen=True)
class AccountPage:
    rows: tuple[Account, ...]
    next_cursor: str | None  # pass as `after` for the next page; None on the last page


@dataclass(frozen=True)
class ContactView:
    name: str | None
    email: str | None
    phone: str | None
    address: str | None
    preferred_channel: str | None
    is_primary: bool


@dataclass(frozen=True)
class OpenItem:
    code: str
    kind: str
    issue_date: date
    due_date: date
    currency: str
    amount_minor: int
    open_minor: int
    disputed_minor: int
    level: int
    on_hold: bool
    days_overdue: int


@dataclass(frozen=True)
class CustomerView:
    code: str
    name: str
    language: str
    timezone: str
    country: str
    grade: str | None
    owner: str | None
    portfolio: str
    tags: tuple[str, ...]
    on_hold: bool
    cease_contact: bool
    credit_limit_minor: int | None
    credit_currency: str | None
    contacts: tuple[ContactView, ...]
    items: tuple[OpenItem, ...]
    more_items: bool  # more open items than shown: the oldest `items_limit` are shown


def _cursor(row: Account) -> str:
    raw = json.dumps([row.overdue_minor, row.code, row.currency]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        overdue, code, currency = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(overdue, int) and isinstance(code, str) and isinstance(currency, str):
            return overdue, code, currency
    except (ValueError, TypeError):
        pass
    raise BadArgument(
        f"the page marker {cursor[:40]!r} is not one this list gave: start again from the first page"
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_accounts(
    conn: Connection, *, user: User, as_of: date, search: str = "", after: str | None = None, limit: int = 50
) -> AccountPage:
    """One page of the user's customers' accounts, largest overdue first; `search` matches the code or
    the name (case ignored); `after` is the `next_cursor` of the page before."""
    if not 1 <= limit <= PAGE_MAX:
        raise BadArgument(f"a page holds 1 to {PAGE_MAX} rows, not {limit}")
    i, c = INVOICES.c, CUSTOMERS.c
    overdue = cast(func.sum(case((i.due_date < as_of, i.open_minor), else_=0)), BigInteger)
    totals = (
        select(
            i.customer_id,
            i.currency,
            cast(func.sum(i.open_minor), BigInteger).label("open_minor"),
            overdue.label("overdue_minor"),
            func.coalesce(func.max(ITEM_LEVELS.c.level), 0).label("max_level"),
        )
        .select_from(INVOICES.outerjoin(ITEM_LEVELS, ITEM_LEVELS.c.invoice_id == i.id))
        .where(i.open_minor > 0)
        .group_by(i.customer_id, i.currency)
        .subquery()
    )
    t = totals.c
    currency = func.coalesce(t.currency, literal(NO_CURRENCY))
    overdue_amount = func.coalesce(t.overdue_minor, 0)
    wanted = and_(customer_scope(user), _searched(search.strip()))
    query = (
        select(
            c.external_id.label("code"),
            c.name,
            c.portfolio,
            c.owner,
            c.grade,
            c.on_hold,
            currency.label("currency"),
            func.coalesce(t.open_minor, 0).label("open_minor"),
            overdue_amount.label("overdue_minor"),
            func.coalesce(t.max_level, 0).label("max_level"),
        )
        .select_from(CUSTOMERS.outerjoin(totals, t.customer_id == c.id))
        .where(wanted)
    )
    if after:
        k_overdue, k_code, k_currency = _decode(after)
        query = query.where(
            or_(
                overdue_amount < k_overdue,
                and_(overdue_amount == k_overdue, c.external_id > k_code),
                and_(overdue_amount == k_overdue, c.external_id == k_code, currency > k_currency),
            )
        )
    query = query.order_by(overdue_amount.desc(), c.external_id, currency).limit(limit + 1)
    rows = [Account(**row._mapping) for row in conn.execute(query)]
    page = tuple(rows[:limit])
    return AccountPage(page, _cursor(page[-1]) if len(rows) > limit else None)


def _searched(search: str) -> ColumnElement[bool]:
    if not search:
        return true()
    pattern = _like(search)
    c = CUSTOMERS.c
    return or_(
        func.lower(c.external_id).like(pattern, escape="\\"), func.lower(c.name).like(pattern, escape="\\")
    )


def get_customer(
    conn: Connection, *, user: User, code: str, as_of: date, items_limit: int = 200
) -> CustomerView:
    """One customer the user reaches, with contacts and open items (oldest due first), else `NotFound`
    — the same answer whether the customer does not exist or lies outside the user's scope."""
    c = CUSTOMERS.c
    row = conn.execute(select(CUSTOMERS).where(c.external_id == code, customer_scope(user))).first()
    if row is None:
        raise NotFound(f"no customer {code!r} among the customers you can see: check the code in the list")
    contacts = conn.execute(
        select(CONTACTS)
        .where(CONTACTS.c.customer_id == row.id)
        .order_by(CONTACTS.c.is_primary.desc(), CONTACTS.c.id)
    )
    i = INVOICES.c
    items = conn.execute(
        select(INVOICES, func.coalesce(ITEM_LEVELS.c.level, 0).label("level"))
        .select_from(INVOICES.outerjoin(ITEM_LEVELS, ITEM_LEVELS.c.invoice_id == i.id))
        .where(i.customer_id == row.id, i.open_minor > 0)
        .order_by(i.due_date, i.id)
        .limit(items_limit + 1)
    ).all()
    return CustomerView(
        code=row.external_id,
        name=row.name,
        language=row.language,
        timezone=row.timezone,
        country=row.country,
        grade=row.grade,
        owner=row.owner,
        portfolio=row.portfolio,
        tags=tuple(tag for tag in row.tags.split(";") if tag),
        on_hold=row.on_hold,
        cease_contact=row.cease_contact,
        credit_limit_minor=row.credit_limit_minor,
        credit_currency=row.credit_currency,
        contacts=tuple(
            ContactView(k.name, k.email, k.phone, k.address, k.preferred_channel, k.is_primary)
            for k in contacts
        ),
        items=tuple(
            OpenItem(
                it.external_id,
                it.kind,
                it.issue_date,
                it.due_date,
                it.currency,
                it.amount_minor,
                it.open_minor,
                it.disputed_minor,
                it.level,
                it.on_hold,
                max(0, (as_of - it.due_date).days),
            )
            for it in items[:items_limit]
        ),
        more_items=len(items) > items_limit,
    )
