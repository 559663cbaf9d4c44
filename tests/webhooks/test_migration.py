"""Migration 0013 adds the four webhook tables and takes them away again, on both backends."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from dunmore.store.db import alembic_config, upgrade
from tests.store.model_diff import differences

TABLES = {"webhook_subscriptions", "webhook_subscription_events", "webhook_events", "webhook_deliveries"}


def test_the_webhook_tables_come_and_go_with_their_migration(engine: Engine) -> None:
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
    with engine.begin() as conn:
        config = alembic_config(conn)
        before = ScriptDirectory.from_config(config).get_revision("0013").down_revision  # however chained
        command.downgrade(config, str(before))
    with engine.connect() as conn:
        assert not TABLES & set(inspect(conn).get_table_names())
        assert "audit_log" in inspect(conn).get_table_names()  # earlier tables stay
    assert upgrade(engine)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
        assert differences(conn) == []
