"""A unit of work that will write takes SQLite's write lock at its start, so a concurrent writer makes
it wait (busy timeout) instead of failing at its first write with "database is locked" — which a
transaction that has read first does when another commits in between."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Engine, select

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
