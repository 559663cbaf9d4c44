"""What tells the migrated schema from the models' (Alembic's comparison), as `dunmore db upgrade` sees it."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from dunmore.store.partitions import include_name
from dunmore.store.schema import metadata


def differences(conn: Connection) -> list[Any]:
    """Every difference; a run's partitions are rows of their table, not tables (`include_name`)."""
    return list(
        compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), metadata)
    )
