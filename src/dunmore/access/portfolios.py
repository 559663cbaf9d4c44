"""Portfolios: which customers each holds, moving customers between them (by rules or by hand), and
handing a collector's portfolios and owned customers to another when they leave.

A customer's portfolio (`customers.portfolio`) is what a collector's scope reaches (see
`access.permissions.customer_scope`); the summary rows of `customer_balances` carry a copy, so every
move here calls `ledger.balances.follow` in the same transaction. Each command that changes anything
appends one audit row, with the counts and the moved customers (bounded) in its detail. The caller
owns the transaction. `actor` is a signed-in `User` (who must have `Permission.PORTFOLIO_MANAGE`),
or the name of who acts outside a sign-in (`cli:<os user>`, `system`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, case, func, select, update

from dunmore.access import audit
from dunmore.access.models import USER_PORTFOLIOS, USERS
from dunmore.access.permissions import ROLES, Permission, Scope, require
from dunmore.access.service import get_user, normalize_login
from dunmore.access.values import User
from dunmore.domain.portfolio_rules import PORTFOLIO_MAX, CustomerFacts, PortfolioRules, moves
from dunmore.errors import AccessError, BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger import balances
from dunmore.ledger.models import BALANCES, CUSTOMERS

MOVED_SHOWN = 1000  # the customers an audit row names; the counts always cover every one
CUSTOMERS_MAX = 100_000  # customers named in one `move` (a list or a file)
CODE_MAX = 64


@dataclass(frozen=True)
class Transfer:
    """How many customers went from one portfolio to another."""

    source: str
    target: str
    customers: int


@dataclass(frozen=True)
class Moved:
    """What a move did (or, dry, would do): the transfers, largest first, and the customers' codes."""

    transfers: tuple[Transfer, ...]
    codes: tuple[str, ...]
    applied: bool

    @property
    def customers(self) -> int:
        return len(self.codes)


@dataclass(frozen=True)
class Handover:
    """What `reassign` did: the portfolios and customers that changed hands."""

    source: str
    target: str
    portfolios: tuple[str, ...]
    customers: int


@dataclass(frozen=True)
class PortfolioSummary:
    name: str
    customers: int
    overdue: Mapping[str, int]  # minor units per currency, on the date asked for
    collectors: tuple[str, ...]


def check_portfolio(name: str) -> str:
    """A portfolio name as stored, or `BadArgument`."""
    if not 1 <= len(name) <= PORTFOLIO_MAX or name != name.strip() or not name.isprintable():
        raise BadArgument(
            _m(
                "portfolio name %(name)s is not valid: use 1 to %(most)s printable characters, without "
                "surrounding spaces",
                name=repr(name[:80]),
                most=PORTFOLIO_MAX,
            )
        )
    return name


def acting(actor: str | User) -> str:
    """Who the audit names; a signed-in user must be allowed to manage portfolios."""
    if isinstance(actor, User):
        require(actor, Permission.PORTFOLIO_MANAGE)
        return actor.login
    return actor


def _overdue(as_of: date) -> Any:
    """Each summary row's overdue amount on `as_of`: stored, or recomputed where the row is stale."""
    return case((balances.stale(as_of), balances.overdue_on(as_of)), else_=BALANCES.c.overdue_minor)


def customer_facts(conn: Connection, *, as_of: date) -> list[CustomerFacts]:
    """What the rules read of every customer: two queries whatever their number."""
    c, b = CUSTOMERS.c, BALANCES.c
    owed: dict[int, dict[str, int]] = {}
    accounts = select(b.customer_id, b.currency, _overdue(as_of)).where(b.currency != balances.NO_CURRENCY)
    for customer_id, currency, overdue in conn.execute(accounts):
        owed.setdefault(customer_id, {})[currency] = int(overdue or 0)
    rows = conn.execute(select(c.id, c.portfolio, c.grade, c.country, c.tags).order_by(c.id))
    return [
        CustomerFacts(
            row.id,
            row.portfolio,
            row.grade,
            row.country,
            frozenset(t for t in row.tags.split(";") if t),
            frozenset(owed.get(row.id, {})),
            owed.get(row.id, {}),
        )
        for row in rows
    ]


def assign(conn: Connection, *, rules: PortfolioRules, as_of: date, dry_run: bool, actor: str | User,
           at: datetime) -> Moved:  # fmt: skip
    """Place every customer by the rules (first match wins), on `as_of`'s overdue amounts; unless
    `dry_run`, move those whose portfolio changes, audited as one row."""
    name = acting(actor)
    decided = moves(rules, customer_facts(conn, as_of=as_of))
    return _move(conn, decided, dry_run=dry_run, action="portfolios.assign", actor=name, at=at)


def move(conn: Connection, *, to: str, codes: Collection[str] | None = None, source: str | None = None,
         actor: str | User, at: datetime) -> Moved:  # fmt: skip
    """Move by hand the customers named by `codes`, or every customer of portfolio `source`, to `to`."""
    name = acting(actor)
    check_portfolio(to)
    if (codes is None) == (source is None):
        raise BadArgument(
            _m("name the customers to move, or the portfolio to move them from: one of the two")
        )
    c = CUSTOMERS.c
    if source is not None:
        chosen = conn.execute(select(c.id, c.portfolio).where(c.portfolio == check_portfolio(source))).all()
    else:
        chosen = _named(conn, codes or ())
    decided = {row.id: (row.portfolio, to) for row in chosen if row.portfolio != to}
    return _move(conn, decided, dry_run=False, action="portfolios.move", actor=name, at=at)


def _named(conn: Connection, codes: Collection[str]) -> list[Any]:
    """The customers with these codes, or `NotFound` naming the codes no customer has."""
    wanted = sorted({code.strip() for code in codes if code.strip()})
    unreadable = [code for code in wanted if not code.isprintable() or len(code) > CODE_MAX]
    if unreadable:
        raise BadArgument(
            _m("%(code)s is not a customer code: codes are printable text", code=repr(unreadable[0][:80]))
        )
    if not wanted or len(wanted) > CUSTOMERS_MAX:
        raise BadArgument(
            _m("name 1 to %(most)s customers to move, not %(count)s", most=CUSTOMERS_MAX, count=len(wanted))
        )
    c = CUSTOMERS.c
    found = conn.execute(select(c.id, c.portfolio, c.external_id).where(c.external_id.in_(wanted))).all()
    missing = sorted(set(wanted) - {row.external_id for row in found})
    if missing:
        raise NotFound(
            _m(
                "no customer %(codes)s: check the codes (nothing was moved)",
                codes=", ".join(missing[:20]) + (" …" if len(missing) > 20 else ""),
            )
        )
    return list(found)


def _move(conn: Connection, decided: Mapping[int, tuple[str, str]], *, dry_run: bool, action: str,
          actor: str, at: datetime) -> Moved:  # fmt: skip
    """Apply (unless dry) the decided moves: one UPDATE per target portfolio, the summary's copy, one
    audit row."""
    codes = _codes(conn, decided)
    counted = Counter(decided.values())
    transfers = tuple(
        Transfer(source, target, n)
        for (source, target), n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    if dry_run or not decided:
        return Moved(transfers, codes, applied=False)
    by_target: dict[str, list[int]] = {}
    for customer_id, (_, target) in decided.items():
        by_target.setdefault(target, []).append(customer_id)
    for target, ids in sorted(by_target.items()):
        for chunk in _chunks(sorted(ids)):
            conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.id.in_(chunk)).values(portfolio=target))
    balances.follow(conn, customer_ids=list(decided))
    detail = {
        "customers": len(decided),
        "transfers": [{"from": t.source, "to": t.target, "customers": t.customers} for t in transfers],
        "moved": list(codes[:MOVED_SHOWN]),
        "more": max(0, len(codes) - MOVED_SHOWN),
    }
    audit.record(conn, at=at, actor=actor, action=action, object="portfolios", after=detail)
    return Moved(transfers, codes, applied=True)


def _chunks(ids: list[int], size: int = 10_000) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _codes(conn: Connection, decided: Mapping[int, tuple[str, str]]) -> tuple[str, ...]:
    if not decided:
        return ()
    c = CUSTOMERS.c
    found: list[str] = []
    for chunk in _chunks(sorted(decided)):
        found += conn.execute(select(c.external_id).where(c.id.in_(chunk))).scalars()
    return tuple(sorted(found))


def reassign(conn: Connection, *, source: str, target: str, actor: str | User, at: datetime) -> Handover:
    """A collector leaves: `target` (a collector) takes over `source`'s portfolios, and the customers
    `source` owns get `target` as their owner. `source` keeps their account (disable it apart)."""
    name = acting(actor)
    leaving = get_user(conn, login=normalize_login(source))
    taking = get_user(conn, login=normalize_login(target))
    if leaving.id == taking.id:
        raise BadArgument(
            _m("reassign from one user to another, not from %(login)s to itself", login=leaving.login)
        )
    if leaving.portfolios and ROLES[taking.role].scope is not Scope.PORTFOLIOS:
        raise AccessError(
            _m(
                "%(login)s is %(role)s, not a collector: portfolios go to a collector",
                login=taking.login,
                role=taking.role.value,
            )
        )
    handed = tuple(sorted(leaving.portfolios - taking.portfolios))
    if handed:
        conn.execute(USER_PORTFOLIOS.insert(), [{"user_id": taking.id, "portfolio": p} for p in handed])
    conn.execute(USER_PORTFOLIOS.delete().where(USER_PORTFOLIOS.c.user_id == leaving.id))
    owned = func.lower(CUSTOMERS.c.owner) == leaving.login
    ids = list(conn.execute(select(CUSTOMERS.c.id).where(owned)).scalars())
    if ids:
        conn.execute(update(CUSTOMERS).where(owned).values(owner=taking.login))
        balances.follow(conn, customer_ids=ids)
    detail = {"from": leaving.login, "to": taking.login, "portfolios": sorted(leaving.portfolios),
              "customers": len(ids)}  # fmt: skip
    audit.record(conn, at=at, actor=name, action="portfolios.reassign", object=f"user:{leaving.login}",
                 after=detail)  # fmt: skip
    return Handover(leaving.login, taking.login, tuple(sorted(leaving.portfolios)), len(ids))


def list_portfolios(conn: Connection, *, as_of: date, actor: str | User) -> list[PortfolioSummary]:
    """Every portfolio that holds customers or is worked by someone: its customers, their overdue
    amount per currency on `as_of`, and its collectors. Three grouped queries."""
    acting(actor)
    c, b, link = CUSTOMERS.c, BALANCES.c, USER_PORTFOLIOS.c
    counts: dict[str, int] = dict(conn.execute(select(c.portfolio, func.count()).group_by(c.portfolio)).all())
    overdue: dict[str, dict[str, int]] = {}
    sums = select(b.portfolio, b.currency, func.sum(_overdue(as_of))).where(
        b.currency != balances.NO_CURRENCY
    )
    for portfolio, currency, amount in conn.execute(sums.group_by(b.portfolio, b.currency)):
        if amount:
            overdue.setdefault(portfolio, {})[currency] = int(amount)
    collectors: dict[str, list[str]] = {}
    worked = select(link.portfolio, USERS.c.login).join(USERS, USERS.c.id == link.user_id)
    for portfolio, login in conn.execute(worked.order_by(USERS.c.login)):
        collectors.setdefault(portfolio, []).append(login)
    names = sorted(set(counts) | set(collectors))
    return [
        PortfolioSummary(
            name,
            int(counts.get(name, 0)),
            dict(sorted(overdue.get(name, {}).items())),
            tuple(collectors.get(name, ())),
        )
        for name in names
    ]
