"""The vectorised engine's less travelled paths still decide as the reference does.

The engine takes shortcuts on the common shape of a ledger (items in item_id order, customer ids
dense enough for a lookup table, every customer with a row, a few currencies, interest rates with
small fractions); each test here breaks one of those on random portfolios.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from random import Random

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dunmore.domain.policy import PolicySet
from dunmore.engine.decide import decide
from dunmore.engine.frames import snapshot_frames
from dunmore.engine.items import _row_of
from dunmore.engine.model import Snapshot
from dunmore.engine.reference import decide_reference
from tests.depth import examples
from tests.dunning_strategies import policy_sets, snapshots

SPARSE = 10**12  # customer ids this far apart need a join, not a lookup table


def same(snapshot: Snapshot, policies: PolicySet) -> None:
    assert decide(snapshot_frames(snapshot), policies).to_decisions() == decide_reference(snapshot, policies)


@settings(max_examples=examples(60), deadline=None)
@given(snapshots(), policy_sets(), st.randoms(use_true_random=False))
def test_items_in_any_order_and_sparse_customer_ids(
    snapshot: Snapshot, policies: PolicySet, shuffler: Random
) -> None:
    items = [replace(i, customer_id=i.customer_id * SPARSE) for i in snapshot.items]
    shuffler.shuffle(items)
    customers = tuple(replace(c, customer_id=c.customer_id * SPARSE) for c in snapshot.customers)
    groups = tuple(replace(g, customer_id=g.customer_id * SPARSE) for g in snapshot.groups)
    same(replace(snapshot, items=tuple(items), customers=customers, groups=groups), policies)


@settings(max_examples=examples(60), deadline=None)
@given(snapshots(), policy_sets())
def test_customers_without_a_row(snapshot: Snapshot, policies: PolicySet) -> None:
    """An item's or a group's customer missing from the customers: no grade, no tag, no hold."""
    same(replace(snapshot, customers=snapshot.customers[1:]), policies)


@settings(max_examples=examples(60), deadline=None)
@given(snapshots(), policy_sets())
def test_many_currencies(snapshot: Snapshot, policies: PolicySet) -> None:
    """More currencies than a chain of comparisons is worth; a third keep the policies' ones."""
    items = tuple(
        i if i.item_id % 3 == 0 else replace(i, currency=f"{i.currency[:2]}{i.item_id % 12:X}")
        for i in snapshot.items
    )
    groups = tuple(replace(g, currency=f"{g.currency[:2]}{n % 12:X}") for n, g in enumerate(snapshot.groups))
    same(replace(snapshot, items=items, groups=groups), policies)


@settings(max_examples=examples(60), deadline=None)
@given(snapshots(), policy_sets())
def test_interest_rates_too_fine_for_int64(snapshot: Snapshot, policies: PolicySet) -> None:
    fine = Decimal("0.036512345678901234567")
    changed = {
        name: replace(policy, interest_rate=fine) if policy.interest_rate is not None else policy
        for name, policy in policies.policies.items()
    }
    same(snapshot, PolicySet(changed, policies.routes))


ID_SETS = st.one_of(
    st.builds(lambda low, n: set(range(low, low + n)), st.integers(-5, 50), st.integers(1, 40)),  # contiguous
    st.sets(st.integers(-5, 200), min_size=1, max_size=40),  # dense enough for a lookup table
    st.sets(st.integers(-5, 200).map(lambda i: i * SPARSE), min_size=1, max_size=40),  # a join
)


@settings(max_examples=examples(100), deadline=None)
@given(ID_SETS, st.data())
def test_customer_rows_agree_with_a_dictionary_on_every_path(ids: set[int], data: st.DataObject) -> None:
    """`_row_of` (contiguous ids: arithmetic; dense: a lookup table; sparse: a join) is the row of
    each id in the sorted ids, null for an id not there."""
    ordered = sorted(ids)
    others = st.integers(min(ordered) - 3, max(ordered) + 3)
    wanted = data.draw(st.lists(st.one_of(st.sampled_from(ordered), others), max_size=50))
    rows = _row_of(pl.Series(ordered, dtype=pl.Int64), pl.Series(wanted, dtype=pl.Int64))
    row = {customer: n for n, customer in enumerate(ordered)}
    assert rows.to_list() == [row.get(w) for w in wanted]
