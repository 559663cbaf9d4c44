"""A run's notice items, levels and groups before in a partition of their own (PostgreSQL)

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-08 02:00:00

PostgreSQL checks a foreign key with a trigger per inserted row; for the 1M-item run that was most
of the time spent writing its 827,617 notice items and its 791,500 levels before (11.0 and 7.7 s of
a 47 s write stage; the groups before, 1.7 s). `notice_items` becomes partitioned by notice id,
`run_levels_before` and `run_groups_before` by run id, so that each run loads its rows into a table
of its own and attaches it as its partition, which checks each key with one join
(`dunmore.store.partitions`).

The rows already there stay where they are: the old table becomes the partition `<table>_p0` of
every key up to the highest notice (run) id, with its indexes and keys, which PostgreSQL takes as
the partitioned table's own (it reads the rows once to check they fit the range). A database with
no notice (run) yet gets no such partition. The downgrade puts every row back into one plain table.
SQLite has no partitions: nothing to do there.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

# table: (its partition key, the table whose ids the key takes)
_TABLES = {
    "notice_items": ("notice_id", "notices"),
    "run_levels_before": ("run_id", "runs"),
    "run_groups_before": ("run_id", "runs"),
}
_CONSTRAINTS = (
    "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'f') ORDER BY contype DESC, conname"
)
_INDEXES = (
    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE i.indrelid = CAST(:table AS regclass) AND NOT i.indisprimary ORDER BY c.relname"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (key, owner) in _TABLES.items():
        _partition(table, key, owner)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        _flatten(table)


def _definitions(table: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    conn = op.get_bind()
    constraints = [tuple(row) for row in conn.execute(text(_CONSTRAINTS), {"table": table})]
    indexes = [tuple(row) for row in conn.execute(text(_INDEXES), {"table": table})]
    return constraints, indexes


def _rebuild(table: str, constraints: list[tuple[str, str, str]], indexes: list[tuple[str, str]]) -> None:
    """Give `table` (empty) the keys and indexes read from its former self."""
    for name, _, definition in constraints:
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        op.execute(definition.replace(" ON ONLY ", " ON "))


def _partition(table: str, key: str, owner: str) -> None:
    conn = op.get_bind()
    constraints, indexes = _definitions(table)
    old = f"{table}_p0"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    for name, kind, _ in constraints:
        if kind == "p":  # its index's name is the constraint's, and the new table's too
            op.execute(f'ALTER INDEX "{name}" RENAME TO {old}_pkey')
    for position, (name, _) in enumerate(indexes):
        op.execute(f'ALTER INDEX "{name}" RENAME TO {old}_{position}')
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE ({key})")
    _rebuild(table, constraints, indexes)
    upper = int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {owner}")).scalar_one())  # noqa: S608
    if upper > 1:
        op.execute(f"ALTER TABLE {table} ATTACH PARTITION {old} FOR VALUES FROM (MINVALUE) TO ({upper})")
    else:
        op.execute(f"DROP TABLE {old}")


def _flatten(table: str) -> None:
    constraints, indexes = _definitions(table)
    flat = f"{table}_flat"
    op.execute(f"CREATE TABLE {flat} (LIKE {table} INCLUDING DEFAULTS)")
    op.execute(f"INSERT INTO {flat} SELECT * FROM {table}")  # noqa: S608
    op.execute(f"DROP TABLE {table}")  # and its partitions
    op.execute(f"ALTER TABLE {flat} RENAME TO {table}")
    _rebuild(table, constraints, indexes)
