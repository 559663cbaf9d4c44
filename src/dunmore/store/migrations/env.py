"""Alembic environment: runs on the connection Dunmore hands over (see dunmore.store.db)."""

from __future__ import annotations

from alembic import context

from dunmore.store.partitions import include_name
from dunmore.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic` run by hand
    raise SystemExit("run migrations through `dunmore db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,  # a run's partitions are rows of their table, not tables
)
with context.begin_transaction():
    context.run_migrations()
