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
        *[sa.Column(f"aged_{n}_minor", sa.BigInteger(), nullable=False) for n in range(1, len(_ENTRIES) + 1)],
        sa.Column("next_move", sa.Date(), nullable=True),
        sa.Column("last_move", sa.Date(), nullable=True),
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
    op.create_index("ix_customer_balances_next_move", "customer_balances", ["next_move"])
    op.create_index("ix_customer_balances_last_move", "customer_balances", ["last_move"])
    aged = [f"aged_{n}_minor" for n in range(1, len(_ENTRIES) + 1)]
    op.create_index("ix_customer_balances_aging", "customer_balances", ["currency", "open_minor", *aged])
    _fill()


# The days after its due date on which an item enters each bucket after "not due" (1–30, 31–60,
# 61–90, 91–180, over 180 days past due: dunmore.domain.aging.DEFAULT_BOUNDS).
_ENTRIES = (1, 31, 61, 91, 181)
_COLUMNS = """customer_id, currency, as_of, open_minor, overdue_minor, max_level, next_due, last_overdue_due,
    aged_1_minor, aged_2_minor, aged_3_minor, aged_4_minor, aged_5_minor, next_move, last_move"""
_ACCOUNTS = """
INSERT INTO customer_balances ({columns})
SELECT customer_id, currency, :day, sum(open_minor),
       sum(CASE WHEN due_date < :day THEN open_minor ELSE 0 END), max(level),
       min(CASE WHEN due_date >= :day THEN due_date END), max(CASE WHEN due_date < :day THEN due_date END),
       {aged}, min(CASE {next_move} END), max(CASE {last_move} END)
FROM invoices WHERE open_minor > 0 GROUP BY customer_id, currency
"""
_NOTHING_OPEN = """
INSERT INTO customer_balances ({columns})
SELECT id, '', :day, 0, 0, 0, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL FROM customers
WHERE NOT EXISTS (SELECT 1 FROM invoices WHERE invoices.customer_id = customers.id AND open_minor > 0)
"""


def _statements(sqlite: bool) -> list[str]:
    """The two INSERTs, with `:before_N` the fill date minus N days and dates plus days spelled for
    the backend."""

    def plus(days: int) -> str:
        return f"date(due_date, '+{days} days')" if sqlite else f"(due_date + {days})"

    bounds = [*_ENTRIES[1:], None]
    aged = ", ".join(
        f"sum(CASE WHEN due_date <= :before_{low}"
        + ("" if following is None else f" AND due_date > :before_{following}")
        + " THEN open_minor ELSE 0 END)"
        for low, following in zip(_ENTRIES, bounds, strict=True)
    )
    next_move = " ".join(f"WHEN due_date > :before_{n} THEN {plus(n)}" for n in _ENTRIES)
    last_move = " ".join(f"WHEN due_date <= :before_{n} THEN {plus(n)}" for n in reversed(_ENTRIES))
    accounts = _ACCOUNTS.format(columns=_COLUMNS, aged=aged, next_move=next_move, last_move=last_move)
    return [accounts, _NOTHING_OPEN.format(columns=_COLUMNS)]


def _fill() -> None:
    """The summary as dunmore.ledger.balances.refresh computes it, written out so that the migration
    does not change when that code does."""
    conn = op.get_bind()
    latest = conn.execute(sa.text("SELECT max(as_of) FROM runs WHERE status = 'committed'")).scalar()
    if isinstance(latest, str):  # SQLite hands dates back as text to a plain statement
        latest = dt.date.fromisoformat(latest)
    today = latest or dt.datetime.now(dt.UTC).date()
    days = [sa.bindparam("day", today, type_=sa.Date())]
    days += [sa.bindparam(f"before_{n}", today - dt.timedelta(days=n), type_=sa.Date()) for n in _ENTRIES]
    for statement in _statements(conn.dialect.name == "sqlite"):
        wanted = [day for day in days if f":{day.key}" in statement]
        conn.execute(sa.text(statement).bindparams(*wanted))


def downgrade() -> None:
    op.drop_index("ix_customer_balances_aging", table_name="customer_balances")
    op.drop_index("ix_customer_balances_last_move", table_name="customer_balances")
    op.drop_index("ix_customer_balances_next_move", table_name="customer_balances")
    op.drop_index("ix_customer_balances_last_overdue_due", table_name="customer_balances")
    op.drop_index("ix_customer_balances_next_due", table_name="customer_balances")
    op.drop_index("ix_customer_balances_order", table_name="customer_balances")
    op.drop_table("customer_balances")
