"""Delivery: outbox columns, delivery events, tasks, cease-contact, dispute timestamps

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _outbox_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("recipient", sa.String(length=500), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("provider_status", sa.String(length=30), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("print_batch", sa.String(length=50), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )


# The disputed amount's growth is stamped by the database, so every path that changes it (imports,
# the dispute command, later the API) is seen by the delivery guard without each having to remember.
_SQLITE_TRIGGER = """
CREATE TRIGGER invoices_disputed_at AFTER UPDATE OF disputed_minor ON invoices
WHEN NEW.disputed_minor > OLD.disputed_minor
BEGIN
    UPDATE invoices SET disputed_at = strftime('%Y-%m-%d %H:%M:%f000', 'now') WHERE id = NEW.id;
END
"""
_POSTGRES_FUNCTION = """
CREATE FUNCTION invoices_disputed_at() RETURNS trigger AS $$
BEGIN
    NEW.disputed_at := clock_timestamp();
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
_POSTGRES_TRIGGER = """
CREATE TRIGGER invoices_disputed_at BEFORE UPDATE OF disputed_minor ON invoices
FOR EACH ROW WHEN (NEW.disputed_minor > OLD.disputed_minor) EXECUTE FUNCTION invoices_disputed_at()
"""


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        for column in _outbox_columns():
            batch_op.add_column(column)
        batch_op.create_index("ix_deliveries_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_print_batch"), ["print_batch"])
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cease_contact", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "delivery_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_events_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_events")),
    )
    op.create_index(op.f("ix_delivery_events_delivery_id"), "delivery_events", ["delivery_id"], unique=False)
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_tasks_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_tasks_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_tasks_notice_id_notices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_tasks_delivery_id")),
    )
    op.create_index(op.f("ix_tasks_customer_id"), "tasks", ["customer_id"], unique=False)
    op.create_index(op.f("ix_tasks_notice_id"), "tasks", ["notice_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        op.execute(_POSTGRES_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER invoices_disputed_at ON invoices")
        op.execute("DROP FUNCTION invoices_disputed_at()")
    else:
        op.execute("DROP TRIGGER invoices_disputed_at")
    op.drop_table("tasks")
    op.drop_table("delivery_events")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("disputed_at")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("cease_contact")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_print_batch"))
        batch_op.drop_index("ix_deliveries_due")
        for column in reversed(_outbox_columns()):
            batch_op.drop_column(column.name)
