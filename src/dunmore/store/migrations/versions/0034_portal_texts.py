"""The portal's text messages: one-time codes by SMS

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 05:10:00

One new table (see dunmore.portal.models: portal_texts); nothing existing changes meaning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_portal_texts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_texts")),
        sa.UniqueConstraint("key", name=op.f("uq_portal_texts_key")),
    )
    with op.batch_alter_table("portal_texts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_texts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_texts_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_texts_status"))
        batch_op.drop_index(batch_op.f("ix_portal_texts_customer_id"))
    op.drop_table("portal_texts")
