"""The migrations build exactly the tables the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from dunmore.store.schema import metadata


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_a_growing_dispute_is_stamped_by_the_database(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (id, external_id, name, language, timezone, country, tags, on_hold)"
                " VALUES (1, 'C1', 'A', 'en', 'UTC', 'CN', '', false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO invoices (id, external_id, customer_id, issue_date, due_date, currency,"
                " amount_minor, open_minor)"
                " VALUES (1, 'I1', 1, '2026-01-01', '2026-02-01', 'CNY', 1000, 1000)"
            )
        )
        conn.execute(text("UPDATE invoices SET open_minor = 900"))
        untouched = conn.execute(text("SELECT disputed_at FROM invoices")).scalar()
        conn.execute(text("UPDATE invoices SET disputed_minor = 300"))
        stamped = conn.execute(text("SELECT disputed_at FROM invoices")).scalar()
    assert untouched is None
    assert stamped is not None
