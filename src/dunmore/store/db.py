"""Opening a database: engine, SQLite pragmas, and bringing the schema to the current revision.

Any command calls `open_database`, so a new or older database is upgraded by itself; a user never
runs an init step. `dunmore db upgrade` does the same explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from dunmore.errors import DatabaseBusy, DatabaseError, DunmoreError, NoDatabase
from dunmore.i18n import _m

if TYPE_CHECKING:  # Alembic loads only when a schema is not current (a tenth of a second saved per command)
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The largest id an Integer column holds on every backend (PostgreSQL's `integer`): an interface
# bounds the ids it is given by it, so that a larger one is refused as input, not failed on in SQL.
ID_MAX = 2**31 - 1


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
    # A unit of work that will write takes the write lock at its start (see `transaction(write=True)`).
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as exc:
        raise DatabaseError(
            _m(
                "cannot understand database URL %(url)s: use sqlite:///path.db or postgresql://user@host/db",
                url=repr(url),
            )
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).parent.exists():
            raise DatabaseError(
                _m("folder %(folder)s of the database file does not exist", folder=str(Path(database).parent))
            )
        engine = _create(parsed, url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Every moment Dunmore stores is UTC: sessions read them back in UTC too, whatever the server's or
    # the client's (PGTZ) zone, so that a date taken from a moment is the same on every machine.
    engine = _create(parsed, url, pool_pre_ping=True)
    event.listen(engine, "connect", _postgresql_utc)
    return engine


def _postgresql_utc(dbapi_connection: Any, _record: Any) -> None:
    # After libpq has applied PGTZ, which a startup option would not override.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def _create(parsed: Any, url: str, **options: Any) -> Engine:
    """The engine, or a one-line refusal for a kind of database (or driver) Dunmore cannot use."""
    try:
        return create_engine(parsed, **options)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(
            _m(
                "cannot use database URL %(url)s: unknown kind of database %(kind)s; "
                "use sqlite:///path.db or postgresql://user@host/db",
                url=repr(url),
                kind=repr(parsed.drivername),
            )
        ) from exc


def alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


# `revision = "0012"`, also with an annotation (`revision: str = …`, Alembic's newer template)
_REVISION = re.compile(r"^revision(?:\s*:[^=\n]*)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=\n]*)?\s*=\s*(.*)$", re.MULTILINE)


@cache
def migration_head() -> str | None:
    """The newest revision, read from the migration files' `revision`/`down_revision` lines without
    loading Alembic; None when the files do not name exactly one head (then ask Alembic).
    tests/store/test_schema_head.py holds it equal to Alembic's `head_revision()`."""
    return head_of_scripts(MIGRATIONS / "versions")


def head_of_scripts(folder: Path) -> str | None:
    """The one revision of the migration scripts in `folder` that no other revises (None: not one)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in folder.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stored_revisions(connection: Connection) -> tuple[str, ...] | None:
    """The revisions recorded in `alembic_version`, read with plain SQL; None without that table."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    return tuple(row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version"))


def is_current(engine: Engine) -> bool:
    """Whether the schema is at the newest revision, told without Alembic (false when unsure)."""
    head = migration_head()
    if head is None:
        return False
    with engine.connect() as connection:
        return stored_revisions(connection) == (head,)


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the newest revision; returns whether anything had to be done.

    The usual case, a database already current, is answered by one plain query (`is_current`);
    Alembic is loaded only to look closer and migrate."""
    try:
        if is_current(engine):
            return False
        from alembic import command

        with engine.begin() as connection:
            if current_revision(connection) == head_revision():
                return False
            command.upgrade(alembic_config(connection), "head")
            return True
    except OperationalError as exc:
        raise DatabaseError(
            _m(
                "cannot open or migrate the database %(url)s: %(why)s",
                url=repr(engine.url),
                why=_first_line(exc),
            )
        ) from exc
    except DBAPIError as exc:
        raise database_problem(exc, engine.url) from exc


def open_database(url: str, *, create: bool = True) -> Engine:
    """An engine on `url` whose schema is current; with `create=False`, only on a database that
    exists and holds Dunmore's tables (a mistyped path must not become a new, empty ledger)."""
    engine = make_engine(url)
    try:
        if not create:
            refuse_missing(engine)
        upgrade(engine)
    except DunmoreError:
        engine.dispose()  # nobody will use it: close its connection now
        raise
    return engine


def refuse_missing(engine: Engine) -> None:
    """Refuse a SQLite file that does not exist, and any database without Dunmore's tables."""
    shown = engine.url.render_as_string(hide_password=True)
    create = _m("`dunmore --db %(url)s db upgrade` creates one (`import` and `demo` do too)", url=shown)
    database = engine.url.database or ""
    if engine.dialect.name == "sqlite" and database not in ("", ":memory:") and not Path(database).exists():
        raise NoDatabase(
            _m(
                "there is no database at %(path)s: check the path, or %(create)s",
                path=database,
                create=create,
            )
        )
    try:
        with engine.connect() as conn:
            revisions = stored_revisions(conn)
    except DBAPIError as exc:
        raise database_problem(exc, engine.url) from exc
    if not revisions:
        raise NoDatabase(
            _m(
                "the database %(url)s holds no Dunmore tables: check --db, or %(create)s",
                url=shown,
                create=create,
            )
        )


def _first_line(exc: DBAPIError) -> str:
    lines = str(exc.orig).strip().splitlines() if exc.orig is not None else []
    return lines[0] if lines else type(exc).__name__


# SQLSTATE of PostgreSQL's serialization failure and deadlock: a concurrent command won the race.
_RACES = ("40001", "40P01")


def database_problem(exc: DBAPIError, url: Any = None) -> DunmoreError:
    """A driver's error as a one-line `DunmoreError` saying what happened and what to do."""
    where = f" {url.render_as_string(hide_password=True)}" if url is not None else ""
    cause = _first_line(exc)
    if getattr(exc.orig, "sqlstate", None) in _RACES:
        return DatabaseBusy(
            "another command changed the ledger while this one was reading it; nothing was written; "
            "run it again"
        )
    if "database is locked" in cause or "database table is locked" in cause:
        return DatabaseBusy(
            f"the database{where} is busy: another dunmore command is writing to it; nothing was written; "
            "run this again when that one has finished"
        )
    if "file is not a database" in cause:
        return DatabaseError(f"the database{where} is not a SQLite database file: check --db")
    return DatabaseError(f"the database{where} failed: {cause}; nothing was written")


WRITE_OPTION = "dunmore_write"


@contextmanager
def transaction(
    engine: Engine, *, snapshot: bool = False, write: bool = False, durable: bool = True
) -> Iterator[Connection]:
    """The unit of work: commits on success, rolls back on any error. Only interfaces open one.

    `snapshot=True` reads one consistent snapshot throughout (REPEATABLE READ on PostgreSQL; a
    SQLite transaction always does), so that a concurrent commit makes this one fail, not mix.
    `write=True` says the unit will write after reading: on SQLite it then takes the write lock at
    its start (BEGIN IMMEDIATE), waiting for another writer, where a transaction that read first
    would fail at its first write ("database is locked") when another commits in between.

    `durable=False` lets PostgreSQL answer the commit before its WAL is flushed to disk
    (`synchronous_commit = off` for this transaction only): a crash of the database server, not of
    the program, may then lose the last fraction of a second of such commits, never half of one
    and never anything else; SQLite's `synchronous=NORMAL` (see `_sqlite_pragmas`) makes the same
    trade for every commit. Only for writes whose loss the caller can take: the outbox's mark of a
    sent message (lost, the message is sent again with the same Message-ID, as after a crash of the
    worker between the send and the mark), where a flush per message was 3.6 ms of every e-mail.
    """
    options: dict[str, object] = (
        {"isolation_level": "REPEATABLE READ"} if snapshot and engine.dialect.name == "postgresql" else {}
    )
    if write:
        options[WRITE_OPTION] = True
    with engine.connect().execution_options(**options) as connection, connection.begin():
        if not durable and engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        yield connection


def as_utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime: SQLite gives back naive ones (every moment Dunmore
    stores is UTC), PostgreSQL aware ones in its session's zone."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
