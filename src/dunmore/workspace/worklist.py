"""The worklist of one user on one day: gather → decide (`workspace.priority`) → one page.

Gathered set-at-a-time from the small tables (activities, promises, tasks) and the per-customer
summary (`customer_balances`), never from the invoices — except the few stale summary rows (an item
moved to another aging bucket since the last run, recomputed from their invoices as the dashboard
does) and the oldest overdue due date of the accounts shown on the page. Every query passes through
`customer_scope`: a collector sees the customers of their portfolios, and the open tasks assigned to
them by name.
"""

from __future__ import annotations

import base64
import gc
import heapq
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import partial
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, tuple_

from dunmore.access.permissions import ROLES, Permission, Scope, customer_scope, require
from dunmore.access.values import User
from dunmore.delivery.models import TASKS
from dunmore.errors import BadArgument
from dunmore.i18n import _m
from dunmore.ledger import balances
from dunmore.ledger.balances import AGED, NO_CURRENCY, fresh_aging, stale_aging
from dunmore.ledger.models import BALANCES, CUSTOMERS, INVOICES, RANKS
from dunmore.workspace import priority
from dunmore.workspace.models import ACTIVITIES, PROMISES
from dunmore.workspace.plan_models import PLAN_INSTALMENTS, PLANS
from dunmore.workspace.priority import (
    AccountRow,
    BrokenPromise,
    Customer,
    Facts,
    FollowUp,
    Line,
    MissedInstalment,
    OpenTask,
    Section,
)

PAGE_MAX = 200
Order = tuple[int, int, int, int, int]  # a line's place (`priority.Line.order`)
BROKEN_PROMISE_DAYS = 14  # a broken promise stays on the list this many days unless worked (default)


@dataclass(frozen=True)
class WorklistPage:
    as_of: date
    lines: tuple[Line, ...]
    total: int  # lines on the whole list today
    next_cursor: str | None  # pass as `after` for the next page; None on the last page


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The instants a business day starts and ends (the next one starts) in the creditor's zone."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def _cursor(order: tuple[int, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(order)).encode()).decode().rstrip("=")


def _decode(cursor: str) -> Order:
    try:
        found = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if isinstance(found, list) and len(found) == 5 and all(type(n) is int for n in found):
            first, second, third, fourth, fifth = found
            return first, second, third, fourth, fifth
    except (ValueError, TypeError):
        pass
    raise BadArgument(
        _m("the page marker %(marker)s is not one this list gave: start again from the first page",
           marker=repr(cursor[:40]))
    )  # fmt: skip


def _customer(row: Any) -> Customer:
    return Customer(row.id, row.external_id, row.name, row.grade)


def _columns() -> list[Any]:
    c = CUSTOMERS.c
    return [c.id, c.external_id, c.name, c.grade]


def _account_columns(k: Any, as_of: date) -> list[Any]:
    """The customer, the currency, the aged amounts, and whether the last overdue item is over a
    year past due (then the whole over-180 bucket is)."""
    old = (k.last_overdue_due <= as_of - timedelta(days=priority.OVER_YEAR_DAYS)).label("old")
    return [*_columns(), k.currency, *[k[name] for name in AGED], old]


def _fresh_accounts(conn: Connection, scope: ColumnElement[bool], as_of: date) -> list[Any]:
    """The overdue accounts of the customers in scope whose stored bucket amounts are exact today."""
    b = BALANCES.c
    query = (
        select(*_account_columns(b, as_of))
        .select_from(BALANCES.join(CUSTOMERS, CUSTOMERS.c.id == b.customer_id))
        .where(scope, b.overdue_minor > 0, b.currency != NO_CURRENCY, fresh_aging(as_of))
    )  # fmt: skip
    return list(conn.execute(query))


def _stale_accounts(conn: Connection, scope: ColumnElement[bool], as_of: date) -> list[Any]:
    """The stale summary rows of the customers in scope, recomputed from their invoices (few after
    the daily run rolled the summary forward): only those accounts, a customer's fresh rows in other
    currencies being read as stored."""
    b = BALANCES.c
    # found by the stale indexes (no DISTINCT: SQLite would walk the whole summary to apply it)
    stale_ones = (
        select(b.customer_id)
        .join(CUSTOMERS, CUSTOMERS.c.id == b.customer_id)
        .where(stale_aging(as_of), scope)
    )
    stale_rows = select(b.customer_id, b.currency).where(stale_aging(as_of))
    computed = balances._computed(stale_ones, as_of, keyed=False).subquery()  # the summary's own rule
    k = computed.c
    query = (
        select(*_account_columns(k, as_of))
        .select_from(computed.join(CUSTOMERS, CUSTOMERS.c.id == k.customer_id))
        .where(k.overdue_minor > 0, tuple_(k.customer_id, k.currency).in_(stale_rows))
    )  # fmt: skip
    return list(conn.execute(query))


def _ranked() -> ColumnElement[bool]:
    """The `worklist_ranks` row of a summary row: the same account."""
    return and_(RANKS.c.customer_id == BALANCES.c.customer_id, RANKS.c.currency == BALANCES.c.currency)


def _account_rows(rows: Iterable[Any]) -> list[AccountRow]:
    """The summary's rows (selected as `_account_columns`) as the priority rule reads them: the one
    loop over every customer in reach, by position."""
    return [
        AccountRow(
            r[0], r[1], r[2], r[3], r[4], (r[5] or 0, r[6] or 0, r[7] or 0, r[8] or 0, r[9] or 0), bool(r[10])
        )
        for r in rows
    ]


def _follow_ups(
    conn: Connection, scope: ColumnElement[bool], as_of: date, tz: str
) -> list[tuple[Any, FollowUp]]:
    """The follow-ups due on or before `as_of` set by the latest activity of a customer in scope."""
    a = ACTIVITIES.c
    later = ACTIVITIES.alias("later")
    newer = exists().where(
        later.c.customer_id == a.customer_id,
        or_(later.c.at > a.at, and_(later.c.at == a.at, later.c.id > a.id)),
    )
    query = (
        select(*_columns(), a.follow_up_on, a.at, a.actor)
        .join(CUSTOMERS, CUSTOMERS.c.id == a.customer_id)
        .where(a.follow_up_on <= as_of, scope, ~newer)
    )
    zone = ZoneInfo(tz)
    return [
        (row, FollowUp(row.id, row.follow_up_on, _aware(row.at).astimezone(zone).date(), row.actor))
        for row in conn.execute(query)
    ]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("UTC"))


def _broken(
    conn: Connection, scope: ColumnElement[bool], as_of: date, tz: str, within: int
) -> list[tuple[Any, BrokenPromise]]:
    """The promises broken in the last `within` days, of customers in scope, with no
    activity logged on or after the day it was found broken."""
    p = PROMISES.c
    since = as_of - timedelta(days=within)
    query = (
        select(*_columns(), p.id.label("promise_id"), p.currency, p.amount_minor, p.due_on, p.decided_on)
        .join(CUSTOMERS, CUSTOMERS.c.id == p.customer_id)
        .where(p.status == "broken", p.decided_on >= since, p.decided_on <= as_of, scope)
    )
    found = []
    rows = list(conn.execute(query))
    worked = _activity_days(conn, {row.id for row in rows}, tz)
    for row in rows:
        if not any(day >= row.decided_on for day in worked.get(row.id, ())):
            promise = BrokenPromise(
                row.id, row.promise_id, row.currency, row.amount_minor, row.due_on, row.decided_on
            )
            found.append((row, promise))
    return found


def _missed(
    conn: Connection, scope: ColumnElement[bool], as_of: date, tz: str, within: int
) -> list[tuple[Any, MissedInstalment]]:
    """The instalments whose miss broke their plan in the last `within` days, of customers in
    scope, with no activity logged on or after the day the plan was found broken."""
    p, n = PLANS.c, PLAN_INSTALMENTS.c
    since = as_of - timedelta(days=within)
    query = (
        select(*_columns(), p.id.label("plan_id"), p.currency, n.amount_minor, n.due_on, p.decided_on)
        .join(CUSTOMERS, CUSTOMERS.c.id == p.customer_id)
        .join(PLAN_INSTALMENTS, and_(n.plan_id == p.id, n.status == "missed"))
        .where(p.status == "broken", p.decided_on >= since, p.decided_on <= as_of, scope)
    )
    rows = list(conn.execute(query))
    worked = _activity_days(conn, {row.id for row in rows}, tz)
    return [
        (
            row,
            MissedInstalment(row.id, row.plan_id, row.currency, row.amount_minor, row.due_on, row.decided_on),
        )
        for row in rows
        if not any(day >= row.decided_on for day in worked.get(row.id, ()))
    ]


def _activity_days(conn: Connection, customer_ids: set[int], tz: str) -> dict[int, list[date]]:
    """The business date of each customer's latest activity (one query)."""
    if not customer_ids:
        return {}
    a = ACTIVITIES.c
    query = select(a.customer_id, func.max(a.at)).where(a.customer_id.in_(sorted(customer_ids)))
    zone = ZoneInfo(tz)
    return {
        cid: [_aware(at).astimezone(zone).date()] for cid, at in conn.execute(query.group_by(a.customer_id))
    }


def _tasks(conn: Connection, user: User, scope: ColumnElement[bool], tz: str) -> list[tuple[Any, OpenTask]]:
    """The open tasks assigned to the user, and those assigned to nobody of customers in scope."""
    t = TASKS.c
    mine = or_(t.assignee == user.login, and_(t.assignee.is_(None), scope))
    query = (
        select(*_columns(), t.id.label("task_id"), t.kind, t.title, t.created_at, t.due_on)
        .join(CUSTOMERS, CUSTOMERS.c.id == t.customer_id)
        .where(t.status == "open", mine)
    )
    zone = ZoneInfo(tz)
    found = []
    for row in conn.execute(query):
        created_on = _aware(row.created_at).astimezone(zone).date()
        found.append((row, OpenTask(row.id, row.task_id, row.kind, row.title, created_on, row.due_on)))
    return found


def worked_today(conn: Connection, *, user: User, as_of: date, timezone: str) -> set[int]:
    """The customers this user logged an activity for on `as_of`, and those whose task was
    completed that day: today's list leaves them out."""
    start, end = day_bounds(as_of, timezone)
    a, t = ACTIVITIES.c, TASKS.c
    logged = select(a.customer_id).where(a.actor == user.login, a.at >= start, a.at < end)
    done = select(t.customer_id).where(t.done_at >= start, t.done_at < end)
    return {int(cid) for cid in conn.execute(logged.union(done)).scalars()}


def gather(
    conn: Connection, *, user: User, as_of: date, timezone: str, broken_days: int = BROKEN_PROMISE_DAYS
) -> Facts:
    """What the user's worklist on `as_of` is decided from: a bounded number of queries."""
    # The summary is read through the portfolio index (every customer in reach); the small tables
    # and the few stale rows drive their own queries, the scope only filtering what they find.
    scope, found = customer_scope(user), customer_scope(user, by_index=False)
    accounts = _account_rows([*_fresh_accounts(conn, scope, as_of), *_stale_accounts(conn, found, as_of)])
    customers: dict[int, Customer] = {}
    follow_ups = _follow_ups(conn, found, as_of, timezone)
    broken = _broken(conn, found, as_of, timezone, broken_days)
    tasks = _tasks(conn, user, found, timezone)
    missed = _missed(conn, found, as_of, timezone, broken_days)
    for row, _found in (*follow_ups, *broken, *tasks, *missed):
        customers.setdefault(row.id, _customer(row))
    worked = frozenset(worked_today(conn, user=user, as_of=as_of, timezone=timezone))
    follow, promised, open_tasks = (
        [f for _r, f in follow_ups],
        [b for _r, b in broken],
        [t for _r, t in tasks],
    )
    missed_instalments = [m for _r, m in missed]
    return Facts(customers, follow, promised, open_tasks, accounts, worked, missed_instalments)


def _with_days(conn: Connection, lines: list[Line], as_of: date) -> list[Line]:
    """The value lines of a page, said with the age of their oldest overdue item (read for these
    accounts only, by the invoices' group index)."""
    wanted = [(line.customer.id, line.currency) for line in lines if line.account is not None]
    if not wanted:
        return lines
    i = INVOICES.c
    query = (
        select(i.customer_id, i.currency, func.min(i.due_date))
        .where(tuple_(i.customer_id, i.currency).in_(wanted), i.open_minor > 0, i.due_date < as_of)
        .group_by(i.customer_id, i.currency)
    )
    oldest = {(cid, cur): due for cid, cur, due in conn.execute(query)}
    said = []
    for line in lines:
        due = oldest.get((line.customer.id, line.currency))
        if line.account is not None and due is not None:
            line = priority.value_line(line.customer, replace(line.account, days=(as_of - due).days))
        said.append(line)
    return said


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the list is gathered and ranked: that makes a few
    small objects per account (tens of thousands, alive until the page is made, none in a cycle), and
    each collection they trigger walks the whole heap for nothing — a 1M-item ledger's collector of
    19,162 lines took 2.5–3.4 s with it and 0.9–1.5 s without, measured side by side. Collection
    resumes after; reference counting frees memory throughout."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class _Ask:
    """What a page is asked for: whose list, which day, from where, how many lines."""

    user: User
    as_of: date
    timezone: str
    broken_days: int
    key: Order | None  # the order of the line before the page (None: the first page)
    limit: int

    def after(self, order: Order) -> bool:
        return self.key is None or order > self.key


def _ranked_page(conn: Connection, ask: _Ask) -> tuple[list[priority.Ranked], int, bool]:
    """The reference: the whole reach ranked in Python (`priority.rank`), then the page cut out:
    the page's candidates, the lines of the whole list, and whether more follow."""
    facts = gather(conn, user=ask.user, as_of=ask.as_of, timezone=ask.timezone, broken_days=ask.broken_days)
    ranked = priority.rank(facts)
    rest = [candidate for candidate in ranked if ask.after(candidate.order)]
    return rest[: ask.limit], len(ranked), len(rest) > ask.limit


def _rank_parts(user: User) -> list[ColumnElement[bool]] | None:
    """The parts of the user's reach (conditions over `worklist_ranks`) that an index of the ranking
    key lists in order: each of a
    collector's portfolios, or a salesperson's own customers; None for the roles that reach every
    customer (or none), whose list is ranked whole (`_ranked_page`)."""
    scope = ROLES[user.role].scope
    if user.disabled or scope is Scope.ALL or (scope is Scope.PORTFOLIOS and not user.portfolios):
        return None
    if scope is Scope.PORTFOLIOS:
        return [RANKS.c.portfolio == portfolio for portfolio in sorted(user.portfolios)]
    return [customer_scope(user, on=RANKS)]


_BATCH = 200  # value lines read from a rank index at a time
_CHUNK = 1000  # customer ids bound in one statement


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


@dataclass(frozen=True)
class _Special:
    """The customers the rank index cannot place alone, and their lines said exactly: those with a
    follow-up, a broken promise or plan, or a task, those worked today, and those with a stale
    summary row (recomputed)."""

    ids: frozenset[int]
    best: list[priority.Ranked]  # their lines, in order (worked ones left out)
    stored_value: frozenset[int]  # those with a value line as the summary stores it


def _special(
    conn: Connection, ask: _Ask, parts: list[ColumnElement[bool]]
) -> tuple[_Special, dict[str, int]]:
    """The special customers' lines and the currencies' places: the stored keys summed per currency
    by the rank index, the stale rows' stored keys taken out and their recomputed ones put in."""
    user, as_of, tz = ask.user, ask.as_of, ask.timezone
    b, r = BALANCES.c, RANKS.c
    found, unindexed = customer_scope(user, by_index=False), customer_scope(user, on=BALANCES, by_index=False)
    follow_ups = _follow_ups(conn, found, as_of, tz)
    broken = _broken(conn, found, as_of, tz, ask.broken_days)
    tasks = _tasks(conn, user, found, tz)
    missed = _missed(conn, found, as_of, tz, ask.broken_days)
    worked = frozenset(worked_today(conn, user=user, as_of=as_of, timezone=tz))
    stale_ones = conn.execute(select(b.customer_id).where(stale_aging(as_of), unindexed)).scalars()
    customers: dict[int, Customer] = {}
    for row, _found in (*follow_ups, *broken, *tasks, *missed):
        customers.setdefault(row.id, _customer(row))
    ids = frozenset(customers) | worked | {int(cid) for cid in stale_ones}
    # their accounts: the fresh stored rows, the stale ones recomputed (and their stored keys kept)
    fresh: list[Any] = []
    stale_keys: list[Any] = []
    stored_value: set[int] = set()
    fresh_ones = select(*_account_columns(b, as_of), r.expected_minor, stale_aging(as_of).label("stale"))
    fresh_ones = fresh_ones.select_from(
        BALANCES.join(CUSTOMERS, CUSTOMERS.c.id == b.customer_id).join(RANKS, _ranked())
    )
    for chunk in _chunks(ids):
        # found by their keys: scoped by the portfolio index, SQLite walked the whole portfolio per chunk
        for row in conn.execute(fresh_ones.where(b.customer_id.in_(chunk), unindexed)):
            stored_value.add(int(row.id))
            (stale_keys if row.stale else fresh).append(row)
    recomputed = _account_rows(_stale_accounts(conn, found, as_of))
    totals: dict[str, list[int]] = {}
    summed = select(r.currency, func.sum(r.expected_minor), func.count())
    for part in parts:
        for currency, total, count in conn.execute(summed.where(part).group_by(r.currency)):
            into = totals.setdefault(currency, [0, 0])
            into[0] += int(total or 0)
            into[1] += int(count)
    for row in stale_keys:
        into = totals.setdefault(row.currency, [0, 0])
        into[0] -= int(row.expected_minor)
        into[1] -= 1
    for account in recomputed:
        into = totals.setdefault(account.currency, [0, 0])
        into[0] += priority.expected_value(
            priority.Account(account.currency, account.aged, account.over_year), account.grade
        )
        into[1] += 1
    ranks = priority.currency_ranks(
        {currency: total for currency, (total, count) in totals.items() if count > 0}
    )
    facts = Facts(
        customers,
        [f for _r, f in follow_ups],
        [p for _r, p in broken],
        [t for _r, t in tasks],
        [*_account_rows(fresh), *recomputed],
        worked,
        [m for _r, m in missed],
    )
    best = priority.rank(facts, ranks=ranks)
    return _Special(ids, best, frozenset(stored_value)), ranks


def _value_stream(
    conn: Connection, ask: _Ask, part: ColumnElement[bool], ranks: dict[str, int], skip: frozenset[int]
) -> Iterator[priority.Ranked]:
    """The value lines of one part of the reach after `ask.key`, in order, read from its rank index:
    currency by currency in their places, each by its stored key (exact for every customer not in
    `skip`, whose rows are all fresh); a customer owing in several currencies stands on the first."""
    b, r = BALANCES.c, RANKS.c
    key = ask.key
    first = 0 if key is None or key[0] < Section.VALUE else key[1]
    currencies = sorted(ranks, key=lambda currency: ranks[currency])
    columns = select(*_account_columns(b, ask.as_of), r.expected_minor)
    columns = columns.select_from(
        RANKS.join(BALANCES, _ranked()).join(CUSTOMERS, CUSTOMERS.c.id == r.customer_id)
    )
    for place in range(first, len(currencies)):
        currency, better = currencies[place], currencies[:place]
        bound = (-key[2], key[4]) if key is not None and key[0] == Section.VALUE and key[1] == place else None
        while True:
            query = columns.where(part, r.currency == currency)
            if bound is not None:
                query = query.where(
                    r.expected_minor <= bound[0], or_(r.expected_minor < bound[0], r.customer_id > bound[1])
                )
            rows = list(conn.execute(query.order_by(r.expected_minor.desc(), r.customer_id).limit(_BATCH)))
            elsewhere: set[int] = set()
            if better and rows:
                owing = select(r.customer_id).where(
                    r.customer_id.in_([row.id for row in rows]), r.currency.in_(better)
                )
                elsewhere = {int(cid) for cid in conn.execute(owing).scalars()}
            for row, account in zip(rows, _account_rows(rows), strict=True):
                if row.id not in skip and row.id not in elsewhere:
                    order = priority.value_order(place, int(row.expected_minor), int(row.id))
                    yield priority.Ranked(order, int(row.id), partial(priority.row_line, account))
            if len(rows) < _BATCH:
                break
            bound = (int(rows[-1].expected_minor), int(rows[-1].id))


def _indexed_page(
    conn: Connection, ask: _Ask, parts: list[ColumnElement[bool]]
) -> tuple[list[priority.Ranked], int, bool]:
    """The same page as `_ranked_page`, read from the rank indexes: the few special customers'
    lines said exactly, merged with the plain value lines read in order from the top of the index,
    as many as the page needs; the number of lines counted by the index."""
    special, ranks = _special(conn, ask, parts)
    valued = select(func.count(func.distinct(RANKS.c.customer_id)))
    plain = sum(int(conn.execute(valued.where(part)).scalar_one()) for part in parts)
    total = plain - len(special.stored_value) + len(special.best)
    streams = [_value_stream(conn, ask, part, ranks, special.ids) for part in parts]
    mine = [candidate for candidate in special.best if ask.after(candidate.order)]
    merged = heapq.merge(mine, *streams, key=lambda candidate: candidate.order)
    page = list(islice(merged, ask.limit + 1))
    return page[: ask.limit], total, len(page) > ask.limit


def worklist(
    conn: Connection,
    *,
    user: User,
    as_of: date,
    timezone: str,
    after: str | None = None,
    limit: int = 50,
    broken_days: int = BROKEN_PROMISE_DAYS,
    indexed: bool = True,
) -> WorklistPage:
    """One page of what `user` should do on `as_of`, most urgent first (`workspace.priority`).

    A collector's or a salesperson's list is read from the rank indexes of `worklist_ranks`
    (`_indexed_page`); `indexed=False`, and the roles that reach every customer, rank the whole
    reach in Python (`_ranked_page`, the reference the tests hold the indexed read equal to)."""
    require(user, Permission.LEDGER_READ)
    if not 1 <= limit <= PAGE_MAX:
        raise BadArgument(_m("a page holds 1 to %(most)s rows, not %(limit)s", most=PAGE_MAX, limit=limit))
    ask = _Ask(user, as_of, timezone, broken_days, _decode(after) if after else None, limit)
    parts = _rank_parts(user) if indexed else None
    with _collector_paused():
        page, total, more = _ranked_page(conn, ask) if parts is None else _indexed_page(conn, ask, parts)
    shown = _with_days(conn, [candidate.make() for candidate in page], as_of)
    shown = [replace(line, order=candidate.order) for line, candidate in zip(shown, page, strict=True)]
    return WorklistPage(as_of, tuple(shown), total, _cursor(page[-1].order) if more and page else None)
