"""An item's dunning level in a narrow table of its own, not in the wide invoice row

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 19:50:00

A heavy run raises the level of most open items (650k of 1M on the benchmark's first day). On
PostgreSQL an UPDATE writes a new version of the whole row: raising levels in `invoices` (18 columns,
four indexes) cost 25–36 s of a 50–63 s run, even with room left on each page for HOT updates
(migration 0008). `item_levels` holds (invoice, level, level date) for the items that ever rose
above level 0 — no row means level 0 — so a run writes about 40 bytes an item instead of a new
invoice row: ≈2.5 s for the same 650k items. The fill factor of 0008 is undone (the few rows the run
still updates in place, interest charged, do not need it); `item_levels` keeps a fifth of each page
free instead, for the next rise of the same items.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_levels",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("level_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_item_levels_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_item_levels")),
    )  # fmt: skip
    op.execute(
        "INSERT INTO item_levels (invoice_id, level, level_date) "
        "SELECT id, level, level_date FROM invoices WHERE level > 0"
    )
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch rebuild of `invoices` would lose its trigger.
    op.drop_column("invoices", "level_date")
    op.drop_column("invoices", "level")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE invoices RESET (fillfactor)")
        op.execute("ALTER TABLE item_levels SET (fillfactor = 80)")


def downgrade() -> None:
    op.add_column("invoices", sa.Column("level", sa.Integer(), server_default="0", nullable=False))
    op.add_column("invoices", sa.Column("level_date", sa.Date(), nullable=True))
    op.execute(
        "UPDATE invoices SET level = (SELECT l.level FROM item_levels l WHERE l.invoice_id = invoices.id), "
        "level_date = (SELECT l.level_date FROM item_levels l WHERE l.invoice_id = invoices.id) "
        "WHERE id IN (SELECT invoice_id FROM item_levels)"
    )
    op.drop_table("item_levels")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE invoices SET (fillfactor = 80)")
