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
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, and_, exists, func, or_, select, true, tuple_

from dunmore.access.models import USERS
from dunmore.access.permissions import customer_scope
from dunmore.access.values import User
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.balances import NO_CURRENCY, overdue_on, stale
from dunmore.ledger.models import BALANCES, CONTACTS, CUSTOMERS, INVOICES, ITEM_LEVELS

PAGE_MAX = 200
__all__ = [
    "NO_CURRENCY",
    "PAGE_MAX",
    "Account",
    "AccountFilter",
    "AccountPage",
    "get_customer",
    "list_accounts",
    "portfolios",
]


@dataclass(frozen=True)
class Account:
    """A customer's open and overdue amounts in one currency (minor units); `currency` is "" and the
    amounts 0 for a customer with nothing open."""

    code: str
    name: str
    portfolio: str
    owner: str | None
    owner_login: str | None  # the user the owner names (logins compared without case), if any
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
    id: int
    code: str
    name: str
    language: str
    timezone: str
    country: str
    grade: str | None
    owner: str | None
    owner_login: str | None  # the user the owner names, if one does
    owner_role: str | None
    portfolio: str
    tags: tuple[str, ...]
    on_hold: bool
    cease_contact: bool
    credit_limit_minor: int | None
    credit_currency: str | None
    contacts: tuple[ContactView, ...]
    items: tuple[OpenItem, ...]
    more_items: bool  # more open items than shown: the oldest `items_limit` are shown


@dataclass(frozen=True)
class AccountFilter:
    """What narrows the list: `search` matches part of the code, the name, or a contact's name, e-mail
    or phone (case ignored); `level` the highest level of the customer's open items; `owner` the
    customer's owner (case ignored); `portfolio` and `grade` exactly."""

    search: str = ""
    level: int | None = None
    portfolio: str | None = None
    owner: str | None = None
    grade: str | None = None

    def check(self) -> None:
        """Refuse a filter out of bounds, saying which and what is allowed."""
        bounds = {"search": (self.search, 100), "portfolio": (self.portfolio, 64)}
        bounds |= {"owner": (self.owner, 100), "grade": (self.grade, 8)}
        for name, (value, longest) in bounds.items():
            if value is not None and len(value) > longest:
                raise BadArgument(
                    _m(
                        "the %(filter)s filter holds at most %(most)s characters, not %(length)s",
                        filter=name,
                        most=longest,
                        length=len(value),
                    )
                )
        if self.level is not None and not 0 <= self.level <= LEVEL_MAX:
            raise BadArgument(
                _m(
                    "the level filter is a level from 0 to %(most)s, not %(level)s",
                    most=LEVEL_MAX,
                    level=self.level,
                )
            )


LEVEL_MAX = 99
Key = tuple[int, int, str]  # (overdue, customer id, currency): the list's order, descending


def _cursor(key: Key) -> str:
    raw = json.dumps(list(key)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> Key:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        overdue, customer, currency = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(overdue, int) and isinstance(customer, int) and isinstance(currency, str):
            return overdue, customer, currency
    except (ValueError, TypeError):
        pass
    raise BadArgument(
        _m(
            "the page marker %(marker)s is not one this list gave: start again from the first page",
            marker=repr(cursor[:40]),
        )
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(column: Any, pattern: str) -> ColumnElement[bool]:
    return func.lower(column).like(pattern, escape="\\")


def _searched(search: str) -> ColumnElement[bool]:
    if not search:
        return true()
    pattern, c, k = _like(search), CUSTOMERS.c, CONTACTS.c
    contact = exists().where(
        k.customer_id == c.id,
        or_(_matches(k.name, pattern), _matches(k.email, pattern), _matches(k.phone, pattern)),
    )
    return or_(_matches(c.external_id, pattern), _matches(c.name, pattern), contact)


def customer_filter(
    user: User, wanted: AccountFilter, *, by_index: bool = True, on: Table = CUSTOMERS
) -> ColumnElement[bool]:
    """The user's scope and the filter's conditions over `customers` (the level is the caller's);
    with `on=BALANCES`, the scope, portfolio and owner over the summary's copies of them, so that a
    row outside them is passed over before its customer is looked up."""
    c = CUSTOMERS.c
    conditions = [customer_scope(user, by_index=by_index, on=on), _searched(wanted.search.strip())]
    if wanted.portfolio:
        conditions.append(on.c.portfolio == wanted.portfolio)
    if wanted.owner:
        owner = on.c.owner if on is BALANCES else func.lower(c.owner)
        conditions.append(owner == wanted.owner.strip().lower())
    if wanted.grade:
        conditions.append(c.grade == wanted.grade)
    return and_(*conditions)


def account_columns(overdue: ColumnElement[Any], open_minor: ColumnElement[Any], currency: ColumnElement[Any],
                    max_level: ColumnElement[Any], customer_id: ColumnElement[Any]) -> list[Any]:  # fmt: skip
    """The columns of an `Account` row (and the customer id the order ends on)."""
    c = CUSTOMERS.c
    return [
        c.external_id.label("code"), c.name, c.portfolio, c.owner, USERS.c.login.label("owner_login"),
        c.grade, c.on_hold, currency.label("currency"), open_minor.label("open_minor"),
        overdue.label("overdue_minor"), max_level.label("max_level"), customer_id.label("customer_id"),
    ]  # fmt: skip


def owner_user() -> ColumnElement[bool]:
    """The join of a customer to the user its owner names (logins are lower case)."""
    return USERS.c.login == func.lower(CUSTOMERS.c.owner)


def _accounts(as_of: date, *, fresh: bool) -> Select[Any]:
    """The summary's rows beside their customer: with the stored overdue amount (`fresh`, the rows
    exact on `as_of`), or recomputed from the invoices (the stale rows)."""
    b, c = BALANCES.c, CUSTOMERS.c
    overdue = b.overdue_minor if fresh else overdue_on(as_of)
    exact = and_(or_(b.next_due.is_(None), b.next_due >= as_of),
                 or_(b.last_overdue_due.is_(None), b.last_overdue_due < as_of))  # fmt: skip
    joined = BALANCES.join(CUSTOMERS, c.id == b.customer_id).outerjoin(USERS, owner_user())
    columns = account_columns(overdue, b.open_minor, b.currency, b.max_level, b.customer_id)
    return select(*columns).select_from(joined).where(exact if fresh else stale(as_of))


def list_accounts(conn: Connection, *, user: User, as_of: date, filters: AccountFilter = AccountFilter(),
                  after: str | None = None, limit: int = 50) -> AccountPage:  # fmt: skip
    """One page of the user's customers' accounts, largest overdue on `as_of` first (then the newest
    customer); `after` is the `next_cursor` of the page before.

    Read from the summary (`ledger.balances`) in the order of its index: the rows exact on `as_of`
    as stored, the stale ones (items fell due since they were computed) recomputed, merged here.
    """
    if not 1 <= limit <= PAGE_MAX:
        raise BadArgument(_m("a page holds 1 to %(most)s rows, not %(limit)s", most=PAGE_MAX, limit=limit))
    filters.check()
    key = _decode(after) if after else None
    # Walk the summary's order index and stop at the page, rather than read a whole portfolio
    wanted = customer_filter(user, filters, by_index=False, on=BALANCES)
    if filters.level is not None:
        wanted = and_(wanted, BALANCES.c.max_level == filters.level)
    found: list[Any] = []
    for fresh in (True, False):
        query = _accounts(as_of, fresh=fresh).where(wanted)
        found += conn.execute(_page_query(query, key, limit + 1)).all()
    found.sort(key=lambda row: (row.overdue_minor, row.customer_id, row.currency), reverse=True)
    rows = [_account(row) for row in found[: limit + 1]]
    page = tuple(rows[:limit])
    last = found[limit - 1] if len(rows) > limit else None
    return AccountPage(
        page, None if last is None else _cursor((last.overdue_minor, last.customer_id, last.currency))
    )


def _page_query(query: Select[Any], after: Key | None, limit: int) -> Select[Any]:
    rows = query.subquery()
    key = tuple_(rows.c.overdue_minor, rows.c.customer_id, rows.c.currency)
    paged = select(rows)
    if after is not None:
        paged = paged.where(key < tuple_(*after))
    ordered = paged.order_by(rows.c.overdue_minor.desc(), rows.c.customer_id.desc(), rows.c.currency.desc())
    return ordered.limit(limit)


def _account(row: Any) -> Account:
    values = dict(row._mapping)
    del values["customer_id"]
    return Account(**values)


def portfolios(conn: Connection, *, user: User) -> list[str]:
    """The portfolios of the customers the user reaches (an index-only read), for the list's filter."""
    c = CUSTOMERS.c
    return list(
        conn.execute(
            select(c.portfolio).where(customer_scope(user)).distinct().order_by(c.portfolio)
        ).scalars()
    )


def get_customer(
    conn: Connection, *, user: User, code: str, as_of: date, items_limit: int = 200
) -> CustomerView:
    """One customer the user reaches, with contacts and open items (oldest due first), else `NotFound`
    — the same answer whether the customer does not exist or lies outside the user's scope."""
    c = CUSTOMERS.c
    query = select(CUSTOMERS, USERS.c.login.label("owner_login"), USERS.c.role.label("owner_role"))
    query = query.select_from(CUSTOMERS.outerjoin(USERS, owner_user()))
    row = conn.execute(query.where(c.external_id == code, customer_scope(user))).first()
    if row is None:
        raise NotFound(
            _m(
                "no customer %(customer)s among the customers you can see: check the code in the list",
                customer=repr(code),
            )
        )
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
        id=row.id,
        code=row.external_id,
        name=row.name,
        language=row.language,
        timezone=row.timezone,
        country=row.country,
        grade=row.grade,
        owner=row.owner,
        owner_login=row.owner_login,
        owner_role=row.owner_role,
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
