"""Staff mail and the calendar feed: a user's e-mail address and alert-mail preference, the outbox of
staff e-mails, and private calendar feed tokens

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 22:45:00

Two nullable/defaulted columns of `users` and two new tables (see dunmore.workspace.mail_models);
nothing existing changes meaning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(
            sa.Column("alert_mail", sa.String(length=10), server_default="none", nullable=False)
        )
    op.create_table(
        "alert_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_mails")),
        sa.UniqueConstraint("key", name=op.f("uq_alert_mails_key")),
    )
    with op.batch_alter_table("alert_mails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_mails_status"), ["status"], unique=False)
    op.create_table(
        "calendar_tokens",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_calendar_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_calendar_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_calendar_tokens_token_sha256")),
    )


def downgrade() -> None:
    op.drop_table("calendar_tokens")
    with op.batch_alter_table("alert_mails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_mails_status"))
    op.drop_table("alert_mails")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("alert_mail")
        batch_op.drop_column("email")
