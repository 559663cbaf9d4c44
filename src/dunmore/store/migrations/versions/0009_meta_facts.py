"""Facts about the database itself (which one the demo built)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 17:30:00

`demo --reset` and the worker's refusal to send as the demo creditor both need to know whether a
database is the demo's own: the demo marks it in `meta`, one row per fact.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )


def downgrade() -> None:
    op.drop_table("meta")
