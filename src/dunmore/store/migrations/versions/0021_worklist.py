"""The worklist reads the open tasks by due date

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-06 22:45:00

The worklist and `dunmore tasks escalate` look for the open tasks (a few among every task ever
done); a partial index on the open ones, by due date, finds them without reading the done ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    where = sa.text("status = 'open'")
    op.create_index("ix_tasks_open_due_on", "tasks", ["due_on"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_tasks_open_due_on", table_name="tasks")
