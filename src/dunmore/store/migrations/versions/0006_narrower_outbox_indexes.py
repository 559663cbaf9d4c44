"""Narrower notice and outbox indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 07:50:00

A run writes a notice row per notice and a delivery row per channel, a few hundred thousand each on
a large ledger's heavy day, and every index is written with every row. Three of them served no
query: `deliveries.status` repeats the leading column of `ix_deliveries_due`, which answers every
query by status; `notices.status` and `deliveries.print_batch` are only ever looked up for a few
rows (the notices waiting for approval, the deliveries of one print batch), so they become partial.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PRINTED = sa.text("print_batch IS NOT NULL")
PENDING = sa.text("status = 'pending_approval'")


def _where(condition: sa.TextClause) -> dict[str, Any]:
    return {"sqlite_where": condition, "postgresql_where": condition}


def upgrade() -> None:
    op.drop_index("ix_deliveries_status", table_name="deliveries")
    op.drop_index("ix_deliveries_print_batch", table_name="deliveries")
    op.create_index("ix_deliveries_print_batch", "deliveries", ["print_batch"], **_where(PRINTED))
    op.drop_index("ix_notices_status", table_name="notices")
    op.create_index("ix_notices_pending", "notices", ["status"], **_where(PENDING))


def downgrade() -> None:
    op.drop_index("ix_notices_pending", table_name="notices")
    op.create_index("ix_notices_status", "notices", ["status"])
    op.drop_index("ix_deliveries_print_batch", table_name="deliveries")
    op.create_index("ix_deliveries_print_batch", "deliveries", ["print_batch"])
    op.create_index("ix_deliveries_status", "deliveries", ["status"])
