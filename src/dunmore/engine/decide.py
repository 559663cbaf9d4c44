"""The dunning decision, vectorised with Polars: a snapshot and a policy set in, decisions out.

Each rule of docs/design/dunning-run.md is one named expression; the stages are items (what each
item would do, `engine.items`), groups (whether a group may rise, `engine.levels`), then notices
(`engine.notices`). Policies, currencies, kinds and steps travel as integer codes and become names
only on the rows that leave the engine. No Python loop over customers or items: loops here run
over policies, levels or currencies, which are few.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from dunmore.domain.policy import PolicySet
from dunmore.domain.policy_check import policy_currencies
from dunmore.engine import levels, next_steps, notices
from dunmore.engine.explain_frames import explain_frames
from dunmore.engine.frames import LEVEL_CHANGES, DecisionFrames, SnapshotFrames
from dunmore.engine.items import Coding, coded_items, eligible_items

ITEM_COLUMNS = ["item_id", "gkey", "customer_row", "kind", "level", "level_date", "dpd", "undisputed"]
ITEM_COLUMNS += [
    "reminders_had",
    "paid_minor_days",
    "interest_charged_minor",
    "eligible",
    "is_invoice",
    "past_due",
    "promised_until",
    "plan_until",
    "contract_rate",
    "contract_fee_minor",
]


def coding_of(snapshot: SnapshotFrames, policies: PolicySet) -> Coding:
    """The integer codes of this run's policies, currencies, steps and customers."""
    return Coding.of(snapshot, policies, policy_currencies(policies))


def by_item_id(snapshot: SnapshotFrames) -> SnapshotFrames:
    """The snapshot with its items in item_id order (the order every item list comes out in)."""
    if snapshot.items["item_id"].is_sorted():
        return snapshot
    return replace(snapshot, items=snapshot.items.sort("item_id"))


def item_rules(snapshot: SnapshotFrames, coding: Coding) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the eligible past-due items with their level rules, the reminder candidates): one pass over
    the items each (collected apart: together, Polars 2.1 takes longer)."""
    items = coded_items(snapshot, coding)
    every = eligible_items(items, coding, snapshot.as_of).select(ITEM_COLUMNS)
    past_due = levels.past_due_items(every, coding, snapshot.as_of).collect()
    # Few rows, a join and a window: Polars' in-memory engine does this in half the streaming time.
    candidates = notices.reminder_candidates(items, coding, snapshot.as_of).collect(engine="in-memory")
    return past_due, candidates


def decide(snapshot: SnapshotFrames, policies: PolicySet) -> DecisionFrames:
    """Decide the run for `snapshot.as_of`: reminders, level notices, fees, interest, group state."""
    snapshot = by_item_id(snapshot)
    coding = coding_of(snapshot, policies)
    size = coding.size
    past_due, candidates = item_rules(snapshot, coding)
    grouped = levels.by_group(past_due, size)
    totals = levels.group_totals(grouped, coding.codes.stride)
    state = levels.group_state(snapshot, coding)
    rejections = levels.group_rejections(snapshot, coding)
    evaluated = levels.evaluate_groups(totals, state, rejections, coding, snapshot.as_of)
    evaluated = next_steps.with_facts(evaluated, snapshot, coding)  # the pause a reason asks for
    groups = notices.with_level_notices(evaluated, coding)
    level_notices = notices.level_notices(groups)
    records, sent = notices.reminders(candidates)
    reminder_notices, reminder_items = notices.reminder_notices(sent, coding)
    numbered = notices.number_notices(level_notices, reminder_notices)
    level_items = notices.level_notice_items(past_due, numbered, size)
    return DecisionFrames(
        as_of=snapshot.as_of,
        notices=notices.notice_frame(numbered, coding),
        notice_items=notices.notice_items(level_items, reminder_items, numbered),
        reminders=records,
        group_changes=notices.group_changes(groups, coding, snapshot.as_of),
        level_changes_of=lambda: notices.level_changes(past_due, level_notices, size).cast(LEVEL_CHANGES),
        explain_frames=lambda: explain_frames(snapshot, coding),
        promise_changes=snapshot.promise_changes,
        plan_changes=snapshot.plan_changes,
        next_steps=next_steps.decided_steps(evaluated, snapshot, coding),
    )


__all__ = ["decide"]
