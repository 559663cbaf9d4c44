"""Credit grades: scorecard versions, grade history, grade overrides and credit holds

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 01:30:00

Four new tables (see dunmore.credit.grades_models); nothing existing changes meaning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def _customer(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["customer_id"], ["customers.id"], name=op.f(f"fk_{table}_customer_id_customers"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "scorecard_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_scorecard_versions_version")),
    )
    op.create_table(
        "grade_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("computed", sa.String(length=1), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("previous", sa.String(length=8), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("factors", sa.Text(), nullable=False),
        sa.Column("days_beyond_terms", sa.Integer(), nullable=False),
        sa.Column("broken_promises", sa.Integer(), nullable=False),
        sa.Column("scorecard_version", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        _customer("grade_history"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_history")),
        sa.UniqueConstraint("customer_id", "as_of", name="uq_grade_history_customer_as_of"),
    )
    op.create_index("ix_grade_history_as_of", "grade_history", ["as_of"], unique=False)
    op.create_table(
        "grade_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(length=100), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        _customer("grade_overrides"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_overrides")),
    )
    op.create_index(op.f("ix_grade_overrides_customer_id"), "grade_overrides", ["customer_id"], unique=False)
    op.create_table(
        "credit_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(length=100), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(length=500), nullable=True),
        _customer("credit_holds"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_holds")),
    )
    op.create_index(op.f("ix_credit_holds_customer_id"), "credit_holds", ["customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_holds_customer_id"), table_name="credit_holds")
    op.drop_table("credit_holds")
    op.drop_index(op.f("ix_grade_overrides_customer_id"), table_name="grade_overrides")
    op.drop_table("grade_overrides")
    op.drop_index("ix_grade_history_as_of", table_name="grade_history")
    op.drop_table("grade_history")
    op.drop_table("scorecard_versions")
