"""The bulk paths: frames in and out of the database, on every backend."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import Connection, Engine, column, delete, func, inspect, select, table, text
from sqlalchemy.exc import IntegrityError

from dunmore.credit.grades_models import GRADE_HISTORY
from dunmore.ledger.models import INVOICES
from dunmore.run.models import POLICY_VERSIONS
from dunmore.store import bulk
from tests.store.ledger_rows import add_customer


def invoices(customer: int, count: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "external_id": [f"INV-{n:05d}" for n in range(count)],
            "customer_id": [customer] * count,
            "issue_date": [date(2026, 1, 1)] * count,
            "due_date": [date(2026, 1, 31)] * count,
            "currency": ["CNY"] * count,
            "amount_minor": [100 + n for n in range(count)],
            "disputed_minor": [0] * count,
            "open_minor": [100 + n for n in range(count)],
            "on_hold": [False] * count,
        }
    )


def index_names(engine: Engine) -> set[str]:
    return {index["name"] or "" for index in inspect(engine).get_indexes("invoices")}


def test_a_large_insert_rebuilds_the_indexes_it_deferred(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "DEFER_INDEXES_FROM", 10)
    before = index_names(engine)
    with engine.begin() as conn:
        customer = add_customer(conn, "C1")
        with bulk.deferred_indexes(conn, INVOICES, 50):
            bulk.insert_frame(conn, INVOICES, invoices(customer, 50))
    assert index_names(engine) == before
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(INVOICES.c.amount_minor).where(INVOICES.c.external_id == "INV-00049")
            ).scalar()
            == 149
        )


def test_a_failed_large_insert_leaves_rows_and_indexes_as_they_were(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "DEFER_INDEXES_FROM", 10)
    before = index_names(engine)

    def fail_half_way() -> None:
        with engine.begin() as conn:
            customer = add_customer(conn, "C1")
            with bulk.deferred_indexes(conn, INVOICES, 50):
                bulk.insert_frame(conn, INVOICES, invoices(customer, 50))
                raise RuntimeError("the import failed half-way")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert index_names(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(INVOICES.c.id)).first() is None


def _history(customers: list[int], as_of: date) -> pl.DataFrame:
    n = len(customers)
    at = datetime(2026, 5, 20, 9, tzinfo=UTC)
    return pl.DataFrame(
        {"customer_id": customers, "as_of": [as_of] * n, "computed": ["D"] * n, "grade": ["D"] * n,
         "points": [0] * n, "factors": ["{}"] * n, "days_beyond_terms": [0] * n,
         "broken_promises": [0] * n, "scorecard_version": [0] * n, "computed_at": [at] * n}
    )  # fmt: skip


def _unique_constraints(engine: Engine) -> list[str]:
    return sorted(str(found["name"]) for found in inspect(engine).get_unique_constraints("grade_history"))


def test_a_large_insert_can_defer_its_unique_constraint_and_still_refuses_a_duplicate(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`unique=True` (a first grading's history): on PostgreSQL the one row per customer and date is
    checked once when the constraint comes back after the insert; a duplicate fails the insert as
    the row-by-row check would, and the constraint is there after either way."""
    monkeypatch.setattr(bulk, "DEFER_INDEXES_FROM", 10)
    before = _unique_constraints(engine)
    assert before == ["uq_grade_history_customer_as_of"]
    with engine.begin() as conn:
        customers = [add_customer(conn, f"C{n}") for n in range(12)]
    day = date(2026, 5, 20)
    with engine.begin() as conn, bulk.deferred_indexes(conn, GRADE_HISTORY, 12, unique=True):
        bulk.insert_frame(conn, GRADE_HISTORY, _history(customers, day))
    assert _unique_constraints(engine) == before

    def insert_twice() -> None:
        with engine.begin() as conn:
            conn.execute(delete(GRADE_HISTORY))
            with bulk.deferred_indexes(conn, GRADE_HISTORY, 13, unique=True):
                bulk.insert_frame(conn, GRADE_HISTORY, _history([*customers, customers[0]], day))

    with pytest.raises((IntegrityError, sqlite3.IntegrityError)):  # SQLite's own, from the bulk insert
        insert_twice()
    assert _unique_constraints(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(GRADE_HISTORY)).scalar_one() == 12


def test_dates_and_aware_times_round_trip(engine: Engine) -> None:
    loaded = datetime(2026, 11, 23, 8, 30, 15, 123456, tzinfo=UTC)
    frame = pl.DataFrame(
        {"version": [1], "fingerprint": ["f"], "source": ["s"], "text": ["t"], "loaded_at": [loaded]}
    )
    with engine.begin() as conn:
        bulk.insert_frame(conn, POLICY_VERSIONS, frame)
    with engine.connect() as conn:
        stored = conn.execute(select(POLICY_VERSIONS.c.loaded_at)).scalar_one()
    assert (stored if stored.tzinfo else stored.replace(tzinfo=UTC)) == loaded  # SQLite keeps UTC, naive


def test_a_large_write_refreshes_postgresql_statistics_inside_its_own_transaction(
    postgres_engine: Engine,
) -> None:
    """The run's statements after its bulk writes are planned on statistics that count the rows the
    run itself wrote, before any commit; a small write leaves them alone."""
    rows = bulk.ANALYZE_FROM

    def estimate(conn: Connection) -> float:
        return float(
            conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'invoices'::regclass")).scalar_one()
        )

    with postgres_engine.begin() as conn:
        customer = add_customer(conn, "C1")
        bulk.insert_frame(conn, INVOICES, invoices(customer, rows))
        before = estimate(conn)
        bulk.refresh_statistics(conn, rows - 1, INVOICES)
        assert estimate(conn) == before < rows
        bulk.refresh_statistics(conn, rows, INVOICES)
        assert estimate(conn) == rows


def test_reading_columns_as_text_gives_what_reading_rows_gives(engine: Engine) -> None:
    """`read_columns` (CSV written by the database, parsed by Polars) reads back exactly what
    `read_frame` does: NULLs, the empty text, quotes, commas, line breaks and backslashes in text,
    big and negative integers, dates."""
    texts = ["plain", "", "it's", 'say "hi", then', "two\nlines", "back\\slash", "NULL", None]
    frame = pl.DataFrame(
        {
            "n": range(len(texts)),
            "word": texts,
            "amount": [2**62, -5, 0, None, 8, 9, 10, 11],
            "day": [date(1999, 12, 31), None, *[date(2026, 2, n) for n in range(1, 7)]],
        },
        schema={"n": pl.Int64, "word": pl.String, "amount": pl.Int64, "day": pl.Date},
    )
    t = table("_read_columns", column("n"), column("word"), column("amount"), column("day"))
    query = select(t.c.n, t.c.word, t.c.amount, t.c.day)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE _read_columns (n BIGINT, word TEXT, amount BIGINT, day DATE)"
        )
        bulk.insert_frame(conn, "_read_columns", frame)
        as_rows = bulk.read_frame(conn, query, frame.schema).sort("n")
        as_text = bulk.read_columns(conn, query, frame.schema).sort("n")
        empty = bulk.read_columns(conn, query.where(t.c.n < 0), frame.schema)
        clash = frame.head(2).with_columns(n=pl.Series([98, 99]), word=pl.Series(["a\x1eb", "\x1f"]))
        bulk.insert_frame(conn, "_read_columns", clash)  # SQLite's separator and NULL mark: row by row
        with_clash = bulk.read_columns(conn, query, frame.schema).sort("n")
    assert as_rows.equals(frame)
    assert as_text.equals(frame)
    assert with_clash.equals(pl.concat([frame, clash]))
    assert empty.is_empty()
    assert empty.schema == frame.schema
