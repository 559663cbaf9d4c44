"""Aging reads a covering index; allocations are found by date

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:06:40.492175
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_due_date"))
        batch_op.create_index(
            "ix_invoices_aging", ["currency", "due_date", "open_minor", "issue_date"], unique=False
        )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocations_date"), ["date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_date"))
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_aging")
        batch_op.create_index(batch_op.f("ix_invoices_due_date"), ["due_date"], unique=False)
