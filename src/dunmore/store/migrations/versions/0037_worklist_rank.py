"""The worklist's ranking key in the customer summary

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07 08:00:00

`customer_balances.expected_minor`: the account's overdue amount times the chance of recovering it
at its age and the customer's grade (the worklist's value order, `workspace.priority`), null with
nothing overdue, with an index per portfolio and per owner that lists the accounts in that order, so
that a collector's worklist reads the top of an index instead of ranking the whole portfolio. The
day the newest overdue item passes a year past due now counts as a move of the row (`next_move`,
`last_move`), as the key changes that day. Both filled from the stored columns, written out here so
that the migration does not change when `ledger.balances` does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

# The recovery table in whole percents (dunmore.workspace.priority.RECOVERY): 1–30, 31–60, 61–90,
# 91–180, 181–365 and over 365 days past due.
_PERCENT = {
    "A": (97, 93, 88, 78, 60, 35),
    "B": (94, 88, 80, 68, 48, 25),
    "C": (90, 80, 70, 55, 35, 15),
    "D": (80, 65, 50, 35, 18, 5),
    "none": (90, 82, 73, 57, 35, 18),
}
_SPACES = " \t\n\r\x0b\x0c"


def _expected(mark: str) -> str:
    over_year = f"({mark} <= as_of)"

    def value(row: tuple[int, ...]) -> str:
        last = f"CASE WHEN {over_year} THEN {row[5]} ELSE {row[4]} END"
        terms = " + ".join(f"COALESCE(aged_{n}_minor, 0) * {p}" for n, p in enumerate(row[:4], start=1))
        return f"(({terms} + COALESCE(aged_5_minor, 0) * {last} + 50) / 100)"

    grade = "(SELECT grade FROM customers WHERE customers.id = customer_balances.customer_id)"
    letter = f"substr(ltrim(COALESCE({grade}, ''), :spaces), 1, 1)"
    graded = " ".join(
        f"WHEN {letter} IN ('{g}', '{g.lower()}') THEN {value(row)}"
        for g, row in _PERCENT.items()
        if g != "none"
    )
    plain = value(_PERCENT["none"])
    return f"CASE WHEN overdue_minor > 0 AND currency <> '' THEN CASE {graded} ELSE {plain} END END"


def upgrade() -> None:
    with op.batch_alter_table("customer_balances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expected_minor", sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    mark = "date(last_overdue_due, '+366 days')" if sqlite else "(last_overdue_due + 366)"
    conn.execute(
        sa.text(
            f"UPDATE customer_balances SET "  # noqa: S608 (no input: the statement is fixed)
            f"next_move = CASE WHEN {mark} > as_of AND (next_move IS NULL OR {mark} < next_move)"
            f" THEN {mark} ELSE next_move END, "
            f"last_move = CASE WHEN {mark} <= as_of AND (last_move IS NULL OR {mark} > last_move)"
            f" THEN {mark} ELSE last_move END, "
            f"expected_minor = {_expected(mark)}"
        ).bindparams(spaces=_SPACES)
    )
    for scope in ("portfolio", "owner"):
        op.create_index(
            f"ix_customer_balances_rank_{scope}",
            "customer_balances",
            [scope, "currency", sa.text("expected_minor DESC"), "customer_id"],
        )


def downgrade() -> None:
    op.drop_index("ix_customer_balances_rank_owner", table_name="customer_balances")
    op.drop_index("ix_customer_balances_rank_portfolio", table_name="customer_balances")
    with op.batch_alter_table("customer_balances", schema=None) as batch_op:
        batch_op.drop_column("expected_minor")
