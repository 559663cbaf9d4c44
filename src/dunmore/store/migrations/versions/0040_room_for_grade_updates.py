"""Room in the pages of `customers` and `worklist_ranks` for a grading's updates (PostgreSQL)

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 13:00:00

A grading sets the grade of every customer whose grade changed and re-ranks their accounts in the
worklist: a first grading of a ledger, all of them in one transaction. On PostgreSQL an UPDATE whose
new row version fits in the same page, and changes no indexed column, is a heap-only tuple (HOT)
update: no new entry in any index. In pages filled to the brim (the default `fillfactor` of 100)
every new version went to another page, with an entry in each index: `customers` has three.

`fillfactor` 50 leaves half of each page free, so that every row of a page can have one new version
beside it (the old version is still live until the transaction commits, so a page whose every
customer changes grade needs room for twice its rows). The grade has no index, and a mass re-rank
drops the two rank indexes of `worklist_ranks` before its UPDATE (`balances._ranks_rewritten`), so
both UPDATEs are HOT; on the 1M-item ledger, 185,042 grades in one statement (`psql`, load 6–7):
852,641–927,340 WAL records and 8.2–9.0 s before, 185,042 and 3.2 s after; the re-rank's UPDATE
6.3 s before, 4.3 s after. Both tables take twice the pages (`customers` of that ledger: 53 MB).

The setting applies to pages written from now on, so the upgrade also rewrites both tables (`CLUSTER`
in primary-key order, which also runs inside a transaction; the table is not left marked as
clustered): 9.0 s for the 1M-item ledger at load 6–8, both tables locked meanwhile. SQLite has no
such setting: nothing to do there.
"""

from __future__ import annotations

from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

FILLFACTOR = 50
_TABLES = {"customers": "pk_customers", "worklist_ranks": "pk_worklist_ranks"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, key in _TABLES.items():
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")
        op.execute(f"CLUSTER {table} USING {key}")  # rewritten with the room in each page
        op.execute(f"ALTER TABLE {table} SET WITHOUT CLUSTER")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
