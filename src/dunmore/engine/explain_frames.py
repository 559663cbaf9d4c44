"""The wide frames `explain` reads: every item and every group with all its rule columns, names
instead of codes. Built only when asked (one customer at a time), from the same rule expressions
as the decision."""

from __future__ import annotations

import polars as pl

from dunmore.engine.frames import SnapshotFrames
from dunmore.engine.items import Coding, evaluate_items
from dunmore.engine.levels import evaluate_groups, group_rejections, group_state
from dunmore.engine.next_steps import with_facts
from dunmore.engine.policy_frames import names_of


def explain_frames(snapshot: SnapshotFrames, coding: Coding) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(every item with its rule columns, every group of an item or a state with its group rules)."""
    items = evaluate_items(snapshot, coding).collect()
    past = pl.col("past_due")
    clause = past & pl.col("is_invoice") & pl.col("contract_fee_minor").is_not_null()
    by_fee = pl.struct("contract_fee_minor", "item_id")  # the lowest clause, the first item's if tied
    totals = items.group_by("gkey").agg(
        balance=pl.col("undisputed").filter(past).sum(),
        interest_sum=pl.col("interest").filter(past).sum(),
        rise_level=pl.col("new_level").filter(pl.col("would_rise")).max().fill_null(0),
        has_past_due=past.any(),
        contract_fee=pl.col("contract_fee_minor").filter(clause).min(),
        contract_fee_clause=pl.col("contract_fee_clause")
        .filter(clause)
        .sort_by(by_fee.filter(clause))
        .first(),
    )
    state, rejections = group_state(snapshot, coding), group_rejections(snapshot, coding)
    groups = with_facts(evaluate_groups(totals, state, rejections, coding, snapshot.as_of), snapshot, coding)
    names = coding.codes.names
    named = groups.with_columns(
        customer_id=coding.of_customer("customer_id"),
        currency=names_of(pl.col("currency"), coding.codes.currencies),
        policy=names_of(pl.col("policy"), names),
        rise_step=names_of(pl.col("rise_step"), coding.codes.steps),
    )
    evaluated = items.with_columns(policy=names_of(pl.col("policy"), names)).drop("kind_code")
    return evaluated, named.collect()
