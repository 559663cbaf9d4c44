"""Each run's notice items, levels and groups before in partitions of their own on PostgreSQL.

The `plain` policy of tests/scenarios/test_run_revert.py: level 1 at +3 days, level 2 at +10. C1 owes
INV-1 (due 2026-09-01) and INV-2 (due 2026-09-20). On SQLite the same stories write the tables
themselves, which the scenario tests check on both backends; here what only PostgreSQL does.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from alembic import command
from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from dunmore.demo.load import clear_ledger
from dunmore.run.models import GROUPS_BEFORE, LEVELS_BEFORE, NOTICE_ITEMS, NOTICES
from dunmore.store.bulk import insert_frame
from dunmore.store.db import alembic_config, transaction, upgrade
from dunmore.store.partitions import lock_for_partitions, partitions, run_partition, staged_partitions
from tests.scenarios.story import Story, digest, policy_file
from tests.scenarios.test_run_revert import PLAIN


def _story(engine: Engine, folder: Path) -> Story:
    story = Story(engine, policy_file(folder, PLAIN))
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.invoice("INV-2", "C1", issued="2026-09-01", due="2026-09-20", amount="2000.00")
    return story


def _where(engine: Engine, name: str) -> dict[str, int]:
    """Which partition holds how many of the table's rows."""
    query = f"SELECT CAST(tableoid AS regclass), count(*) FROM {name} GROUP BY 1"
    with engine.connect() as conn:
        return {str(where): int(count) for where, count in conn.execute(text(query))}


def test_each_run_writes_its_items_and_levels_before_into_partitions_of_its_own(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    story = _story(postgres_engine, tmp_path)
    first = story.run("2026-09-04")
    second = story.run("2026-09-24")
    assert digest(first) == ["C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"]
    assert digest(second)[0].startswith("C1 CNY L2 second-overdue")
    [(run_1, _, _), (run_2, _, _)] = story.runs()
    notice_1, notice_2 = first[0]["notice_id"], second[0]["notice_id"]

    assert _where(postgres_engine, "notice_items") == {
        f"notice_items_p{notice_1}": 1,  # INV-1
        f"notice_items_p{notice_2}": 2,  # INV-1 and INV-2
    }
    assert _where(postgres_engine, "run_levels_before") == {
        f"run_levels_before_p{run_1}": 1,
        f"run_levels_before_p{run_2}": 2,
    }
    assert _where(postgres_engine, "run_groups_before") == {
        f"run_groups_before_p{run_1}": 1,
        f"run_groups_before_p{run_2}": 1,
    }
    with postgres_engine.connect() as conn:
        assert partitions(conn, NOTICE_ITEMS) == {
            f"notice_items_p{notice_1}": (notice_1, notice_1 + 1),
            f"notice_items_p{notice_2}": (notice_2, notice_2 + 1),
        }
        # attached with the table's keys and indexes
        keys = "SELECT count(*) FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"
        assert conn.execute(text(keys), {"t": f"notice_items_p{notice_2}"}).scalar_one() == 2
        indexed = "SELECT indexdef FROM pg_indexes WHERE tablename = :t AND schemaname = current_schema()"
        found = conn.execute(text(indexed), {"t": f"notice_items_p{notice_2}"}).scalars().all()
    assert sorted(definition.split(" USING ")[1] for definition in found) == [
        "btree (item_id)", "btree (notice_id, item_id)"
    ]  # fmt: skip


def test_a_partition_whose_rows_break_a_key_is_refused_and_leaves_nothing(postgres_engine: Engine) -> None:
    rows = _one_item_of_no_invoice()
    with (
        pytest.raises(IntegrityError, match="notice_items_p1"),
        transaction(postgres_engine) as conn,
        run_partition(conn, NOTICE_ITEMS, 1, 2) as target,
    ):
        insert_frame(conn, target, rows)
    with postgres_engine.connect() as conn:
        assert partitions(conn, NOTICE_ITEMS) == {}
        assert conn.execute(select(func.count()).select_from(NOTICE_ITEMS)).scalar_one() == 0
        leftover = (  # in this test's schema: another test's may hold one meanwhile
            "SELECT count(*) FROM pg_class WHERE relname = 'notice_items_p1'"
            " AND relnamespace = CAST(current_schema() AS regnamespace)"
        )
        assert conn.execute(text(leftover)).scalar_one() == 0


def _one_item_of_no_invoice() -> pl.DataFrame:
    return pl.DataFrame(
        {"notice_id": [1], "item_id": [999], "kind": ["invoice"], "level": [1], "days_past_due": [3],
         "open_minor": [100], "interest_minor": [0]}
    )  # fmt: skip


def test_on_sqlite_the_run_writes_the_table_itself(sqlite_engine: Engine) -> None:
    with transaction(sqlite_engine) as conn, run_partition(conn, LEVELS_BEFORE, 1, 2) as target:
        assert target is LEVELS_BEFORE


def test_after_the_ledger_is_cleared_the_next_run_takes_ids_never_given(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    """A demo reset deletes every notice and the runs' partitions; a notice id once given stays
    its run's range's all the same."""
    story = _story(postgres_engine, tmp_path)
    story.run("2026-09-04")
    story.run("2026-09-24")
    with postgres_engine.connect() as conn:
        highest = conn.execute(select(func.max(NOTICES.c.id))).scalar_one()
    with transaction(postgres_engine) as conn:
        clear_ledger(conn)

    again = _story(postgres_engine, tmp_path).run("2026-09-04")

    assert digest(again) == ["C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"]
    assert again[0]["notice_id"] == highest + 1
    assert _where(postgres_engine, "notice_items") == {f"notice_items_p{highest + 1}": 1}
    with postgres_engine.connect() as conn:  # the cleared runs' partitions are gone, not left empty
        assert list(partitions(conn, NOTICE_ITEMS)) == [f"notice_items_p{highest + 1}"]
        assert len(partitions(conn, LEVELS_BEFORE)) == len(partitions(conn, GROUPS_BEFORE)) == 1


def test_the_rows_from_before_partitioning_become_its_first_partition_and_go_back(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    """Migration 0041 turns the three plain tables into partitioned ones, their rows kept in `_p0`; its
    downgrade puts every row, old and new, back into one plain table."""
    story = _story(postgres_engine, tmp_path)
    story.run("2026-09-04")
    with transaction(postgres_engine) as conn:
        command.downgrade(alembic_config(conn), "0040")
    kinds = "SELECT relkind FROM pg_class WHERE oid = CAST(:t AS regclass)"
    with postgres_engine.connect() as conn:
        assert [conn.execute(text(kinds), {"t": t}).scalar_one() for t in _TABLES] == ["r", "r", "r"]
        before = {t: _rows(conn, t) for t in _TABLES}
    assert [len(rows) for rows in before.values()] == [1, 1, 1]

    assert upgrade(postgres_engine)
    assert _where(postgres_engine, "notice_items") == {"notice_items_p0": 1}
    assert _where(postgres_engine, "run_levels_before") == {"run_levels_before_p0": 1}
    assert _where(postgres_engine, "run_groups_before") == {"run_groups_before_p0": 1}
    second = story.run("2026-09-24")  # the next run's rows in partitions of their own
    assert _where(postgres_engine, "notice_items") == {
        "notice_items_p0": 1, f"notice_items_p{second[0]['notice_id']}": 2
    }  # fmt: skip
    with postgres_engine.connect() as conn:
        assert [conn.execute(text(kinds), {"t": t}).scalar_one() for t in _TABLES] == ["p", "p", "p"]
        after = {t: _rows(conn, t) for t in _TABLES}

    with transaction(postgres_engine) as conn:
        command.downgrade(alembic_config(conn), "0040")
    with postgres_engine.connect() as conn:
        assert [conn.execute(text(kinds), {"t": t}).scalar_one() for t in _TABLES] == ["r", "r", "r"]
        assert {t: _rows(conn, t) for t in _TABLES} == after
        inherited = "SELECT count(*) FROM pg_inherits WHERE inhparent = CAST(:t AS regclass)"
        assert [conn.execute(text(inherited), {"t": t}).scalar_one() for t in _TABLES] == [0, 0, 0]
    assert [len(rows) for rows in after.values()] == [3, 3, 2]
    assert upgrade(postgres_engine)


_TABLES = ("notice_items", "run_levels_before", "run_groups_before")


def _rows(conn: Connection, name: str) -> list[tuple[object, ...]]:
    return sorted(tuple(row) for row in conn.execute(text(f"SELECT * FROM {name}")))


def test_a_write_that_may_attach_partitions_takes_their_locks_at_once_in_one_order(
    postgres_engine: Engine,
) -> None:
    """A run and an approval both lock, before writing, every table an attach locks: the second to
    come waits for the first instead of holding half of what the first needs (a deadlock)."""
    mine = (
        "SELECT CAST(relation AS regclass) FROM pg_locks WHERE pid = pg_backend_pid()"
        " AND locktype = 'relation' AND mode = 'ShareRowExclusiveLock'"
    )
    with transaction(postgres_engine) as conn:
        lock_for_partitions(conn)
        held = sorted(str(name) for name in conn.execute(text(mine)).scalars())
    assert held == [
        "customers", "invoices", "notice_items", "notices", "run_groups_before", "run_levels_before", "runs"
    ]  # fmt: skip


def test_the_parts_of_a_partitioned_run_fill_one_bare_table_attached_once_at_the_end(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    """Levels before are read by nothing until the run ends: inside `staged_partitions` every part
    writes them into the run's one bare table, which is attached (and so keyed) once, as it ends."""
    story = _story(postgres_engine, tmp_path)
    story.run("2026-09-04")  # run 1, and a row in `runs` for the next run to refer to
    with transaction(postgres_engine) as conn:
        run_id = int(conn.execute(text(_NEXT_RUN)).scalar_one())
        invoices = list(conn.execute(text("SELECT id FROM invoices ORDER BY id")).scalars())
        name = f"run_levels_before_p{run_id}"
        with staged_partitions(conn):
            for invoice in invoices:  # the parts of the run, one invoice each
                with run_partition(conn, LEVELS_BEFORE, run_id, run_id + 1, staged=True) as target:
                    assert target.name == name
                    conn.execute(insert(target), [{"run_id": run_id, "invoice_id": invoice, "level": 0}])
                assert name not in partitions(conn, LEVELS_BEFORE)  # still bare, and open
        assert name in partitions(conn, LEVELS_BEFORE)
        found = select(LEVELS_BEFORE.c.invoice_id).where(LEVELS_BEFORE.c.run_id == run_id)
        assert sorted(conn.execute(found).scalars()) == invoices
    with transaction(postgres_engine) as conn:  # outside a run's staging: attached at once
        with run_partition(conn, LEVELS_BEFORE, run_id + 1, run_id + 2, staged=True) as target:
            assert target.name == f"run_levels_before_p{run_id + 1}"
        assert f"run_levels_before_p{run_id + 1}" in partitions(conn, LEVELS_BEFORE)


_NEXT_RUN = (
    "INSERT INTO runs (sequence, as_of, policy_version_id, committed_at, notices)"
    " SELECT sequence + 1, as_of, policy_version_id, committed_at, 0 FROM runs RETURNING id"
)
