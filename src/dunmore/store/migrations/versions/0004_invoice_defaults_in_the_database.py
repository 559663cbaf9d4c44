"""Invoice defaults applied by the database

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 04:31:19.372168
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Defaults the database itself applies, so bulk inserts may leave out columns that hold them.
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.alter_column(
            "disputed_minor", existing_type=sa.BigInteger(), existing_nullable=False, server_default="0"
        )
        batch_op.alter_column(
            "on_hold", existing_type=sa.Boolean(), existing_nullable=False, server_default=sa.false()
        )


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.alter_column(
            "disputed_minor", existing_type=sa.BigInteger(), existing_nullable=False, server_default=None
        )
        batch_op.alter_column(
            "on_hold", existing_type=sa.Boolean(), existing_nullable=False, server_default=None
        )
