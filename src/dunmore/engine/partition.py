"""Partitions of a run: customers split by a hash of their id, each a self-contained engine input.

Every rule of the decision looks at one (customer, currency) group and that customer's items, hold
and grade, never at another customer; so the snapshot of a set of customers decides exactly what the
whole snapshot decides for them. A run too big for memory reads, decides and writes one partition
after another (`dunmore.run.service.commit(partitions=N)`), and an existing distributed engine could
map `decide_partition` over the partitions' Arrow tables instead (docs/design/dunning-run.md,
"Partitioned runs").

The hash is integer arithmetic that SQL computes the same way, so the database reads a partition
with a WHERE clause and Polars or Arrow split a frame with the same expression:
`((customer_id × 2654435761) mod 2³²) mod N` (Knuth's multiplicative hash: consecutive ids spread
evenly). Customer ids are below 2³¹, so the product fits in a signed 64-bit integer everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, ColumnElement, cast

from dunmore.domain.policy import PolicySet
from dunmore.engine.frames import CUSTOMERS, GROUPS, ITEMS, REJECTIONS, DecisionFrames, SnapshotFrames

MULTIPLIER = 2_654_435_761
MODULUS = 2**32
MAX_PARTITIONS = 4096


@dataclass(frozen=True)
class Part:
    """Partition `index` of `count` (0 ≤ index < count)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_PARTITIONS or not 0 <= self.index < self.count:
            raise ValueError(
                f"partition {self.index} of {self.count}: need 0 ≤ index < count ≤ {MAX_PARTITIONS}"
            )

    def holds(self, customer_id: Any) -> Any:
        """Whether the customer falls in this partition: a Polars expression, or a SQLAlchemy
        condition when given a column (the same arithmetic in both)."""
        return partition_key(customer_id, self.count) == self.index


def partition_key(customer_id: Any, count: int) -> Any:
    """The partition of a customer id among `count`: works on a Polars expression or series, a SQL
    column, or an int. A SQL column is widened to BIGINT first: the product of an INTEGER column
    overflows in PostgreSQL."""
    if isinstance(customer_id, ColumnElement):
        customer_id = cast(customer_id, BigInteger)
    return (customer_id * MULTIPLIER) % MODULUS % count


def parts(count: int) -> list[Part]:
    return [Part(index, count) for index in range(count)]


def split(snapshot: SnapshotFrames, count: int) -> Iterator[SnapshotFrames]:
    """The snapshot cut into `count` partitions by customer (in memory; the run reads each partition
    from the database instead)."""
    for part in parts(count):
        inside = part.holds(pl.col("customer_id"))
        yield replace(
            snapshot,
            items=snapshot.items.filter(inside),
            customers=snapshot.customers.filter(inside),
            groups=snapshot.groups.filter(inside),
            rejections=snapshot.rejections.filter(inside),
            facts=snapshot.facts.filter(inside),
        )


def decide_partition(
    items: Any,
    customers: Any,
    groups: Any,
    rejections: Any,
    facts: Any = None,
    *,
    as_of: date,
    policies: PolicySet,
) -> dict[str, pl.DataFrame]:
    """The decision of one partition, Arrow in and out: what a distributed engine maps (a Ray or Dask
    task per partition, or Spark's `applyInArrow` per partition key).

    Inputs are any Arrow tabular objects (the PyCapsule stream interface `__arrow_c_stream__`:
    pyarrow tables and readers, Polars or DuckDB results) with the columns of the engine's snapshot
    schemas (`engine.frames`); out come Polars frames, themselves Arrow streams (`pyarrow.table(f)`
    takes them without a copy): `notices`, `notice_items` (keyed by the partition's own
    `notice_key`), `reminders`, `group_changes` and `next_steps` (given the contact `facts`)."""
    from dunmore.engine.decide import decide
    from dunmore.engine.next_steps import FACTS, no_facts

    snapshot = SnapshotFrames(
        as_of,
        _frame(items, ITEMS),
        _frame(customers, CUSTOMERS),
        _frame(groups, GROUPS),
        _frame(rejections, REJECTIONS),
        facts=no_facts() if facts is None else _frame(facts, FACTS),
    )
    decisions: DecisionFrames = decide(snapshot, policies)
    return {
        "notices": decisions.notices,
        "notice_items": decisions.notice_items,
        "reminders": decisions.reminders,
        "group_changes": decisions.group_changes,
        "next_steps": decisions.next_steps,
    }


def _frame(table: Any, schema: pl.Schema) -> pl.DataFrame:
    """The table in the schema; a nullable column it lacks (a promise column, added later) is null."""
    frame = pl.DataFrame(table)
    missing = [
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in schema.items() if name not in frame.columns
    ]
    return frame.with_columns(missing).select(list(schema)).cast(schema)
