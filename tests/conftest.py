"""Shared fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL tests run when DUNMORE_TEST_POSTGRES_URL is set (`.ci/checks` sets it when the local
server answers); each test gets a schema of its own, dropped afterwards, so tests never share data.

Running every migration for every test cost ≈1.5 s on SQLite and ≈3 s on PostgreSQL, most of the
suite's time. Each test process migrates one template database once (the real migrations), and every
test gets a copy of it: SQLite's backup of the file, PostgreSQL's `pg_dump` of the template schema
replayed under the test's schema name (a fresh `upgrade` where `pg_dump` is missing). The migrations
themselves are tested from empty and older revisions in tests/store/test_migrations.py and
tests/store/test_schema_head.py.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import settings
from sqlalchemy import Engine, create_engine, make_url, text
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


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str | None]:
    """The DDL and rows of a PostgreSQL schema migrated once per test process (`pg_dump`), its
    schema named `{schema}`; None without a server or without `pg_dump` (each test migrates then)."""
    if POSTGRES_URL is None or shutil.which("pg_dump") is None:
        yield None
        return
    schema = f"tpl_{uuid.uuid4().hex[:12]}"
    template = _postgres_engine(schema)
    upgrade(template)
    template.dispose()
    url = make_url(normalize_url(POSTGRES_URL))
    command = ["pg_dump", "--schema", schema, "--no-owner", "--no-privileges", "--inserts", str(url.database)]
    for flag, value in (("-h", url.host), ("-p", url.port), ("-U", url.username)):
        command += [flag, str(value)] if value is not None else []
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    dumped = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    # psql's meta-commands (`\restrict` in newer dumps) are not SQL; the rest runs as one script
    script = "\n".join(line for line in dumped.stdout.splitlines() if not line.startswith("\\"))
    yield script.replace(schema, "{schema}")
    _drop_schema(schema)


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
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path, _postgres_template: str | None
) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        sqlite = _sqlite_copy(_sqlite_template, tmp_path / "test.db")
        yield sqlite
        sqlite.dispose()
        return
    yield from _migrated_postgres(_postgres_template)


@pytest.fixture
def postgres_engine(_postgres_template: str | None) -> Iterator[Engine]:
    """A migrated PostgreSQL database of its own, for what only PostgreSQL does (several workers)."""
    yield from _migrated_postgres(_postgres_template)


def _migrated_postgres(template: str | None) -> Iterator[Engine]:
    """A migrated schema of its own on the test server, dropped afterwards."""
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL not configured: set DUNMORE_TEST_POSTGRES_URL")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    if template is None:
        pg = _postgres_engine(schema)
        upgrade(pg)
    else:
        pg = _postgres_copy(template, schema)
    yield pg
    pg.dispose()
    _drop_schema(schema)


@pytest.fixture
def sqlite_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    """A migrated SQLite database, for tests that are about logic rather than the backend."""
    sqlite = _sqlite_copy(_sqlite_template, tmp_path / "test.db")
    yield sqlite
    sqlite.dispose()
