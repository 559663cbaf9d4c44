"""The migrations build exactly the tables the models describe, on both backends."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect, text

from dunmore.store.db import alembic_config, upgrade
from tests.store.model_diff import differences


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        assert differences(conn) == []


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


def test_notice_items_keep_their_rows_when_rekeyed_by_notice_and_item(engine: Engine) -> None:
    """Migration 0007 rebuilds notice_items keyed by (notice, item): the rows a database at 0006
    holds survive it (the test goes back to 0006, through 0008's and 0007's downgrades, to make them)."""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
    with engine.begin() as conn:
        for statement in _ONE_NOTICE_OF_TWO_ITEMS:
            conn.execute(text(statement))
    assert upgrade(engine)  # from 0006 to the newest revision
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT notice_id, item_id, kind, level, open_minor FROM notice_items ORDER BY item_id")
        ).all()
        key = inspect(conn).get_pk_constraint("notice_items")["constrained_columns"]
    assert [tuple(row) for row in rows] == [(1, 1, "invoice", 1, 1000), (1, 2, "invoice", 1, 500)]
    assert key == ["notice_id", "item_id"]


_ONE_NOTICE_OF_TWO_ITEMS = [
    "INSERT INTO customers (id, external_id, name, language, timezone, country, tags, on_hold)"
    " VALUES (1, 'C1', 'A', 'en', 'UTC', 'CN', '', false)",
    "INSERT INTO invoices (id, external_id, customer_id, issue_date, due_date, currency, amount_minor,"
    " open_minor) VALUES (1, 'I1', 1, '2026-01-01', '2026-02-01', 'CNY', 1000, 1000),"
    " (2, 'I2', 1, '2026-01-02', '2026-02-02', 'CNY', 500, 500)",
    "INSERT INTO policy_versions (id, version, fingerprint, source, text, loaded_at)"
    " VALUES (1, 1, 'f', 'dunning.yaml', 'policies: {}', '2026-03-01 00:00:00')",
    "INSERT INTO runs (id, sequence, as_of, policy_version_id, committed_at, notices)"
    " VALUES (1, 1, '2026-03-01', 1, '2026-03-01 00:00:00', 1)",
    "INSERT INTO notices (id, run_id, as_of, customer_id, currency, kind, step, policy, level, status)"
    " VALUES (1, 1, '2026-03-01', 1, 'CNY', 'level', 'first-overdue', 'standard', 1, 'committed')",
    "INSERT INTO notice_items (id, notice_id, item_id, kind, level, days_past_due, open_minor,"
    " interest_minor) VALUES (7, 1, 1, 'invoice', 1, 28, 1000, 0), (8, 1, 2, 'invoice', 1, 27, 500, 0)",
]


def test_the_ranking_keys_move_to_their_own_table_and_back(engine: Engine) -> None:
    """Migration 0039 moves the keys stored in the summary rows (0037's `expected_minor`) to
    `worklist_ranks`, a row per key with the row's portfolio and owner; its downgrade puts them back."""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0038")
    with engine.begin() as conn:
        for statement in _TWO_SUMMARY_ROWS_AND_ONE_KEY:
            conn.execute(text(statement))
    assert upgrade(engine)
    with engine.connect() as conn:
        ranks = conn.execute(
            text("SELECT customer_id, currency, portfolio, owner, expected_minor FROM worklist_ranks")
        ).all()
        columns = {column["name"] for column in inspect(conn).get_columns("customer_balances")}
    assert [tuple(row) for row in ranks] == [(1, "CNY", "east", "wang", 970)]
    assert "expected_minor" not in columns
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0038")
    with engine.connect() as conn:
        keys = conn.execute(
            text("SELECT customer_id, currency, expected_minor FROM customer_balances ORDER BY customer_id")
        ).all()
        tables = inspect(conn).get_table_names()
    assert [tuple(row) for row in keys] == [(1, "CNY", 970), (2, "USD", None)]
    assert "worklist_ranks" not in tables
    assert upgrade(engine)


_TWO_SUMMARY_ROWS_AND_ONE_KEY = [
    "INSERT INTO customers (id, external_id, name, language, timezone, country, tags, on_hold, portfolio)"
    " VALUES (1, 'C1', 'A', 'en', 'UTC', 'CN', '', false, 'east'),"
    " (2, 'C2', 'B', 'en', 'UTC', 'CN', '', false, 'default')",
    "INSERT INTO customer_balances (customer_id, currency, as_of, open_minor, overdue_minor, max_level,"
    " aged_1_minor, aged_2_minor, aged_3_minor, aged_4_minor, aged_5_minor, portfolio, owner, expected_minor)"
    " VALUES (1, 'CNY', '2026-03-01', 1000, 1000, 0, 1000, 0, 0, 0, 0, 'east', 'wang', 970),"
    " (2, 'USD', '2026-03-01', 500, 0, 0, 0, 0, 0, 0, 0, 'default', NULL, NULL)",
]


def _fillfactors(engine: Engine) -> dict[str, list[str] | None]:
    """The storage options of the two tables a grading updates (PostgreSQL; SQLite has none)."""
    if engine.dialect.name != "postgresql":
        return {}
    query = text("SELECT reloptions FROM pg_class WHERE oid = CAST(:name AS regclass)")
    with engine.connect() as conn:
        return {name: conn.execute(query, {"name": name}).scalar_one() for name in _TABLES}


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        customers = conn.execute(text("SELECT id, external_id, grade FROM customers ORDER BY id")).all()
        ranks = conn.execute(text("SELECT customer_id, currency, expected_minor FROM worklist_ranks")).all()
    return [tuple(row) for row in [*customers, *ranks]]


def test_customers_and_ranking_keys_get_room_for_a_gradings_updates_and_back(engine: Engine) -> None:
    """Migration 0040 leaves half of each page of `customers` and `worklist_ranks` free on PostgreSQL
    (the rows rewritten as they were), so that a grading's UPDATEs are heap-only; its downgrade takes
    the setting back. On SQLite, which has no such setting, both ways leave the tables as they are."""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0039")
    with engine.begin() as conn:
        for statement in _TWO_CUSTOMERS_AND_ONE_KEY:
            conn.execute(text(statement))
    rows = _rows(engine)
    assert rows == [(1, "C1", "A"), (2, "C2", None), (1, "CNY", 970)]
    assert all(options is None for options in _fillfactors(engine).values())
    assert upgrade(engine)
    assert _rows(engine) == rows
    if engine.dialect.name == "postgresql":
        assert _fillfactors(engine) == {"customers": ["fillfactor=50"], "worklist_ranks": ["fillfactor=50"]}
        with engine.connect() as conn:  # rewritten in key order, and not left marked as clustered
            marked = "SELECT count(*) FROM pg_index WHERE indisclustered AND indrelid = CAST(:t AS regclass)"
            assert [conn.execute(text(marked), {"t": t}).scalar_one() for t in _TABLES] == [0, 0]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0039")
    assert _rows(engine) == rows
    assert all(options is None for options in _fillfactors(engine).values())
    assert upgrade(engine)


_TABLES = ("customers", "worklist_ranks")
_TWO_CUSTOMERS_AND_ONE_KEY = [
    "INSERT INTO customers (id, external_id, name, language, timezone, country, grade, tags, on_hold,"
    " portfolio) VALUES (1, 'C1', 'A', 'en', 'UTC', 'CN', 'A', '', false, 'east'),"
    " (2, 'C2', 'B', 'en', 'UTC', 'CN', NULL, '', false, 'default')",
    "INSERT INTO worklist_ranks (customer_id, currency, portfolio, owner, expected_minor)"
    " VALUES (1, 'CNY', 'east', 'wang', 970)",
]
