"""A unit of work that will write takes SQLite's write lock at its start, so a concurrent writer makes
it wait (busy timeout) instead of failing at its first write with "database is locked" — which a
transaction that has read first does when another commits in between."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Engine, insert, select

from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import transaction


def _another_writer_may_start(engine: Engine) -> bool:
    other = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    finally:
        other.close()  # rolls back what it began
    return True


@pytest.mark.parametrize("write", [False, True])
def test_a_writing_unit_of_work_holds_the_write_lock_from_its_start(
    sqlite_engine: Engine, write: bool
) -> None:
    with transaction(sqlite_engine, write=write) as conn:
        conn.execute(select(CUSTOMERS.c.id)).all()  # it has only read so far
        assert _another_writer_may_start(sqlite_engine) is not write
    assert _another_writer_may_start(sqlite_engine)


@pytest.mark.parametrize("durable", [True, False])
def test_a_unit_of_work_said_not_durable_lets_postgresql_commit_before_the_flush_and_only_it(
    postgres_engine: Engine, durable: bool
) -> None:
    with transaction(postgres_engine, durable=durable) as conn:
        said = conn.exec_driver_sql("SHOW synchronous_commit").scalar_one()
        conn.execute(insert(CUSTOMERS).values(external_id="C1", name="华东贸易"))
    assert said == ("on" if durable else "off")
    with transaction(postgres_engine) as conn:  # the same pooled connection: the setting ended with it
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "on"
        assert conn.execute(select(CUSTOMERS.c.external_id)).scalars().all() == ["C1"]


def test_on_sqlite_a_unit_of_work_said_not_durable_commits_as_any_other(sqlite_engine: Engine) -> None:
    with transaction(sqlite_engine, durable=False) as conn:
        conn.execute(insert(CUSTOMERS).values(external_id="C1", name="华东贸易"))
    with transaction(sqlite_engine) as conn:
        assert conn.execute(select(CUSTOMERS.c.external_id)).scalars().all() == ["C1"]
