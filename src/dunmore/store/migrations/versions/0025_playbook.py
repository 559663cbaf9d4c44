"""The call playbook: managers' answers per overdue reason and language

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 01:30:00

One new table (see dunmore.workspace.playbook_models); nothing existing changes meaning. The shipped
answers live in the code and its catalogs, so an empty table is a whole playbook.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "playbook_answers",
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("edited_by", sa.String(length=100), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reason", "language", name=op.f("pk_playbook_answers")),
    )


def downgrade() -> None:
    op.drop_table("playbook_answers")
