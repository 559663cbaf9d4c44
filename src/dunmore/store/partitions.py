"""A run's own partition of the tables a run fills row by row (PostgreSQL): keys checked once.

On PostgreSQL a foreign key is checked by a trigger per inserted row (a lookup and a row lock in the
referenced table): for the 827,617 notice items of the 1M-item run, most of their 11 s COPY, and the
same for the levels and groups a run keeps for its revert. PostgreSQL checks a key set-based, with
one join, only when the key comes to a table. So `notice_items` (by notice id), `run_levels_before`
and `run_groups_before` (by run id) are partitioned by range, and a run writes its rows into a
partition of its own (`run_partition`): a new table without index or key, then attached as the
partition of the run's range, when PostgreSQL gives it the table's keys, each checked by one join,
and its indexes, each built in one sort. Rows written later into a range that has its partition
already (an approval's levels) go through the table, checked row by row; the parts of a partitioned
run, inside `staged_partitions`, all fill the run's one bare table of levels and groups before,
attached once at the end.

All in the caller's transaction: a run that fails or is rolled back leaves no partition, and one
that commits leaves its rows under the same keys and indexes as any other. Attaching locks the
referenced tables (`invoices`, `notices`, `runs`, `customers`) against other sessions' writes until
the run commits (readers go on), and the partitioned table against other DDL only; a run and an approval
take those locks at once, before they write (`lock_for_partitions`). (Keys added to
the bare table before attaching would be as quick, but attaching then drops their triggers from the
referenced tables, which locks out their readers too.) SQLite has no partitions and checks keys
in-process, cheaply: there the table is written directly.

A partition is named after its table and its range's lower bound (`notice_items_p1027`). The ranges
of runs never overlap: a run's id is its own, and on PostgreSQL a notice id is never given twice,
not even after the highest notices were deleted (`run.apply.next_id`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Table, column, text
from sqlalchemy import table as table_clause
from sqlalchemy.sql.expression import TableClause

_PARTITIONS = text(
    "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
    "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:table AS regclass) ORDER BY c.relname"
)
_STAGED = "dunmore.staged_partitions"  # key in `Connection.info`: the run's bare partitions still open
_PARTITION = re.compile(r"(.+)_p\d+")
_BOUND = re.compile(r"FROM \('?(MINVALUE|-?\d+)'?\) TO \('?(MAXVALUE|-?\d+)'?\)")


def partition_name(table: Table, lower: int) -> str:
    return f"{table.name}_p{int(lower)}"


def partitioned_tables() -> list[Table]:
    """The tables PostgreSQL keeps in partitions (`postgresql_partition_by` in their model), in name
    order."""
    from dunmore.store.schema import metadata

    found = [
        table for table in metadata.tables.values() if table.dialect_options["postgresql"]["partition_by"]
    ]
    return sorted(found, key=lambda table: table.name)


def lock_for_partitions(conn: Connection) -> None:
    """Before a write that may attach partitions (a run's, an approval's), on PostgreSQL: take at once,
    in one order, the locks attaching takes — on the partitioned tables and the tables their keys
    refer to — so that two such writes wait for each other instead of deadlocking (an approval
    updates `notices` and attaches levels that refer to `runs`; a run inserts into `runs` and
    attaches items that refer to `notices`). Other sessions may still read all of them; writers
    wait until this transaction ends. Nothing on SQLite, whose writers take turns anyway."""
    if conn.dialect.name != "postgresql":
        return
    partitioned = partitioned_tables()
    referred = {key.referred_table.name for table in partitioned for key in table.foreign_key_constraints}
    names = sorted({table.name for table in partitioned} | referred)
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(f"LOCK TABLE {', '.join(quote(name) for name in names)} IN SHARE ROW EXCLUSIVE MODE")


def drop_partitions(conn: Connection) -> None:
    """Drop the partitions of every partitioned table (PostgreSQL), once their rows are deleted (a
    demo reset): empty, they would only be more tables for each query by item to read."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    for table in partitioned_tables():
        for partition in partitions(conn, table):
            conn.exec_driver_sql(f"DROP TABLE {quote(partition)}")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name`: whether a name found in the database belongs to the schema the
    models describe. A run's partitions (`notice_items_p1027`) are part of their table's rows, not
    tables of their own; comparing the schema with the models leaves them out."""
    if type_ != "table" or name is None or (found := _PARTITION.fullmatch(name)) is None:
        return True
    return found.group(1) not in {table.name for table in partitioned_tables()}


def partitions(conn: Connection, table: Table) -> dict[str, tuple[float, float]]:
    """`table`'s partitions (PostgreSQL): each one's name and range, [lower, upper)."""
    name = conn.dialect.identifier_preparer.quote(table.name)
    found = {}
    for partition, bound in conn.execute(_PARTITIONS, {"table": name}).all():
        lower, upper = _BOUND.search(bound).groups()  # type: ignore[union-attr]
        found[partition] = (
            -math.inf if lower == "MINVALUE" else int(lower),
            math.inf if upper == "MAXVALUE" else int(upper),
        )
    return found


@contextmanager
def run_partition(
    conn: Connection, table: Table, lower: int, upper: int, *, staged: bool = False
) -> Iterator[TableClause]:
    """What to write the rows whose partition key lies in [lower, upper) into: on PostgreSQL the
    range's new partition, bare, attached (and so keyed) on leaving — or `table` itself when a partition
    holds the range already (a run's earlier rows, or the rows from before partitioning: `_p0`),
    and on SQLite. `staged`: rows nothing reads before the run ends (what a revert puts back);
    inside `staged_partitions` their bare table stays open for the run's later parts to fill, and
    is attached once, as the run's writes end."""
    if conn.dialect.name != "postgresql":
        yield table
        return
    name = partition_name(table, lower)
    columns = [column(c.name, c.type) for c in table.columns]
    open_ones: dict[str, tuple[Table, str]] | None = conn.info.get(_STAGED) if staged else None
    if open_ones is not None and name in open_ones:
        yield table_clause(name, *columns)
        return
    if any(low <= lower < high for low, high in partitions(conn, table).values()):
        yield table
        return
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(f"CREATE TABLE {quote(name)} (LIKE {quote(table.name)} INCLUDING DEFAULTS)")
    yield table_clause(name, *columns)
    bounds = f"FOR VALUES FROM ({int(lower)}) TO ({int(upper)})"
    if open_ones is not None:
        open_ones[name] = (table, bounds)
    else:
        _attach(conn, table, name, bounds)


@contextmanager
def staged_partitions(conn: Connection) -> Iterator[None]:
    """Around a run's writes: the partitions `run_partition(staged=True)` creates stay bare until
    the end, then each is attached once — so that the parts of a partitioned run all load one bare
    table, instead of the first loading it and the others going through the keys row by row."""
    if conn.dialect.name != "postgresql":
        yield
        return
    open_ones: dict[str, tuple[Table, str]] = {}
    conn.info[_STAGED] = open_ones
    try:
        yield
        for name, (table, bounds) in open_ones.items():
            _attach(conn, table, name, bounds)
    finally:
        conn.info.pop(_STAGED, None)


def _attach(conn: Connection, table: Table, name: str, bounds: str) -> None:
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(f"ANALYZE {quote(name)}")  # the keys' joins planned on what it holds
    conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ATTACH PARTITION {quote(name)} {bounds}")
