"""PostgreSQL's COPY path (CSV written by Polars) against the row-by-row insert path: the same
values, to the byte, and the same ledger from the same files as on SQLite, large loads included
(indexes and keys dropped and rebuilt)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from dunmore.imports import Kind
from dunmore.ledger.models import CONTACTS, INVOICES
from dunmore.store import bulk
from dunmore.store.db import transaction
from tests.store.ledger_rows import add_customer
from tests.store.test_import_service import ledger_state, run, write

# Texts CSV could get wrong: empty vs missing, separators, quotes, line breaks, the `\.` marker.
AWKWARD = ["", None, "a,b", 'say "hi"', "line 1\nline 2", "back\\slash", "\\.", "王丽华\t杭州", "  spaced  "]
CUSTOMERS = """
    customer_id,name,email,phone,language,tags,credit_limit,currency,owner
    C1,"上海甲公司, 浦东","ar@jia.cn",021-5555,zh-CN,key;east,"50,000",CNY,王
    C2,"Beta ""Quoted"" GmbH",,,en,,,,
    C3,"杭州\\.贸易",,,zh-TW,,,,
"""
INVOICES_FILE = """
    invoice_id,customer_id,issue_date,due_date,amount,currency,disputed_amount,open_amount
    INV-1,C1,2026-01-01,2026-01-31,100.00,CNY,,
    INV-2,C1,2026-01-05,2026-02-28,50.00,CNY,5,
    INV-3,C2,2026-01-10,2026-02-09,80.00,USD,,
    INV-4,C3,2026-01-15,2026-03-15,100.00,CNY,,40.00
"""


def _contacts(customer: int) -> pl.DataFrame:
    count = len(AWKWARD)
    return pl.DataFrame(
        {
            "customer_id": [customer] * count,
            "name": AWKWARD,
            "email": list(reversed(AWKWARD)),
            "address": AWKWARD,
            "is_primary": [n % 2 == 0 for n in range(count)],
        },
        schema_overrides={"name": pl.String, "email": pl.String, "address": pl.String},
    )


def _as_text(state: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Dates as SQLite returns them from raw SQL (ISO text), so the two backends compare."""
    return {
        name: [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows]
        for name, rows in state.items()
    }


def test_copy_stores_exactly_what_row_inserts_store(postgres_engine: Engine) -> None:
    with transaction(postgres_engine) as conn:
        customer = add_customer(conn, "C1")
        contacts = _contacts(customer)
        bulk.insert_frame(conn, CONTACTS, contacts)  # COPY, as CSV
        conn.execute(insert(CONTACTS), contacts.to_dicts())  # one INSERT per row, bound parameters
        columns = [CONTACTS.c[name] for name in contacts.columns]
        rows = conn.execute(select(*columns).order_by(CONTACTS.c.id)).all()
    copied, inserted = rows[: len(AWKWARD)], rows[len(AWKWARD) :]
    assert copied == inserted
    assert [row.name for row in copied] == AWKWARD


def test_copy_keeps_the_instant_of_every_moment(postgres_engine: Engine) -> None:
    shanghai = timezone(timedelta(hours=8))
    moments = [
        datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 2, 17, 30, tzinfo=shanghai),
    ]
    frame = pl.DataFrame(
        {
            "external_id": ["INV-A", "INV-B", "INV-C"],
            "issue_date": [date(2026, 1, 1)] * 3,
            "due_date": [date(2026, 1, 31)] * 3,
            "currency": ["CNY"] * 3,
            "amount_minor": [100] * 3,
            "open_minor": [100] * 3,
            # aware (Shanghai), naive (UTC by Dunmore's rule) and missing
            "disputed_at": pl.Series([moments[1], moments[0].replace(tzinfo=None), None]),
        }
    )
    with transaction(postgres_engine) as conn:
        customer = add_customer(conn, "C1")
        bulk.insert_frame(conn, INVOICES, frame.with_columns(customer_id=pl.lit(customer)))
        stored = conn.execute(select(INVOICES.c.disputed_at).order_by(INVOICES.c.external_id)).scalars()
        assert list(stored) == [moments[1], moments[0], None]


def test_an_import_gives_the_same_ledger_through_copy_on_postgresql_as_on_sqlite(
    sqlite_engine: Engine, postgres_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "DEFER_INDEXES_FROM", 1)  # the large-load path too: keys and indexes rebuilt
    states = []
    for engine in (sqlite_engine, postgres_engine):
        run(engine, Kind.CUSTOMERS, write(tmp_path, "customers.csv", CUSTOMERS))
        run(engine, Kind.INVOICES, write(tmp_path, "invoices.csv", INVOICES_FILE))
        with engine.connect() as conn:
            states.append(_as_text(ledger_state(conn)))
    assert states[0] == states[1]
    assert states[1]["customers"][1][1] == 'Beta "Quoted" GmbH'
    assert states[1]["customers"][2][1] == "杭州\\.贸易"
    schema = inspect(postgres_engine)
    assert [key["referred_table"] for key in schema.get_foreign_keys("invoices")] == ["customers"]
    assert {"ix_invoices_group", "ix_invoices_aging"} <= {i["name"] for i in schema.get_indexes("invoices")}


def test_a_large_load_on_postgresql_still_checks_its_keys(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "DEFER_INDEXES_FROM", 1)
    frame = pl.DataFrame(
        {
            "external_id": ["INV-1"], "customer_id": [404], "issue_date": [date(2026, 1, 1)],
            "due_date": [date(2026, 1, 31)], "currency": ["CNY"], "amount_minor": [100], "open_minor": [100],
        }
    )  # fmt: skip
    with (
        pytest.raises(IntegrityError, match="fk_invoices_customer_id_customers"),
        transaction(postgres_engine) as conn,
        bulk.deferred_indexes(conn, INVOICES, frame.height),
    ):
        bulk.insert_frame(conn, INVOICES, frame)
    with postgres_engine.connect() as conn:
        assert conn.execute(select(INVOICES.c.id)).all() == []
    assert [key["name"] for key in inspect(postgres_engine).get_foreign_keys("invoices")] == [
        "fk_invoices_customer_id_customers"
    ]
