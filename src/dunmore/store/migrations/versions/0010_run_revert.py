"""Runs can be reverted: their status, and the levels and group states they replaced

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 18:00:00

`dunmore run revert RUN` undoes the latest run whose deliveries have not gone out: it needs the
levels and group states the run replaced (kept when it applied them) and leaves the run's record
with status `reverted` and the moment it was reverted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("status", sa.String(20), server_default="committed", nullable=False))
        batch.add_column(sa.Column("reverted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "run_levels_before",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("level_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_levels_before_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_run_levels_before_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "invoice_id", name=op.f("pk_run_levels_before")),
    )  # fmt: skip
    op.create_table(
        "run_groups_before",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("existed", sa.Boolean(), nullable=False),
        sa.Column("last_level_notice", sa.Date(), nullable=True),
        sa.Column("fee_levels", sa.String(200), nullable=False),
        sa.Column("episode_open", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_groups_before_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_run_groups_before_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("run_id", "customer_id", "currency", name=op.f("pk_run_groups_before")),
    )


def downgrade() -> None:
    op.drop_table("run_groups_before")
    op.drop_table("run_levels_before")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("reverted_at")
        batch.drop_column("status")
