"""Set-based reads and writes between Polars frames and the database, on SQLite and PostgreSQL.

Bulk paths bypass the ORM: SQLite gets one `executemany` per statement, PostgreSQL gets `COPY`
(the rows written as CSV by Polars, in Rust, and streamed to the server: no Python object per row).
They run on the caller's connection, inside the caller's transaction. Table and column names come
from our own table definitions (never from user input) and are quoted by the dialect.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import polars as pl
from sqlalchemy import Connection, Executable, Select, Table, column, func, insert, select, table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import TableClause

AFFECTED = "_dunmore_affected"
# Indexes whose order differs from the order documents arrive in (by number, by date).
_DEFERRABLE = {"ix_invoices_group", "ix_payments_group", "ix_credit_notes_group"}
DEFER_INDEXES_FROM = 100_000  # rows of one insert from which indexes (and PostgreSQL's keys) come after
COPY_CHUNK = 100_000  # rows per piece of CSV handed to PostgreSQL's COPY: memory stays bounded
# Column types Polars cannot write as CSV: frames holding them are copied row by row.
_NOT_CSV = (pl.Binary, pl.Object, pl.List, pl.Array, pl.Struct)
WRITE_CACHE_KIB = 256 * 1024  # SQLite page cache while writing; memory is taken only as pages are used


# Times as text: SQLite in SQLAlchemy's own storage format (UTC, which is all Dunmore stores),
# PostgreSQL with an explicit offset so the session's time zone cannot shift them.
_TIME_FORMATS = {"sqlite": "%Y-%m-%d %H:%M:%S%.6f", "postgresql": "%Y-%m-%d %H:%M:%S%.6f%:z"}


def _utc(name: str, dtype: Any) -> pl.Expr:
    aware = isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    return pl.col(name).dt.convert_time_zone("UTC") if aware else pl.col(name)


def _rows(frame: pl.DataFrame, dialect: str) -> Iterator[tuple[Any, ...]]:
    """Rows as plain tuples; dates and times as text both backends read back exactly.

    (Python's default sqlite3 date adapters are slow and deprecated since 3.12.)
    """
    dates = [name for name, dtype in frame.schema.items() if dtype == pl.Date]
    times = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    utc = [_utc(name, frame.schema[name]) for name in times]
    if dates or times:
        frame = frame.with_columns(
            *(pl.col(name).dt.to_string("%Y-%m-%d") for name in dates),
            *(expr.dt.to_string(_TIME_FORMATS.get(dialect, _TIME_FORMATS["sqlite"])) for expr in utc),
        )
    return frame.iter_rows()


def _raw(conn: Connection) -> Any:
    raw = conn.connection.driver_connection
    if raw is None:  # pragma: no cover - an open SQLAlchemy connection always has one
        raise RuntimeError("connection is closed")
    return raw


def _names(conn: Connection, table: TableClause | str, columns: list[str]) -> tuple[str, list[str]]:
    quote = conn.dialect.identifier_preparer.quote
    name = table if isinstance(table, str) else table.name
    return quote(name), [quote(c) for c in columns]


def insert_frame(conn: Connection, table: TableClause | str, frame: pl.DataFrame) -> int:
    """Insert every row of `frame` (its columns named as the table's); returns the row count."""
    if frame.is_empty():
        return 0
    name, quoted = _names(conn, table, frame.columns)
    columns = ", ".join(quoted)
    raw = _raw(conn)
    if conn.dialect.name == "postgresql":
        _copy(raw, f"{name} ({columns})", frame)
        return frame.height
    marks = ", ".join("?" for _ in quoted)
    sql = f"INSERT INTO {name} ({columns}) VALUES ({marks})"  # noqa: S608 - quoted identifiers
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, _rows(frame, conn.dialect.name))
    finally:
        cursor.close()
    return frame.height


def upsert_insert(dialect: str, table: Table) -> Any:
    """The dialect's INSERT that takes `on_conflict_do_update` (both backends spell it the same).
    Each dialect's module is imported here, for its own backend only: PostgreSQL's costs a command
    on SQLite a tenth of a second."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def _copy(raw: Any, target: str, frame: pl.DataFrame) -> None:
    """COPY `frame` into `target` ("table (columns)") on PostgreSQL.

    As CSV: an unquoted empty field is NULL, a quoted one ("") the empty string, which is how
    Polars writes them; every text is quoted, so a value `\\.` can never read as the end of the
    data. Moments go as UTC text with their offset, so the session's time zone cannot shift them.
    """
    with raw.cursor() as cursor:
        if any(isinstance(dtype, _NOT_CSV) for dtype in frame.schema.values()):
            with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for row in frame.iter_rows():
                    copy.write_row(row)
            return
        with cursor.copy(f"COPY {target} FROM STDIN (FORMAT csv)") as copy:
            for chunk in _moments_as_text(frame).iter_slices(COPY_CHUNK):
                copy.write(chunk.write_csv(include_header=False, quote_style="non_numeric"))


def _moments_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns as UTC text with offset (a naive one is UTC already: all Dunmore stores)."""
    times = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    if not times:
        return frame
    utc = [
        _utc(name, frame.schema[name]).dt.replace_time_zone("UTC")
        if getattr(frame.schema[name], "time_zone", None) is None
        else _utc(name, frame.schema[name])
        for name in times
    ]
    return frame.with_columns(expr.dt.to_string(_TIME_FORMATS["postgresql"]) for expr in utc)


def upsert_frame(conn: Connection, table: Table, frame: pl.DataFrame, *, keys: list[str]) -> int:
    """Insert the rows, or set their other columns where a row with the same `keys` exists.

    PostgreSQL: COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT (a statement per
    row cost 5 s for 200k groups); SQLite: one `executemany`."""
    if frame.is_empty():
        return 0
    values = [c for c in frame.columns if c not in keys]
    name, quoted = _names(conn, table, [*keys, *values])
    sets = ", ".join(f"{c} = excluded.{c}" for c in quoted[len(keys) :])
    conflict = f"ON CONFLICT ({', '.join(quoted[: len(keys)])}) DO UPDATE SET {sets}"
    if conn.dialect.name == "postgresql":
        with staged(conn, table, frame.select([*keys, *values])) as staging:
            listed = ", ".join(quoted)
            conn.exec_driver_sql(f"INSERT INTO {name} ({listed}) SELECT {listed} FROM {staging} {conflict}")  # noqa: S608
        return frame.height
    marks = ", ".join("?" for _ in quoted)
    sql = f"INSERT INTO {name} ({', '.join(quoted)}) VALUES ({marks}) {conflict}"  # noqa: S608
    cursor = _raw(conn).cursor()
    try:
        cursor.executemany(sql, list(_rows(frame.select([*keys, *values]), conn.dialect.name)))
    finally:
        cursor.close()
    return frame.height


def update_frame(conn: Connection, table: Table | str, frame: pl.DataFrame, *, key: str = "id") -> int:
    """Set every non-key column of `frame` on the row whose `key` matches; returns the row count."""
    if frame.is_empty():
        return 0
    values = [c for c in frame.columns if c != key]
    name, quoted = _names(conn, table, [*values, key])
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sets = ", ".join(f"{c} = {mark}" for c in quoted[:-1])
    sql = f"UPDATE {name} SET {sets} WHERE {quoted[-1]} = {mark}"  # noqa: S608 - quoted identifiers
    cursor = _raw(conn).cursor()
    try:
        cursor.executemany(sql, list(_rows(frame.select([*values, key]), conn.dialect.name)))
    finally:
        cursor.close()
    return frame.height


def _sql(conn: Connection, statement: Executable) -> str:
    if not isinstance(statement, ClauseElement):  # pragma: no cover - a typing aid
        raise TypeError("reads take a SQLAlchemy statement")
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    # A driver with `%s` parameters has every literal % doubled by the compiler; the statement runs
    # without parameters here, so the driver would not undo it (a modulo would read `%%`).
    return sql.replace("%%", "%") if conn.dialect.paramstyle in ("format", "pyformat") else sql


ANALYZE_FROM = 10_000  # rows one statement added from which PostgreSQL's statistics are refreshed


def refresh_statistics(conn: Connection, rows: int, *tables: Table) -> None:
    """After a bulk write of `rows` rows, bring PostgreSQL's statistics of `tables` up to date inside
    the caller's transaction (ANALYZE samples the rows the transaction itself wrote), so that the
    statements that follow join the new rows by hash instead of looking them up per row: before a
    commit autovacuum cannot see them, and a plan built on "the run's notices: 19 rows" scanned all
    200,000 of them once per customer. A no-op on SQLite (its planner keeps no such statistics) and
    below `ANALYZE_FROM` rows, where a stale estimate costs little."""
    if conn.dialect.name != "postgresql" or rows < ANALYZE_FROM:
        return
    names = ", ".join(conn.dialect.identifier_preparer.format_table(table) for table in tables)
    conn.execute(text(f"ANALYZE {names}"))


def read_frame(conn: Connection, statement: Executable, schema: Mapping[str, Any]) -> pl.DataFrame:
    """Run a SELECT and return its rows as a frame with the given column names and dtypes."""
    cursor = _raw(conn).cursor()  # the driver's own tuples: no Row object per row
    try:
        cursor.execute(_sql(conn, statement))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    on_sqlite = conn.dialect.name == "sqlite"
    raw_schema = {n: (pl.String if on_sqlite and t == pl.Date else t) for n, t in schema.items()}
    frame = pl.DataFrame(rows, schema=raw_schema, orient="row")
    dates = [n for n, t in schema.items() if t == pl.Date]
    if on_sqlite and dates:
        frame = frame.with_columns(pl.col(dates).str.to_date("%Y-%m-%d"))
    return frame


# What `read_columns` reads as text in bulk: integers, text and dates (the rest goes as `read_frame`).
_TEXT_READ = (pl.Int64, pl.Int32, pl.String, pl.Date)
_SEPARATOR = "\x1e"  # between the values of a column read from SQLite (the ASCII record separator)
_NULL_TEXT = "\x1f"  # a NULL text read from SQLite (a NULL number or date is the empty string)


def read_columns(conn: Connection, statement: Select[Any], schema: Mapping[str, Any]) -> pl.DataFrame:
    """`read_frame` for many rows of integers, text and dates, without a Python object per row: the
    database writes the values as text and Polars parses it (in Rust).

    PostgreSQL: `COPY (SELECT …) TO STDOUT (FORMAT csv)`, parsed as CSV. SQLite: one scan with one
    `group_concat` per column (the aggregates of one query see the rows in the same order), values
    split on the record separator U+001E; a NULL is the empty string, in a text column U+001F (the
    empty text stays apart). Rows come in no promised order. Other column types, other databases,
    a text holding U+001E or equal to U+001F (found by counting), and a column longer than SQLite's
    longest string go through `read_frame`."""
    dialect = conn.dialect.name
    if dialect not in ("postgresql", "sqlite") or any(t not in _TEXT_READ for t in schema.values()):
        return read_frame(conn, statement, schema)
    if dialect == "postgresql":
        buffer, sql = io.BytesIO(), f"COPY ({_sql(conn, statement)}) TO STDOUT (FORMAT csv)"
        with _raw(conn).cursor() as cursor, cursor.copy(sql) as copy:
            for data in copy:
                buffer.write(data)
        if not buffer.getvalue():
            return pl.DataFrame(schema=dict(schema))
        return pl.read_csv(buffer.getvalue(), has_header=False, schema=dict(schema))
    inner = statement.subquery()
    texts = [n for n, dtype in enumerate(schema.values()) if dtype == pl.String]
    sent = [func.ifnull(c, _NULL_TEXT if n in texts else "") for n, c in enumerate(inner.c)]
    counts = [func.count(inner.c[n]) for n in texts]
    query = select(*(func.group_concat(v, _SEPARATOR) for v in sent), func.count(), *counts)
    try:
        found = conn.execute(query.select_from(inner)).one()
    except DBAPIError:  # a column longer than SQLite's longest string: row by row
        return read_frame(conn, statement, schema)
    rows, present = found[len(sent)], dict(zip(texts, found[len(sent) + 1 :], strict=True))
    if not rows:
        return pl.DataFrame(schema=dict(schema))
    columns = []
    for n, (name, dtype) in enumerate(schema.items()):
        values = pl.Series(name, [found[n]]).str.split(_SEPARATOR).explode()
        if n in texts:
            # a text holding the separator splits into more values, one equal to the NULL mark
            # makes more NULLs than the database counted: either way, read row by row
            if values.len() != rows or int((values != _NULL_TEXT).sum()) != present[n]:
                return read_frame(conn, statement, schema)
            columns.append(values.replace(_NULL_TEXT, None))
            continue
        column = values.replace("", None)
        columns.append(column.str.to_date("%Y-%m-%d") if dtype == pl.Date else column.cast(dtype))
    return pl.DataFrame(columns)


@contextmanager
def staged(conn: Connection, table: Table, frame: pl.DataFrame) -> Iterator[str]:
    """PostgreSQL: `frame` COPYed into a temporary table shaped like `table` (its columns only: no
    keys, no indexes, no write-ahead log), dropped at the end; yields its name."""
    name = f"_dunmore_staged_{table.name}"
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(name)}")
    columns = ", ".join(quote(c) for c in frame.columns)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {quote(name)} AS SELECT {columns} FROM {quote(table.name)} WITH NO DATA"  # noqa: S608
    )
    insert_frame(conn, name, frame)
    try:
        yield quote(name)
    finally:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(name)}")


@contextmanager
def affected_customers(conn: Connection, customer_ids: Collection[int] | Select[Any]) -> Iterator[str]:
    """A temporary table of customer ids to join against (a collection, or a select of one column of
    ids, run once into the table); yields its name."""
    conn.execute(text(f"DROP TABLE IF EXISTS {AFFECTED}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {AFFECTED} (customer_id INTEGER PRIMARY KEY)"))
    if isinstance(customer_ids, Select):
        conn.execute(
            insert(table(AFFECTED, column("customer_id"))).from_select(
                ["customer_id"], customer_ids.distinct()
            )
        )
    else:
        insert_frame(conn, AFFECTED, pl.DataFrame({"customer_id": sorted(set(customer_ids))}))
    try:
        yield AFFECTED
    finally:
        conn.execute(text(f"DROP TABLE IF EXISTS {AFFECTED}"))


@contextmanager
def write_cache(conn: Connection) -> Iterator[None]:
    """A large SQLite page cache for a bulk write (index pages stay in memory), restored afterwards."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={before}")


@contextmanager
def deferred_indexes(
    conn: Connection, table: Table, rows: int, *, unique: bool = False, every_index: bool = False
) -> Iterator[None]:
    """For a large insert, drop the table's non-unique indexes and build them after; on PostgreSQL
    also its foreign keys, added back (and so checked) afterwards in one set-based pass, and with
    `unique` its unique constraints that no foreign key refers to, added back (and so checked) the
    same way.

    Rows usually arrive in document order, so an index on another order (customer, due date)
    takes random inserts; building it once at the end is faster (SQLite: 10.0 s → 6.1 s for a
    million invoices). On SQLite only the indexes of `_DEFERRABLE` go (an index in the documents'
    order gains nothing), unless `every_index`: rows that arrive in the order of none of the
    table's plain indexes, as the customer summary's (by customer, and indexed by amounts and
    dates). PostgreSQL checks a foreign key with a trigger per row, which costs more
    than the join that `ADD CONSTRAINT` validates it with. Only when the insert is large and at
    least half the table's size, since the rebuild sorts every row. Inside the caller's
    transaction (DDL is transactional on both), so a failed import leaves indexes and keys as they
    were; on PostgreSQL the table is locked against other sessions until the import commits.
    """
    if rows < DEFER_INDEXES_FROM:  # before counting the table: a small refresh must not scan it
        yield
        return
    if rows * 2 < conn.execute(select(func.count()).select_from(table)).scalar_one():
        yield
        return
    if conn.dialect.name == "postgresql":
        with _deferred_postgresql(conn, table, unique=unique):
            yield
        return
    indexes = [i for i in table.indexes if not i.unique and (every_index or i.name in _DEFERRABLE)]
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)


_PG_INDEXES = text(
    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE i.indrelid = CAST(:table AS regclass) AND NOT i.indisunique AND NOT i.indisprimary "
    "ORDER BY c.relname"
)
_PG_FOREIGN_KEYS = text(
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = CAST(:table AS regclass) AND contype = 'f' ORDER BY conname"
)
# unique constraints no foreign key (of any table) refers to: dropping them drops nothing else
_PG_UNIQUE = text(
    "SELECT u.conname, pg_get_constraintdef(u.oid) FROM pg_constraint u "
    "WHERE u.conrelid = CAST(:table AS regclass) AND u.contype = 'u' AND NOT EXISTS "
    "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = u.conindid) ORDER BY u.conname"
)


@contextmanager
def _deferred_postgresql(conn: Connection, table: Table, *, unique: bool = False) -> Iterator[None]:
    """Drop and re-create the table's plain indexes and foreign keys (and with `unique`, the unique
    constraints nothing refers to) exactly as the database defines them (read from its catalog, so
    what comes back is what was there)."""
    quote = conn.dialect.identifier_preparer.quote
    name = quote(table.name)
    indexes = conn.execute(_PG_INDEXES, {"table": name}).all()
    keys = conn.execute(_PG_FOREIGN_KEYS, {"table": name}).all()
    if unique:  # dropped with the foreign keys, and added back just before them
        keys = [*conn.execute(_PG_UNIQUE, {"table": name}).all(), *keys]
    for key, _ in keys:
        conn.exec_driver_sql(f"ALTER TABLE {name} DROP CONSTRAINT {quote(key)}")
    for index, _ in indexes:
        conn.exec_driver_sql(f"DROP INDEX {quote(index)}")
    yield
    for _, definition in indexes:
        conn.exec_driver_sql(definition)
    for key, definition in keys:
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD CONSTRAINT {quote(key)} {definition}")
