"""Shared fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL tests run when DUNMORE_TEST_POSTGRES_URL is set (`.ci/checks` sets it when the local
server answers); each test gets a schema of its own, dropped afterwards, so tests never share data.

Running every migration for every test cost ≈1.5 s on SQLite and ≈3 s on PostgreSQL, most of the
suite's time. Each test process migrates one template database once (the real migrations), and every
test gets a copy of it: SQLite's backup of the file, PostgreSQL's `pg_dump` of the template schema
replayed under the test's schema name (a fresh `upgrade` where `pg_dump` is missing). The migrations
themselves are tested from empty and older revisions in tests/store/test_migrations.py and
tests/store/test_schema_head.py.

Replaying the dump still cost ≈0.5 s a test and dropping the schema ≈0.3 s (≈2 s each on a busy
machine, an eighth of the suite). So a PostgreSQL schema a test is done with is emptied and reused by
the process's next test: every table truncated (identities restarted), the template's rows and
sequence values put back from a data-only dump — unless its tables, columns, indexes, constraints or
triggers differ from the template's (a test that changed the schema), or a lock held on past the test
keeps it from being emptied quickly: such a schema is dropped as before and the next test gets a
fresh copy.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import settings
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from dunmore.access import credentials
from dunmore.store.db import make_engine, normalize_url, upgrade

POSTGRES_URL = os.environ.get("DUNMORE_TEST_POSTGRES_URL")

# No test asserts a duration (speed is measured in benchmarks/): Hypothesis' per-example deadline of
# 200 ms failed property tests whenever the machine was busy, so it is off for every test.
settings.register_profile("dunmore", deadline=None)
settings.load_profile("dunmore")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def fast_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cheap argon2 parameters: a password costs ≈0.5 s of CPU with the real ones, which was most of
    the time of every test that adds users. A test about the hash's cost is marked `real_hashing`."""
    if request.node.get_closest_marker("real_hashing"):
        yield
        return
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    credentials._dummy_hash.cache_clear()
    monkeypatch.setattr(credentials, "_hasher", lambda: cheap)
    yield
    credentials._dummy_hash.cache_clear()


@pytest.fixture(autouse=True)
def english_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line speaks the terminal's language (`LANG`; CI runs a pass under zh_CN.GB18030):
    tests read its English unless they name another language themselves."""
    monkeypatch.setenv("DUNMORE_LANG", "en")


def _postgres_engine(schema: str) -> Engine:
    assert POSTGRES_URL is not None
    url = normalize_url(POSTGRES_URL)
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def _drop_schema(schema: str) -> None:
    assert POSTGRES_URL is not None
    admin = create_engine(normalize_url(POSTGRES_URL))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to the newest revision, once per test process."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    template = make_engine(f"sqlite:///{path}")
    upgrade(template)
    template.dispose()
    return path


def _sqlite_copy(template: Path, path: Path) -> Engine:
    """A migrated SQLite database at `path`: a consistent copy (SQLite's backup) of the template."""
    with sqlite3.connect(template) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()
    return make_engine(f"sqlite:///{path}")


@dataclass
class PostgresTemplate:
    """A migrated schema's DDL and rows (`{schema}` in place of its name), its rows alone, its shape,
    and the emptied schemas of this process waiting for their next test."""

    script: str
    rows: str
    shape: str
    free: list[str] = field(default_factory=list)


# The schema's shape: what a test could change that emptying the tables would not put back.
SHAPE = """
SELECT md5(coalesce(string_agg(replace(line, :schema, ''), E'\\n' ORDER BY line), '')) FROM (
  SELECT 'c ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
         || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS line
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL SELECT 'i ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = :schema
  UNION ALL SELECT 'k ' || conname || ' ' || pg_get_constraintdef(k.oid) FROM pg_constraint k
    JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = :schema
  UNION ALL SELECT 't ' || tgname FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = :schema AND NOT t.tgisinternal
) AS parts
"""


def _shape(schema: str) -> str:
    assert POSTGRES_URL is not None
    admin = create_engine(normalize_url(POSTGRES_URL), poolclass=NullPool)
    with admin.connect() as conn:
        shape = str(conn.execute(text(SHAPE), {"schema": schema}).scalar_one())
    admin.dispose()
    return shape


def _dump(schema: str, *flags: str) -> str:
    """`pg_dump` of one schema as SQL (psql's meta-commands, `\\restrict` in newer dumps, left out)."""
    assert POSTGRES_URL is not None
    url = make_url(normalize_url(POSTGRES_URL))
    command = ["pg_dump", "--schema", schema, "--no-owner", "--no-privileges", "--inserts", *flags]
    command.append(str(url.database))
    for flag, value in (("-h", url.host), ("-p", url.port), ("-U", url.username)):
        command += [flag, str(value)] if value is not None else []
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    dumped = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    script = "\n".join(line for line in dumped.stdout.splitlines() if not line.startswith("\\"))
    return script.replace(schema, "{schema}")


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[PostgresTemplate | None]:
    """A PostgreSQL schema migrated once per test process, dumped (`pg_dump`) to copy; None without
    a server or without `pg_dump` (each test migrates then). Reused schemas are dropped at the end."""
    if POSTGRES_URL is None or shutil.which("pg_dump") is None:
        yield None
        return
    schema = f"tpl_{uuid.uuid4().hex[:12]}"
    template = _postgres_engine(schema)
    upgrade(template)
    template.dispose()
    found = PostgresTemplate(_dump(schema), _dump(schema, "--data-only"), _shape(schema))
    yield found
    for name in [schema, *found.free]:
        _drop_schema(name)


def _emptied(schema: str, template: PostgresTemplate) -> bool:
    """Empty `schema` for the next test, as the template was: True when done; False when its shape
    changed or a lock kept it (it is left as it was, to be dropped)."""
    assert POSTGRES_URL is not None
    url = normalize_url(POSTGRES_URL)
    admin = create_engine(url, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            try:
                _drop_run_partitions(conn, schema)
            except DBAPIError:  # a lock kept it: dropped with the schema instead
                return False
            if str(conn.execute(text(SHAPE), {"schema": schema}).scalar_one()) != template.shape:
                return False
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": schema}
            ).scalars()
            names = [f'"{schema}"."{table}"' for table in tables]
        raw = admin.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET lock_timeout = '5s'")
            # DELETE, with the keys' triggers off (as pg_restore loads data): TRUNCATE gives every
            # table a new file, which cost more than making the schema afresh
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("; ".join(f"DELETE FROM {name}" for name in names))
            cursor.execute(template.rows.replace("{schema}", schema))
            cursor.execute("SET session_replication_role = DEFAULT")
            raw.commit()
        except Exception:
            raw.rollback()
            return False
        finally:
            raw.close()
        return True
    finally:
        admin.dispose()


def _drop_run_partitions(conn: Connection, schema: str) -> None:
    """Drop the partitions the test's runs added (`dunmore.store.partitions`): the template has none."""
    found = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND c.relispartition AND c.relkind = 'r'"
        ),
        {"schema": schema},
    ).scalars()
    names = [f'"{schema}"."{name}"' for name in found]
    if names:
        conn.execute(text("SET lock_timeout = '5s'"))
        conn.execute(text(f"DROP TABLE {', '.join(names)}"))
        conn.commit()


def _postgres_copy(script: str, schema: str) -> Engine:
    """A schema `schema` made from the template's dump: the same tables, indexes, functions and rows."""
    assert POSTGRES_URL is not None
    url = normalize_url(POSTGRES_URL)
    admin = create_engine(url, poolclass=NullPool)
    raw = admin.raw_connection()
    try:
        raw.cursor().execute(script.replace("{schema}", schema))
        raw.commit()
    finally:
        raw.close()
        admin.dispose()
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture(params=BACKENDS)
def engine(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _sqlite_template: Path,
    _postgres_template: PostgresTemplate | None,
) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        sqlite = _sqlite_copy(_sqlite_template, tmp_path / "test.db")
        yield sqlite
        sqlite.dispose()
        return
    yield from _migrated_postgres(_postgres_template)


@pytest.fixture
def postgres_engine(_postgres_template: PostgresTemplate | None) -> Iterator[Engine]:
    """A migrated PostgreSQL database of its own, for what only PostgreSQL does (several workers)."""
    yield from _migrated_postgres(_postgres_template)


def _migrated_postgres(template: PostgresTemplate | None) -> Iterator[Engine]:
    """A migrated schema of its own on the test server: an emptied one of this process's earlier
    tests, or a fresh copy; emptied for the next test afterwards (or dropped)."""
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL not configured: set DUNMORE_TEST_POSTGRES_URL")
    if template is None:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        pg = _postgres_engine(schema)
        upgrade(pg)
    elif template.free:
        schema = template.free.pop()
        pg = create_engine(normalize_url(POSTGRES_URL), connect_args={"options": f"-csearch_path={schema}"})
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        pg = _postgres_copy(template.script, schema)
    yield pg
    pg.dispose()
    if template is not None and _emptied(schema, template):
        template.free.append(schema)
    else:
        _drop_schema(schema)


@pytest.fixture
def sqlite_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    """A migrated SQLite database, for tests that are about logic rather than the backend."""
    sqlite = _sqlite_copy(_sqlite_template, tmp_path / "test.db")
    yield sqlite
    sqlite.dispose()
