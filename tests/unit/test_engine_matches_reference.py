"""The vectorised engine and the plain reference evaluator decide the same, always.

Single days on random portfolios, then sequences of run dates where each day's decisions are
applied (levels, reminders, fee and interest items, group state, payments in between, and some
pending notices rejected by a person) before the next run — both engines fed the same history.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dunmore.domain.policy import PolicySet, load_policy_file
from dunmore.engine.decide import decide
from dunmore.engine.frames import snapshot_frames
from dunmore.engine.model import (
    Customer,
    Decisions,
    GroupState,
    Item,
    ItemKind,
    Notice,
    Rejection,
    Snapshot,
)
from dunmore.engine.reference import decide_reference
from tests.depth import examples
from tests.dunning_strategies import acted_on, policy_sets, snapshots


def both(snapshot: Snapshot, policies: PolicySet) -> Decisions:
    expected = decide_reference(snapshot, policies)
    actual = decide(snapshot_frames(snapshot), policies).to_decisions()
    assert actual == expected
    return expected


@settings(max_examples=examples(300), deadline=None)
@given(snapshots(), policy_sets())
def test_engine_equals_reference_on_random_portfolios(snapshot: Snapshot, policies: PolicySet) -> None:
    both(snapshot, policies)


def test_engine_equals_reference_on_an_empty_snapshot() -> None:
    example = load_policy_file(Path(__file__).resolve().parents[2] / "examples" / "dunning.yaml")
    for customers in [(), (Customer(1, "A"),)]:
        snapshot = Snapshot(date(2026, 10, 1), items=(), customers=customers, groups=())
        assert both(snapshot, example) == Decisions(date(2026, 10, 1))


def _apply_items(snapshot: Snapshot, decisions: Decisions, next_id: int) -> tuple[list[Item], int]:
    """Levels, reminder records, charged interest, and new fee and interest items of non-pending notices."""
    levels = {c.item_id: c.level for c in decisions.level_changes}
    had: dict[int, set[str]] = {}
    for record in decisions.reminders:
        had.setdefault(record.item_id, set()).add(record.step)
    charged: dict[int, int] = {}
    new_items: list[Item] = []
    for notice in decisions.notices:
        if notice.pending_approval:
            continue
        if notice.interest_charge_minor is not None:
            for entry in notice.items:
                charged[entry.item_id] = charged.get(entry.item_id, 0) + entry.interest_minor
        charges: tuple[tuple[ItemKind, int | None], ...] = (
            ("fee", notice.fee_minor),
            ("interest", notice.interest_charge_minor),
        )
        for kind, amount in charges:
            if amount:
                new_items.append(
                    Item(next_id, notice.customer_id, notice.currency, kind, decisions.as_of, amount)
                )
                next_id += 1
    items = [
        replace(
            i,
            level=levels.get(i.item_id, i.level),
            level_date=decisions.as_of if i.item_id in levels else i.level_date,
            reminders_had=i.reminders_had | had.get(i.item_id, set()),
            interest_charged_minor=i.interest_charged_minor + charged.get(i.item_id, 0),
        )
        for i in snapshot.items
    ]
    return items + new_items, next_id


def _apply_groups(snapshot: Snapshot, decisions: Decisions, rejected: set[Notice]) -> list[GroupState]:
    state = {(g.customer_id, g.currency): g for g in snapshot.groups}
    for change in decisions.group_changes:
        old = state.get((change.customer_id, change.currency))
        waiting = old.awaiting_approval if old else False
        state[(change.customer_id, change.currency)] = GroupState(
            change.customer_id,
            change.currency,
            change.last_level_notice,
            change.fee_levels,
            change.episode_open,
            waiting,
        )
    for notice in decisions.notices:
        if notice.pending_approval and notice not in rejected:
            key = (notice.customer_id, notice.currency)
            state[key] = replace(state.get(key, GroupState(*key)), awaiting_approval=True)
    return [state[key] for key in sorted(state)]


def _reject(snapshot: Snapshot, rejected: set[Notice]) -> tuple[Rejection, ...]:
    """A person rejects some pending notices: each stands against its group's step at its amount."""
    standing = {(r.customer_id, r.currency, r.step): r for r in snapshot.rejections}
    for notice in sorted(rejected, key=lambda n: (n.customer_id, n.currency, n.step)):
        amount = sum(item.open_minor for item in notice.items)
        key = (notice.customer_id, notice.currency, notice.step)
        standing[key] = Rejection(*key, max(amount, standing[key].rejected_minor if key in standing else 0))
    return tuple(standing[key] for key in sorted(standing))


def _pay(items: list[Item], payments: list[int], as_of: date) -> list[Item]:
    """Between runs some items are paid (in part): the paid part bears late interest from its due date."""
    paid = []
    for item, share in zip(items, payments + [0] * len(items), strict=False):
        amount = item.open_minor * share // 4
        late = max(0, (as_of - item.due_date).days)
        interest_basis = amount * late if item.kind == "invoice" else 0
        paid.append(
            replace(
                item,
                open_minor=item.open_minor - amount,
                paid_minor_days=item.paid_minor_days + interest_basis,
            )
        )
    return [i for i in paid if i.open_minor > 0]


@settings(max_examples=examples(80), deadline=None)
@given(snapshots(), policy_sets(), st.lists(st.integers(1, 20), min_size=2, max_size=5), st.data())
def test_engine_equals_reference_over_a_sequence_of_runs(
    snapshot: Snapshot, policies: PolicySet, gaps: list[int], data: st.DataObject
) -> None:
    next_id = max((i.item_id for i in snapshot.items), default=0) + 1
    for gap in gaps:
        decisions = both(snapshot, policies)
        items, next_id = _apply_items(snapshot, decisions, next_id)
        pending = [n for n in decisions.notices if n.pending_approval]
        rejected = {n for n in pending if data.draw(st.booleans())}
        groups = _apply_groups(snapshot, decisions, rejected)
        day = snapshot.as_of + timedelta(days=gap)
        payments = data.draw(st.lists(st.integers(0, 4), max_size=len(items)))
        paid = tuple(_pay(items, payments, day))
        facts = acted_on(snapshot.facts, decisions)
        snapshot = Snapshot(day, paid, snapshot.customers, tuple(groups), _reject(snapshot, rejected), facts)
    both(snapshot, policies)
