"""Shared fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL tests run when DUNMORE_TEST_POSTGRES_URL is set (`.ci/checks` sets it when the local
server answers); each test gets a schema of its own, dropped afterwards, so tests never share data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from dunmore.store.db import make_engine, normalize_url, upgrade

POSTGRES_URL = os.environ.get("DUNMORE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


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


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        sqlite = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade(sqlite)
        yield sqlite
        sqlite.dispose()
        return
    yield from _migrated_postgres()


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A migrated PostgreSQL database of its own, for what only PostgreSQL does (several workers)."""
    yield from _migrated_postgres()


def _migrated_postgres() -> Iterator[Engine]:
    """A migrated schema of its own on the test server, dropped afterwards."""
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL not configured: set DUNMORE_TEST_POSTGRES_URL")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    pg = _postgres_engine(schema)
    upgrade(pg)
    yield pg
    pg.dispose()
    _drop_schema(schema)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database, for tests that are about logic rather than the backend."""
    sqlite = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade(sqlite)
    yield sqlite
    sqlite.dispose()
