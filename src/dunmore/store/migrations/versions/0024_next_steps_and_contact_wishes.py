"""The next step follows the answer: the steps runs took, the delivery a step asked for, and each
contact person's do-not-call / do-not-email wishes

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 01:30:00

Additive: two defaulted columns of `contacts`, one nullable column of `deliveries`, one new table
(see dunmore.run.next_step_models); nothing existing changes meaning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("do_not_call", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(
            sa.Column("do_not_email", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_step", sa.String(length=30), nullable=True))
    op.create_table(
        "next_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("trigger_on", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("pause_until", sa.Date(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_next_steps_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_next_steps_delivery_id_deliveries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_next_steps_notice_id_notices"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_next_steps_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_next_steps")),
    )
    with op.batch_alter_table("next_steps", schema=None) as batch_op:
        batch_op.create_index("ix_next_steps_group", ["customer_id", "currency"], unique=False)
        batch_op.create_index(batch_op.f("ix_next_steps_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("next_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_next_steps_run_id"))
        batch_op.drop_index("ix_next_steps_group")
    op.drop_table("next_steps")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("next_step")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("do_not_email")
        batch_op.drop_column("do_not_call")
