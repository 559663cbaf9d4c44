"""Deliveries found by (notice, status): the notice's index made covering for the status

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 01:30:00

`ix_deliveries_notice_id` becomes `ix_deliveries_notice_status` (notice_id, status): it serves every
lookup by notice as before, and counting the waiting deliveries of a portfolio's notices (the
collector's dashboard) reads the index alone instead of every delivery row. The number of indexes is
unchanged; a status change now also moves the delivery's entry in this index.
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_notice_status", ["notice_id", "status"], unique=False)
        batch_op.drop_index("ix_deliveries_notice_id")


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_notice_id", ["notice_id"], unique=False)
        batch_op.drop_index("ix_deliveries_notice_status")
