"""Credit holds name the audit row of the action that set them

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 08:00:00

`credit_holds.audit_id`: the audit row of the action that set the hold. A grading is one action: its
one `grades.compute` row carries the counts and the SHA-256 of the holds it set, and each of those
holds names that row, instead of one `customer.credit_hold` audit row per hold (docs/credit.md).
Holds set before stay null here: each has its own audit row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audit_id", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_credit_holds_audit_id_audit_log"), "audit_log", ["audit_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_credit_holds_audit_id"), ["audit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_holds_audit_id"))
        batch_op.drop_constraint(batch_op.f("fk_credit_holds_audit_id_audit_log"), type_="foreignkey")
        batch_op.drop_column("audit_id")
