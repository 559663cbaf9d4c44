"""Opening a database: engine, SQLite pragmas, and bringing the schema to the current revision.

Any command calls `open_database`, so a new or older database is upgraded by itself; a user never
runs an init step. `dunmore db upgrade` does the same explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from dunmore.errors import DatabaseError

MIGRATIONS = Path(__file__).parent / "migrations"


def normalize_url(url: str) -> str:
    """Accept the URLs people paste (`postgresql://`, `postgres://`) and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy open transactions (see _sqlite_begin): the driver would otherwise start one
    # only before a write, so the reads of a unit of work would not share its snapshot.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as exc:
        raise DatabaseError(
            f"cannot understand database URL {url!r}: use sqlite:///path.db or postgresql://user@host/db"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).parent.exists():
            raise DatabaseError(f"folder {Path(database).parent} of the database file does not exist")
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the newest revision; returns whether anything had to be done."""
    try:
        with engine.begin() as connection:
            if current_revision(connection) == head_revision():
                return False
            command.upgrade(alembic_config(connection), "head")
            return True
    except OperationalError as exc:
        raise DatabaseError(f"cannot open or migrate the database {engine.url!r}: {exc.orig}") from exc


def open_database(url: str) -> Engine:
    """An engine on `url` whose schema is current."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


@contextmanager
def transaction(engine: Engine, *, snapshot: bool = False) -> Iterator[Connection]:
    """The unit of work: commits on success, rolls back on any error. Only interfaces open one.

    `snapshot=True` reads one consistent snapshot throughout (REPEATABLE READ on PostgreSQL; a
    SQLite transaction always does), so that a concurrent commit makes this one fail, not mix.
    """
    options = (
        {"isolation_level": "REPEATABLE READ"} if snapshot and engine.dialect.name == "postgresql" else {}
    )
    with engine.connect().execution_options(**options) as connection, connection.begin():
        yield connection


def as_utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime: SQLite gives back naive ones, and every moment Dunmore
    stores is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
