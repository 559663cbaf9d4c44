"""Notice items keyed by (notice, item)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 08:20:00

A notice lists an item once, so (notice_id, item_id) is the natural key of `notice_items`. Keying
the table by it drops the surrogate id and the separate notice index: a run writes one B-tree less
per listed item (800k on the benchmark's heavy day), and a notice's items are read from one place.
On SQLite the table is rebuilt WITHOUT ROWID, so the rows themselves are stored in key order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table(
        "notice_items", recreate="auto", table_kwargs={"sqlite_with_rowid": False}
    ) as batch_op:
        batch_op.drop_index("ix_notice_items_notice_id")
        batch_op.drop_constraint("pk_notice_items", type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_notice_items", ["notice_id", "item_id"])


def downgrade() -> None:
    with op.batch_alter_table(
        "notice_items", recreate="auto", table_kwargs={"sqlite_with_rowid": True}
    ) as batch_op:
        batch_op.drop_constraint("pk_notice_items", type_="primary")
        batch_op.add_column(sa.Column("id", sa.Integer(), sa.Identity(), nullable=False))
        batch_op.create_primary_key("pk_notice_items", ["id"])
        batch_op.create_index("ix_notice_items_notice_id", ["notice_id"])
