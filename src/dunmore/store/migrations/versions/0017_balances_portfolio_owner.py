"""The customer's portfolio and owner beside its summary rows: `customer_balances.portfolio`, `.owner`

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 22:40:00

A collector's dashboard sums one portfolio's rows of `customer_balances`; with the portfolio (and the
owner, lower-cased, for sales users) on the rows themselves, the scoping rule applies to them without
a join to `customers`, and the new covering index serves the sum. Filled here from `customers`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_AGED = [f"aged_{n}_minor" for n in range(1, 6)]
_FILL = """
UPDATE customer_balances SET
    portfolio = (SELECT portfolio FROM customers WHERE customers.id = customer_balances.customer_id),
    owner = (SELECT lower(owner) FROM customers WHERE customers.id = customer_balances.customer_id)
"""


def upgrade() -> None:
    with op.batch_alter_table("customer_balances") as batch:
        batch.add_column(
            sa.Column("portfolio", sa.String(length=64), server_default="default", nullable=False)
        )
        batch.add_column(sa.Column("owner", sa.String(length=100), nullable=True))
    op.execute(_FILL)
    op.create_index(
        "ix_customer_balances_portfolio", "customer_balances", ["portfolio", "currency", "open_minor", *_AGED]
    )
    op.create_index("ix_customer_balances_owner", "customer_balances", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_customer_balances_owner", table_name="customer_balances")
    op.drop_index("ix_customer_balances_portfolio", table_name="customer_balances")
    with op.batch_alter_table("customer_balances") as batch:
        batch.drop_column("owner")
        batch.drop_column("portfolio")
