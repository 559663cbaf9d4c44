"""Alembic environment: runs on the connection Dunmore hands over (see dunmore.store.db)."""

from __future__ import annotations

from alembic import context

from dunmore.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic` run by hand
    raise SystemExit("run migrations through `dunmore db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
