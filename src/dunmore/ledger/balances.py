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

Each row also carries its customer's portfolio and owner (lower-cased), for the scoping rule to apply
to the rows directly; what changes a customer's portfolio or owner (the customer import, the
portfolio commands of `access.portfolios`) calls `follow` for those customers.

And the worklist's ranking key of each account with something overdue, in `worklist_ranks`
(`RANKS`, see `workspace.priority`), written in the same transaction as the summary rows: its
overdue amount times the chance of recovering it at its age and the customer's grade, so that a
collector's worklist reads the top of an index. It depends on the aged amounts (exact until
`next_move`), on whether the newest overdue item is over a year past due (the recovery table's last
band: that day, `last_overdue_due` + 366, counts as a move too) and on the grade: what changes a
grade (grading, an override, the customer import) calls `follow`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Date,
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
    literal_column,
    or_,
    select,
    table,
    text,
    tuple_,
    union,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import True_
from sqlalchemy.sql.functions import FunctionElement

from dunmore.domain.aging import DEFAULT_BOUNDS, Bucket, buckets
from dunmore.ledger.models import BALANCES, CUSTOMERS, INVOICES, ITEM_LEVELS, RANKS
from dunmore.store.bulk import DEFER_INDEXES_FROM, affected_customers, deferred_indexes, write_cache
from dunmore.workspace.priority import OVER_YEAR_DAYS, PERCENT

NO_CURRENCY = ""  # the row of a customer with nothing open
BUCKETS = buckets(DEFAULT_BOUNDS)  # the dashboard's buckets, stored per row: "not due", then AGED
AGED = [f"aged_{n}_minor" for n in range(1, len(BUCKETS))]

_COLUMNS = ["customer_id", "currency", "as_of", "open_minor", "overdue_minor", "max_level", "next_due",
            "last_overdue_due", *AGED, "next_move", "last_move", "portfolio", "owner"]  # fmt: skip
_RANKED = ["customer_id", "currency", "portfolio", "owner", "expected_minor"]
_SPACES = " \t\n\r\x0b\x0c"  # what `str.strip` takes off a grade before its first letter


class _PlusDays(FunctionElement[date]):
    """A date plus a whole number of days, in SQL (each backend spells it its own way)."""

    type = Date()
    inherit_cache = True
    name = "plus_days"


@compiles(_PlusDays)
def _plus_days(element: _PlusDays, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({day} + {days})"


@compiles(_PlusDays, "sqlite")
def _plus_days_sqlite(element: _PlusDays, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"date({day}, '+{days} days')"


def _plus(day: Any, days: int) -> Any:
    return _PlusDays(day, literal_column(str(days)))


def _entries() -> list[int]:
    """How many days after its due date an item enters each bucket after "not due" (1, 31, 61, …)."""
    return [bucket.low for bucket in BUCKETS[1:]]


def _aged(due: Any, amount: Any, as_of: date, bucket: Bucket) -> Any:
    """`amount` if an item due on `due` lies in `bucket` on `as_of`, else 0."""
    latest = as_of - timedelta(days=bucket.low)
    earliest = bucket.earliest_due(as_of)
    inside = due <= latest if earliest is None else and_(due <= latest, due >= earliest)
    return case((inside, amount), else_=0)


def _next_move(due: Any, as_of: date) -> Any:
    """The earliest date after `as_of` on which an item due on `due` enters another bucket."""
    return case(*[(due > as_of - timedelta(days=n), _plus(due, n)) for n in _entries()])


def _last_move(due: Any, as_of: date) -> Any:
    """The latest date on or before `as_of` on which an item due on `due` entered a bucket."""
    return case(*[(due <= as_of - timedelta(days=n), _plus(due, n)) for n in reversed(_entries())])


def _year_mark(last_overdue_due: Any) -> Any:
    """The day the newest overdue item (and so every one) is over a year past due."""
    return _plus(last_overdue_due, OVER_YEAR_DAYS)


def _with_year_mark(next_move: Any, last_move: Any, last_overdue_due: Any, as_of: Any) -> tuple[Any, Any]:
    """`next_move` and `last_move` with the year mark counted as a move (the recovery table's last
    band starts that day)."""
    mark = _year_mark(last_overdue_due)
    later = case((and_(mark > as_of, or_(next_move.is_(None), mark < next_move)), mark), else_=next_move)
    earlier = case((and_(mark <= as_of, or_(last_move.is_(None), mark > last_move)), mark), else_=last_move)
    return later, earlier


def expected_sql(aged: list[Any], grade: Any, last_overdue_due: Any, as_of: Any) -> Any:
    """`workspace.priority.expected_value` in SQL, for the stored ranking key of an account with
    something overdue: integer products over the table in percents, rounded half up (the amounts are
    never negative, so SQL's integer division, which truncates, floors as Python's does)."""
    over_year = _year_mark(last_overdue_due) <= as_of
    amounts = [func.coalesce(amount, 0) for amount in aged]

    def value(row: tuple[int, ...]) -> Any:
        last = case((over_year, row[5]), else_=row[4])
        total = sum((a * p for a, p in zip(amounts[:4], row[:4], strict=True)), amounts[4] * last)
        return cast((total + 50) // 100, BigInteger)

    letter = func.substr(func.ltrim(func.coalesce(grade, ""), _SPACES), 1, 1)
    graded = [(letter.in_([name, name.lower()]), value(PERCENT[name])) for name in PERCENT if name != "none"]
    return case(*graded, else_=value(PERCENT["none"]))


def chances_row(grade: pl.Expr) -> pl.Expr:
    """The row of the recovery table (`PERCENT`) that `expected_sql` keys a grade by, in Polars: its
    first letter after leading spaces when that is A–D (either case), else "none". A change of grade
    changes a ranking key only when it changes this row (None → N does not, N → D does)."""
    letter = grade.fill_null("").str.strip_chars_start(_SPACES).str.slice(0, 1)
    rows = {case: name for name in PERCENT if name != "none" for case in (name, name.lower())}
    return letter.replace_strict(rows, default="none", return_dtype=pl.String)


def _key() -> Any:
    """The ranking key of the summary row under its customer's grade (over BALANCES ⋈ CUSTOMERS)."""
    b = BALANCES.c
    return expected_sql([b[name] for name in AGED], CUSTOMERS.c.grade, b.last_overdue_due, b.as_of)


def _ranked(customers: Select[Any] | None) -> Select[Any]:
    """The `worklist_ranks` rows of these customers' summary rows (None: every customer's): one per
    account with something overdue, keyed under its customer's grade."""
    b, c = BALANCES.c, CUSTOMERS.c
    query = select(b.customer_id, b.currency, b.portfolio, b.owner, _key())
    query = query.select_from(BALANCES.join(CUSTOMERS, c.id == b.customer_id))
    query = query.where(b.overdue_minor > 0, b.currency != NO_CURRENCY)
    return query if customers is None else query.where(b.customer_id.in_(customers))


def stale_aging(as_of: date) -> ColumnElement[bool]:
    """The rows whose stored bucket amounts are not the ones on `as_of`: an open item moved to
    another bucket between the row's date and `as_of` (either way). Every row `stale` on `as_of` is
    also stale here (falling due is a move), so rolling these rolls both."""
    b = BALANCES.c
    return or_(b.next_move <= as_of, b.last_move > as_of)


def fresh_aging(as_of: date) -> ColumnElement[bool]:
    """The rows whose stored bucket amounts are the ones on `as_of`: not `stale_aging`, said so that
    a row with no move ahead or behind (a null `next_move` or `last_move`) is fresh rather than
    unknown (`~stale_aging` would leave out every account whose items are all past the last move)."""
    b = BALANCES.c
    return and_(
        or_(b.next_move.is_(None), b.next_move > as_of), or_(b.last_move.is_(None), b.last_move <= as_of)
    )


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


def _computed(customers: Select[Any] | None, as_of: date, *, keyed: bool = True) -> Select[Any]:
    """The rows of these customers' accounts as of `as_of`, from their open invoices (`keyed=False`:
    without the year mark among the moves, which only the ranking key needs, for a reader of the
    amounts)."""
    i = INVOICES.c
    overdue = case((i.due_date < as_of, i.open_minor), else_=0)
    query = select(
        i.customer_id,
        i.currency,
        literal(as_of).label("as_of"),
        cast(func.sum(i.open_minor), BigInteger).label("open_minor"),
        cast(func.sum(overdue), BigInteger).label("overdue_minor"),
        func.coalesce(func.max(ITEM_LEVELS.c.level), 0).label("max_level"),
        func.min(case((i.due_date >= as_of, i.due_date))).label("next_due"),
        func.max(case((i.due_date < as_of, i.due_date))).label("last_overdue_due"),
        *[
            cast(func.sum(_aged(i.due_date, i.open_minor, as_of, bucket)), BigInteger).label(name)
            for name, bucket in zip(AGED, BUCKETS[1:], strict=True)
        ],
        func.min(_next_move(i.due_date, as_of)).label("next_move"),
        func.max(_last_move(i.due_date, as_of)).label("last_move"),
    )
    # the level lives in `item_levels` (no row: level 0)
    query = query.select_from(INVOICES.outerjoin(ITEM_LEVELS, ITEM_LEVELS.c.invoice_id == i.id))
    query = query.where(i.open_minor > 0)
    if customers is not None:
        query = query.where(i.customer_id.in_(customers))
    sums = query.group_by(i.customer_id, i.currency).subquery()
    # the customer's portfolio, owner and grade joined once per account, after the sums
    c, s = CUSTOMERS.c, sums.c
    if not keyed:
        return select(sums, c.portfolio, func.lower(c.owner)).select_from(
            sums.join(CUSTOMERS, c.id == s.customer_id)
        )
    moves = _with_year_mark(s.next_move, s.last_move, s.last_overdue_due, literal(as_of, Date))
    whose = select(*[s[name] for name in _COLUMNS[:-4]], *moves, c.portfolio, func.lower(c.owner))
    return whose.select_from(sums.join(CUSTOMERS, c.id == s.customer_id))


def _empty(customers: Select[Any] | None, as_of: date) -> Select[Any]:
    """One zero row for each of these customers with nothing open."""
    c, i = CUSTOMERS.c, INVOICES.c
    query = select(
        c.id, literal(NO_CURRENCY), literal(as_of), literal(0), literal(0), literal(0),
        literal(None), literal(None), *[literal(0) for _ in AGED], literal(None), literal(None),
        c.portfolio, func.lower(c.owner),
    ).where(~exists().where(i.customer_id == c.id, i.open_minor > 0))  # fmt: skip
    return query if customers is None else query.where(c.id.in_(customers))


def _refresh(conn: Connection, customers: Select[Any] | None, as_of: date) -> None:
    """The summary rows and ranking keys of these customers (a select that the writes here do not
    change, or None for every customer) recomputed: deleted, then inserted. When they are many and
    at least half of the summary (a first import, a run's roll on a day every account moved), the two
    tables' plain indexes — and on PostgreSQL their foreign keys — are dropped before the deletes
    and built again after the inserts (`store.bulk.deferred_indexes`, as imports do): each deleted
    and inserted row otherwise goes through nine indexes one by one, and on PostgreSQL fires a key
    check. On SQLite, the 1M-item ledger's 200,000 customers (2026-12-07, idle): 7.2–7.3 s with
    the indexes kept through the deletes, 5.0–5.1 s dropped first."""
    whose = select(func.count()).select_from(CUSTOMERS if customers is None else customers.subquery())
    rows = int(conn.execute(whose).scalar_one())
    with (
        deferred_indexes(conn, BALANCES, rows, every_index=True),
        deferred_indexes(conn, RANKS, rows, every_index=True),
    ):
        for doomed in (RANKS, BALANCES):  # with the indexes gone, a mass delete touches no index
            gone = delete(doomed)
            conn.execute(gone if customers is None else gone.where(doomed.c.customer_id.in_(customers)))
        conn.execute(insert(BALANCES).from_select(_COLUMNS, _computed(customers, as_of)))
        conn.execute(insert(BALANCES).from_select(_COLUMNS, _empty(customers, as_of)))
        conn.execute(insert(RANKS).from_select(_RANKED, _ranked(customers)))


def refresh(conn: Connection, *, customer_ids: Any = None, as_of: date) -> None:
    """Recompute the rows of these customers as of `as_of`: a collection of ids, a select of ids, or
    None for every customer. Six statements whatever the number of customers. A select is taken
    into a temporary table first, as it may read the summary (`without_row`), which they rewrite."""
    if customer_ids is None:
        _refresh(conn, None, as_of)
        return
    if not isinstance(customer_ids, Select) and not customer_ids:
        return
    with affected_customers(conn, customer_ids) as scope:
        _refresh(conn, select(column("customer_id")).select_from(table(scope)), as_of)


def follow(conn: Connection, *, customer_ids: Collection[int] | None, grade_only: bool = False) -> None:
    """Copy these customers' portfolio and owner (lower-cased) to their summary rows and ranking
    keys (None: every customer's) and re-rank their accounts by their grade, after a change of any of
    the three; `grade_only` (a grading) sets the keys alone. One or two statements whatever their
    number, joined to `customers` (UPDATE … FROM) so that each row reads its customer once."""
    if customer_ids is None:
        with _ranks_rewritten(conn, None):
            _follow(conn, None, grade_only=grade_only)
        return
    if not customer_ids:
        return
    with affected_customers(conn, customer_ids) as scope, _ranks_rewritten(conn, len(customer_ids)):
        _follow(conn, select(column("customer_id")).select_from(table(scope)), grade_only=grade_only)


@contextmanager
def _ranks_rewritten(conn: Connection, customers: int | None) -> Iterator[None]:
    """Around a re-rank of these many customers (None: all): SQLite's large page cache, and for a
    mass re-rank (from `DEFER_INDEXES_FROM` customers and at least half the ranked accounts, as a
    first grading changes most grades) the two rank indexes dropped and built again after, rather
    than updated entry by entry. On the 1M-item ledger, the 186,093 customers a first grading
    changes, 2026-12-07 (load 4–6): SQLite 4.5 s of CPU as updated, 2.4 s with the large cache, 1.2 s
    with the cache and the indexes built again; PostgreSQL 3.4–7.2 s against 3.1–5.9 s, alternating
    (every UPDATE of the key gives the row version an entry in each index; built again, the UPDATE
    alone took 1.1 s). On PostgreSQL the dropped indexes lock `worklist_ranks` against other
    sessions until the transaction ends, as an import's `deferred_indexes` does its table."""
    with write_cache(conn):
        if customers is not None and customers < DEFER_INDEXES_FROM:
            yield
            return
        ranked = int(conn.execute(select(func.count()).select_from(RANKS)).scalar_one())
        if ranked < DEFER_INDEXES_FROM or (customers is not None and customers * 2 < ranked):
            yield
            return
        for index in RANKS.indexes:
            index.drop(conn)
        with _hash_joined(conn):
            yield
        for index in RANKS.indexes:
            index.create(conn)


@contextmanager
def _hash_joined(conn: Connection) -> Iterator[None]:
    """PostgreSQL plans a mass re-rank without nested loops: it estimates the join of the ranking
    keys to their summary rows on (customer, currency) at 1,000 rows where there are 196,872, and
    then looked each row's customer (and its place in the affected set) up by index, one at a time
    (on the 1M-item ledger, load 6–7: 6.5 s of the statement's 11.4 s; hash joins, 2.7 s). Set for
    the statements of the block only (`set_config(…, true)`), then put back as it was."""
    if conn.dialect.name != "postgresql":
        yield
        return
    before = conn.exec_driver_sql("SELECT current_setting('enable_nestloop')").scalar_one()
    conn.exec_driver_sql("SELECT set_config('enable_nestloop', 'off', true)")
    yield
    conn.execute(text("SELECT set_config('enable_nestloop', :before, true)"), {"before": before})


def _follow(conn: Connection, customers: Select[Any] | None, *, grade_only: bool) -> None:
    c, b, r = CUSTOMERS.c, BALANCES.c, RANKS.c
    copied = {"portfolio": c.portfolio, "owner": func.lower(c.owner)}
    if not grade_only:
        moved = update(BALANCES).where(c.id == b.customer_id).values(copied)
        conn.execute(moved if customers is None else moved.where(b.customer_id.in_(customers)))
    keyed = update(RANKS).where(
        r.customer_id == b.customer_id, r.currency == b.currency, c.id == b.customer_id
    )
    keyed = keyed.values(expected_minor=_key(), **({} if grade_only else copied))
    conn.execute(keyed if customers is None else keyed.where(r.customer_id.in_(customers)))


def without_row() -> Select[Any]:
    """The customers with no row yet (new customers, before their first refresh)."""
    c, b = CUSTOMERS.c, BALANCES.c
    return select(c.id).where(~exists().where(b.customer_id == c.id))


def roll(conn: Connection, *, customer_ids: Select[Any] | None, as_of: date) -> None:
    """Refresh these customers and every customer with a row stale on `as_of` (for the list or the
    dashboard): the daily run's step, after which a reader on `as_of` recomputes nothing."""
    stale_ones = select(BALANCES.c.customer_id).where(stale_aging(as_of))
    wanted = stale_ones if customer_ids is None else union(stale_ones, customer_ids)
    with affected_customers(conn, [row[0] for row in conn.execute(wanted)]) as scope:
        _refresh(conn, select(column("customer_id")).select_from(table(scope)), as_of)


def aging(conn: Connection, *, scope: ColumnElement[bool], as_of: date,
          scope_unindexed: ColumnElement[bool] | None = None) -> dict[str, tuple[int, ...]]:  # fmt: skip
    """The open amounts per currency and bucket of `BUCKETS` on `as_of` (minor units, "not due"
    first) of the customers `scope` (a condition over `customer_balances`, e.g.
    `customer_scope(user, on=BALANCES)`) reaches: every row summed as stored (a scan of a covering
    index: the whole summary's, or one portfolio's), then the few stale rows (`stale_aging`, found
    by index) taken out and their amounts recomputed from their invoices (`ix_invoices_group`) put
    in instead. `scope_unindexed` is the same condition said so that the database cannot answer it
    by the portfolio index (`customer_scope(user, on=BALANCES, by_index=False)`): for the stale rows,
    which SQLite, without statistics, would otherwise look for among the whole portfolio's rows
    (0.8 s on the 1M-item ledger) rather than through the two `stale_aging` indexes."""
    b, i = BALANCES.c, INVOICES.c
    stored = select(b.currency, func.sum(b.open_minor), *[func.sum(b[name]) for name in AGED])
    stored = stored.where(b.currency != NO_CURRENCY)
    stale_rows = select(b.currency, b.open_minor, *[b[name] for name in AGED]).where(stale_aging(as_of))
    amounts = [func.sum(_aged(i.due_date, i.open_minor, as_of, bucket)) for bucket in BUCKETS[1:]]
    wanted = select(b.customer_id, b.currency).where(stale_aging(as_of))
    if not isinstance(scope, True_):  # "every customer" needs no condition
        among = scope if scope_unindexed is None else scope_unindexed
        stored, stale_rows, wanted = stored.where(scope), stale_rows.where(among), wanted.where(among)
    recomputed = select(i.currency, func.sum(i.open_minor), *amounts)
    recomputed = recomputed.where(i.open_minor > 0, tuple_(i.customer_id, i.currency).in_(wanted))
    totals: dict[str, list[int]] = {}
    # the stale rows one by one: grouped, SQLite would walk the covering index rather than find them
    parts = ((stored.group_by(b.currency), 1), (stale_rows, -1))
    for query, sign in (*parts, (recomputed.group_by(i.currency), 1)):
        for currency, open_minor, *aged in conn.execute(query):
            into = totals.setdefault(currency, [0] * len(BUCKETS))
            overdue = [int(amount or 0) for amount in aged]
            into[0] += sign * (int(open_minor or 0) - sum(overdue))
            for n, amount in enumerate(overdue, start=1):
                into[n] += sign * amount
    return {currency: tuple(amounts) for currency, amounts in totals.items() if any(amounts)}
