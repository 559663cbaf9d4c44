"""Instalment reminders to customers: the notices that announce an instalment of a plan

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 02:30:00

`instalment_notices` ties a notice of kind `instalment` to the plan instalment it announces,
before its date or on it (unique per plan, number and moment). Additive: a new table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instalment_notices",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("moment", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("remaining_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_instalment_notices_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_instalment_notices_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_instalment_notices_run_id_runs")),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_instalment_notices")),
        sa.UniqueConstraint("plan_id", "number", "moment", name=op.f("uq_instalment_notices_plan_id")),
    )
    with op.batch_alter_table("instalment_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instalment_notices_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("instalment_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instalment_notices_run_id"))
    op.drop_table("instalment_notices")
