"""Access: users, their portfolios, API tokens, the audit log; a portfolio per customer

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 17:40:00

Customers get `portfolio` (default `default`), the unit collectors are scoped by. The audit log's ids
are given by the application (last id + 1 under a lock), not by a sequence, so a gap means a deleted row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "customers", sa.Column("portfolio", sa.String(64), nullable=False, server_default="default")
    )
    op.create_index(op.f("ix_customers_portfolio"), "customers", ["portfolio"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    op.create_table(
        "user_portfolios",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("portfolio", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_portfolios_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "portfolio", name=op.f("pk_user_portfolios")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    live = sa.text("revoked_at IS NULL")
    op.create_index(
        "ix_api_tokens_live_name",
        "api_tokens",
        ["user_id", "name"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object", sa.String(200), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_object", "audit_log", ["object", "id"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor", "id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_api_tokens_live_name", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("user_portfolios")
    op.drop_table("users")
    with op.batch_alter_table("customers") as batch:
        batch.drop_index(batch.f("ix_customers_portfolio"))
        batch.drop_column("portfolio")
