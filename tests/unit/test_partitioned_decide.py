"""A run split into partitions of customers decides exactly what the whole run decides.

Every rule looks at one customer's groups and items, so cutting the snapshot by a hash of the
customer id (`engine.partition`) and deciding each piece apart gives the same notices, items, level
changes, reminders and group changes — only the order and the notices' keys differ.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunmore.domain.policy import PolicySet
from dunmore.engine.decide import decide
from dunmore.engine.frames import SnapshotFrames, snapshot_frames
from dunmore.engine.model import Decisions, Snapshot
from dunmore.engine.partition import Part, decide_partition, partition_key, split
from dunmore.run.partitioned import joined_decisions, kept
from tests.depth import examples
from tests.dunning_strategies import policy_sets, snapshots


class ArrowStream:
    """Only the Arrow PyCapsule stream of a frame, as another Arrow library hands a table over."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self._frame = frame

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self._frame.__arrow_c_stream__(requested_schema)


def canonical(decisions: Decisions) -> tuple[object, ...]:
    """The decisions in one order, whatever order they were decided in."""
    return (
        sorted(decisions.notices, key=repr),
        sorted(decisions.level_changes, key=repr),
        sorted(decisions.reminders, key=repr),
        sorted(decisions.group_changes, key=repr),
        sorted(decisions.next_steps, key=repr),
    )


def written(decisions: list[tuple[SnapshotFrames, PolicySet]]) -> Decisions:
    """The partitions' decisions joined as a partitioned run joins them once written, with notice ids
    given one partition after another as the database gives them."""
    parts, next_id = [], 101
    for snapshot, policies in decisions:
        decided = kept(decide(snapshot, policies))
        keyed = decided.notices.select("notice_key", notice_id=pl.col("notice_key") + next_id)
        next_id += decided.notices.height
        parts.append((decided, keyed))
    joined, _ = joined_decisions(decisions[0][0].as_of, parts)
    return joined.to_decisions()


@settings(max_examples=examples(60), deadline=None)
@given(snapshots(), policy_sets(), st.integers(min_value=2, max_value=7))
def test_a_partitioned_decision_equals_the_whole_one(
    snapshot: Snapshot, policies: PolicySet, count: int
) -> None:
    whole = snapshot_frames(snapshot)
    expected = decide(whole, policies).to_decisions()
    pieces = [(piece, policies) for piece in split(whole, count)]
    assert canonical(written(pieces)) == canonical(expected)


@settings(max_examples=examples(20), deadline=None)
@given(snapshots(), policy_sets(), st.integers(min_value=2, max_value=5))
def test_the_arrow_partition_function_decides_as_the_engine(
    snapshot: Snapshot, policies: PolicySet, count: int
) -> None:
    """`decide_partition`, Arrow tables in and out, is what a distributed engine would map."""
    for piece in split(snapshot_frames(snapshot), count):
        tables = [piece.items, piece.customers, piece.groups, piece.rejections, piece.facts]
        out = decide_partition(*(ArrowStream(t) for t in tables), as_of=piece.as_of, policies=policies)
        decided = decide(piece, policies)
        assert pl.DataFrame(ArrowStream(out["notices"])).equals(decided.notices)
        assert pl.DataFrame(ArrowStream(out["notice_items"])).equals(decided.notice_items)
        assert pl.DataFrame(ArrowStream(out["next_steps"])).equals(decided.next_steps)


def test_every_customer_falls_in_exactly_one_partition_and_sql_agrees() -> None:
    ids = pl.Series("customer_id", [1, 2, 3, 1_000_003, 2_147_483_647])
    keys = partition_key(ids, 7).to_list()
    assert keys == [partition_key(int(i), 7) for i in ids]  # Python ints, as SQL computes them
    assert all(0 <= k < 7 for k in keys)
    assert [sum(Part(k, 7).holds(int(i)) for k in range(7)) for i in ids] == [1] * len(ids)


def test_a_partition_number_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="partition 3 of 3"):
        Part(3, 3)
