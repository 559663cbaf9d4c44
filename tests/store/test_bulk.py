"""The bulk paths: frames in and out of the database, on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import Connection, Engine, inspect, select, text

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
