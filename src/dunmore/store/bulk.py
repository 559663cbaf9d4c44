"""Set-based reads and writes between Polars frames and the database, on SQLite and PostgreSQL.

Bulk paths bypass the ORM: SQLite gets one `executemany` per statement, PostgreSQL gets `COPY`.
They run on the caller's connection, inside the caller's transaction. Table and column names come
from our own table definitions (never from user input) and are quoted by the dialect.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import polars as pl
from sqlalchemy import Connection, Executable, Table, text
from sqlalchemy.sql import ClauseElement

AFFECTED = "_dunmore_affected"


def _rows(frame: pl.DataFrame) -> Iterator[tuple[Any, ...]]:
    """Rows as plain tuples; dates as ISO strings, which both SQLite and PostgreSQL accept."""
    dates = [name for name, dtype in frame.schema.items() if dtype == pl.Date]
    if dates:
        frame = frame.with_columns(pl.col(dates).dt.to_string("%Y-%m-%d"))
    return frame.iter_rows()


def _raw(conn: Connection) -> Any:
    raw = conn.connection.driver_connection
    if raw is None:  # pragma: no cover - an open SQLAlchemy connection always has one
        raise RuntimeError("connection is closed")
    return raw


def _names(conn: Connection, table: Table | str, columns: list[str]) -> tuple[str, list[str]]:
    quote = conn.dialect.identifier_preparer.quote
    name = table if isinstance(table, str) else table.name
    return quote(name), [quote(c) for c in columns]


def insert_frame(conn: Connection, table: Table | str, frame: pl.DataFrame) -> int:
    """Insert every row of `frame` (its columns named as the table's); returns the row count."""
    if frame.is_empty():
        return 0
    name, quoted = _names(conn, table, frame.columns)
    columns = ", ".join(quoted)
    raw = _raw(conn)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
            for row in frame.iter_rows():
                copy.write_row(row)
        return frame.height
    marks = ", ".join("?" for _ in quoted)
    sql = f"INSERT INTO {name} ({columns}) VALUES ({marks})"  # noqa: S608 - quoted identifiers
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, _rows(frame))
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
        cursor.executemany(sql, list(_rows(frame.select([*values, key]))))
    finally:
        cursor.close()
    return frame.height


def read_frame(conn: Connection, statement: Executable, schema: Mapping[str, Any]) -> pl.DataFrame:
    """Run a SELECT and return its rows as a frame with the given column names and dtypes."""
    if not isinstance(statement, ClauseElement):  # pragma: no cover - a typing aid
        raise TypeError("read_frame takes a SQLAlchemy statement")
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    rows = conn.exec_driver_sql(sql).fetchall()
    on_sqlite = conn.dialect.name == "sqlite"
    raw_schema = {n: (pl.String if on_sqlite and t == pl.Date else t) for n, t in schema.items()}
    frame = pl.DataFrame([tuple(r) for r in rows], schema=raw_schema, orient="row")
    dates = [n for n, t in schema.items() if t == pl.Date]
    if on_sqlite and dates:
        frame = frame.with_columns(pl.col(dates).str.to_date("%Y-%m-%d"))
    return frame


@contextmanager
def affected_customers(conn: Connection, customer_ids: Collection[int]) -> Iterator[str]:
    """A temporary table of customer ids to join against; yields its name."""
    conn.execute(text(f"DROP TABLE IF EXISTS {AFFECTED}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {AFFECTED} (customer_id INTEGER PRIMARY KEY)"))
    insert_frame(conn, AFFECTED, pl.DataFrame({"customer_id": sorted(set(customer_ids))}))
    try:
        yield AFFECTED
    finally:
        conn.execute(text(f"DROP TABLE IF EXISTS {AFFECTED}"))
