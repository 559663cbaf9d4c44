"""The per-customer summary behind the customer list: `customer_balances`

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 20:05:00

One row per customer and currency with something open (one row with currency "" for a customer
with nothing open): open and overdue amounts, the highest level, and the due dates that bound the
days its overdue amount holds for (see dunmore/ledger/balances.py). Filled here for the latest
committed run's date, or the date of the upgrade when no run was committed (any date is exact:
readers recompute the rows stale on their day).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_balances",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("open_minor", sa.BigInteger(), nullable=False),
        sa.Column("overdue_minor", sa.BigInteger(), nullable=False),
        sa.Column("max_level", sa.Integer(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("last_overdue_due", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_balances_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "currency", name=op.f("pk_customer_balances")),
    )
    op.create_index(
        "ix_customer_balances_order", "customer_balances", ["overdue_minor", "customer_id", "currency"]
    )
    op.create_index("ix_customer_balances_next_due", "customer_balances", ["next_due"])
    op.create_index("ix_customer_balances_last_overdue_due", "customer_balances", ["last_overdue_due"])
    _fill()


_ACCOUNTS = """
INSERT INTO customer_balances
    (customer_id, currency, as_of, open_minor, overdue_minor, max_level, next_due, last_overdue_due)
SELECT customer_id, currency, :day, sum(open_minor),
       sum(CASE WHEN due_date < :day THEN open_minor ELSE 0 END), max(level),
       min(CASE WHEN due_date >= :day THEN due_date END), max(CASE WHEN due_date < :day THEN due_date END)
FROM invoices WHERE open_minor > 0 GROUP BY customer_id, currency
"""
_NOTHING_OPEN = """
INSERT INTO customer_balances
    (customer_id, currency, as_of, open_minor, overdue_minor, max_level, next_due, last_overdue_due)
SELECT id, '', :day, 0, 0, 0, NULL, NULL FROM customers
WHERE NOT EXISTS (SELECT 1 FROM invoices WHERE invoices.customer_id = customers.id AND open_minor > 0)
"""


def _fill() -> None:
    """The summary as dunmore.ledger.balances.refresh computes it, written out so that the migration
    does not change when that code does."""
    conn = op.get_bind()
    latest = conn.execute(sa.text("SELECT max(as_of) FROM runs WHERE status = 'committed'")).scalar()
    if isinstance(latest, str):  # SQLite hands dates back as text to a plain statement
        latest = dt.date.fromisoformat(latest)
    day = sa.bindparam("day", latest or dt.datetime.now(dt.UTC).date(), type_=sa.Date())
    for statement in (_ACCOUNTS, _NOTHING_OPEN):
        conn.execute(sa.text(statement).bindparams(day))


def downgrade() -> None:
    op.drop_index("ix_customer_balances_last_overdue_due", table_name="customer_balances")
    op.drop_index("ix_customer_balances_next_due", table_name="customer_balances")
    op.drop_index("ix_customer_balances_order", table_name="customer_balances")
    op.drop_table("customer_balances")
