"""The ids a retry names in its audit row, as ranges: short, and exactly the ids retried."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dunmore.access.audit import id_ranges


def _expanded(ranges: str) -> list[int]:
    ids: list[int] = []
    for part in filter(None, ranges.split(",")):
        first, _, last = part.partition("-")
        ids.extend(range(int(first), int(last or first) + 1))
    return ids


def test_runs_of_ids_are_written_as_ranges() -> None:
    assert id_ranges([9, 1, 2, 3, 4, 7, 10, 3]) == "1-4,7,9-10"
    assert id_ranges(range(1, 1_000_001)) == "1-1000000"


@given(st.sets(st.integers(1, 10_000), max_size=200))
def test_the_ranges_name_exactly_the_ids(ids: set[int]) -> None:
    assert _expanded(id_ranges(ids)) == sorted(ids)
