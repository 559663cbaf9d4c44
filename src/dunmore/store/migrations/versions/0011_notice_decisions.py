"""Who decided a notice and why; who reopened a rejected one

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:40:00

A rejection is a decision that sticks: the run holds the group back at the rejected step until its
dunned amount grows or a person reopens it, and `explain` says who rejected it, when and why. The
notice keeps the decision (`decided_by`, `decision_reason`) and the reopening (`reopened_at`,
`reopened_by`). Nullable columns: existing notices keep NULL, and old rejections (without a reason)
stand like new ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("decided_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reopened_by", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        for name in ("reopened_by", "reopened_at", "decision_reason", "decided_by"):
            batch.drop_column(name)
