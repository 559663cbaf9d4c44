"""The run that decided a promise to pay, so that reverting the run puts the promise back to pending

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 23:00:00

One nullable column of `promises`; nothing existing changes meaning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("promises") as batch:
        batch.add_column(sa.Column("decided_run_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_promises_decided_run_id"), ["decided_run_id"])


def downgrade() -> None:
    with op.batch_alter_table("promises") as batch:
        batch.drop_index(batch.f("ix_promises_decided_run_id"))
        batch.drop_column("decided_run_id")
