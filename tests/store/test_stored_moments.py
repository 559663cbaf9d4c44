"""Moments read back from the database are UTC, whatever zone the database session or the client is in."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from dunmore.store.db import as_utc, make_engine

POSTGRES_URL = os.environ.get("DUNMORE_TEST_POSTGRES_URL")


def test_a_moment_in_another_zone_is_the_same_instant_and_date_in_utc() -> None:
    # 01:00 UTC on 2026-03-02 is still the evening of 03-01 in Pago Pago (UTC-11).
    pago_pago = datetime(2026, 3, 1, 14, 0, tzinfo=ZoneInfo("Pacific/Pago_Pago"))
    moved = as_utc(pago_pago)
    assert moved == pago_pago
    assert moved.tzinfo is UTC
    assert moved.date().isoformat() == "2026-03-02"


def test_a_naive_stored_moment_is_taken_as_utc() -> None:
    stored = datetime(2026, 3, 2, 1, 0, tzinfo=UTC).replace(tzinfo=None)  # as SQLite gives it back
    assert as_utc(stored) == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.mark.skipif(POSTGRES_URL is None, reason="PostgreSQL not configured: set DUNMORE_TEST_POSTGRES_URL")
def test_postgresql_sessions_read_moments_in_utc_whatever_pgtz_says(monkeypatch: pytest.MonkeyPatch) -> None:
    assert POSTGRES_URL is not None
    monkeypatch.setenv("PGTZ", "Pacific/Pago_Pago")
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            zone = conn.execute(text("SHOW timezone")).scalar_one()
            moment = conn.execute(text("SELECT TIMESTAMPTZ '2026-03-02 01:00:00+00'")).scalar_one()
    finally:
        engine.dispose()
    assert zone == "UTC"
    assert moment.utcoffset().total_seconds() == 0
    assert moment.date().isoformat() == "2026-03-02"
