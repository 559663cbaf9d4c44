"""Waivers agreed with an instalment plan

Revision ID: 0036
Revises: 0034
Create Date: 2026-12-07 05:00:00

`waivers.plan_id` names the plan a waiver was asked with (null: a waiver on its own); such a waiver
is approved or rejected with its plan (`workspace.plan_waivers`). A plan waiting for that approval
has the status `waiting`, a word the existing column holds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("waivers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_waivers_plan_id_plans"), "plans", ["plan_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_waivers_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("waivers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waivers_plan_id"))
        batch_op.drop_constraint(batch_op.f("fk_waivers_plan_id_plans"), type_="foreignkey")
        batch_op.drop_column("plan_id")
