"""Levels: the groups' past-due balances, whether a group may rise today, and its notice level.

The amounts and rises of the eligible past-due items are sorted once by group key. On that order a
group is a run of rows, and its totals are differences of running sums at the run ends: no hash
group-by, no join back. (The items themselves stay in item_id order: a notice lists them in that
order, and reads its notice number from a table indexed by group key.) The group rules then read
the group's state left by earlier runs, joined on the group key.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from dunmore.engine.frames import GROUPS, SnapshotFrames
from dunmore.engine.items import Coding, with_level_rules
from dunmore.engine.policy_frames import codes_of

TOTAL_COLUMNS = ["gkey", "undisputed", "interest", "rise_to", "contract_fee"]
NO_LEVELS = pl.lit([], dtype=pl.List(pl.Int64))
STATE = {
    name: GROUPS[name]
    for name in [
        "last_level_notice",
        "fee_levels",
        "episode_open",
        "awaiting_approval",
        "promise_broken_on",
        "plan_broken_on",
    ]
}


def past_due_items(items: pl.LazyFrame, coding: Coding, as_of: date) -> pl.LazyFrame:
    """The eligible past-due items (they make the balance and fill the level notice), in item order,
    with the level each ends the day at if its group rises, and the level it rises to (0: none)."""
    rises = pl.col("would_rise")
    return with_level_rules(items.filter("past_due"), coding, as_of).select(
        "gkey", "item_id", "kind_code", "dpd", "undisputed", "interest",
        contract_fee=pl.when("is_invoice").then(pl.col("contract_fee_minor")),
        level_after=pl.when(rises).then(pl.col("new_level")).otherwise(pl.col("level")),
        rise_to=pl.when(rises).then(pl.col("new_level")).otherwise(0),
    )  # fmt: skip


def by_group(past_due: pl.DataFrame, size: int) -> pl.DataFrame:
    """The past-due items' amounts and rises by group key (in any order within a group: totals
    do not depend on it, so the sort need not be stable).

    `size` bounds the group keys: below 2**32 they sort faster as UInt32."""
    key = pl.col("gkey").cast(pl.UInt32) if size <= 2**32 else pl.col("gkey")
    return past_due.select(TOTAL_COLUMNS).sort(key)


def _run_total(column: str) -> pl.Expr:
    """At a run's last row: the sum of `column` over the run (running sum minus the previous run's).

    Int64 arithmetic wraps, so the difference stays exact even if the running sum overflows."""
    return pl.col(column) - pl.col(column).shift(1, fill_value=0)


def group_totals(past_due: pl.DataFrame, stride: int) -> pl.DataFrame:
    """Per group with a past-due item: its balance, its items' interest, the highest level risen to,
    and the lowest fee of its invoices' contract fee clauses (`contract_fee`, null: none).

    The highest level is a running maximum of `gkey × stride + rise_to` (rise_to < stride): the
    group keys grow down the rows, so at a run's end the maximum comes from that run alone.
    """
    totals = _group_sums(past_due, stride)
    clauses = past_due.filter(pl.col("contract_fee").is_not_null())
    if clauses.is_empty():  # the common case: no contract fee clause among the past-due items
        return totals.with_columns(contract_fee=pl.lit(None, dtype=pl.Int64))
    lowest = clauses.group_by("gkey").agg(pl.col("contract_fee").min())
    return totals.join(lowest, on="gkey", how="left", maintain_order="left")


def _group_sums(past_due: pl.DataFrame, stride: int) -> pl.DataFrame:
    gkey = pl.col("gkey")
    return (
        past_due.lazy()
        .select(
            "gkey",
            balance=pl.col("undisputed").cum_sum(),
            interest_sum=pl.col("interest").cum_sum(),
            top=(gkey * stride + pl.col("rise_to")).cum_max(),
            run_end=(gkey != gkey.shift(-1)).fill_null(True),
        )
        .filter("run_end")
        .select(
            "gkey",
            balance=_run_total("balance"),
            interest_sum=_run_total("interest_sum"),
            rise_level=pl.col("top") - gkey * stride,
            has_past_due=pl.lit(True),
        )
        .collect()
    )


def group_state(snapshot: SnapshotFrames, coding: Coding) -> pl.DataFrame:
    """The groups' state left by earlier runs, keyed by group."""
    state = snapshot.groups
    return state.select(coding.gkey(state), *STATE)


def group_rejections(snapshot: SnapshotFrames, coding: Coding) -> pl.DataFrame:
    """The standing rejections keyed by group and step code (the largest amount if one repeats;
    a step or currency no policy knows, or a customer without items or state, matches nothing)."""
    rejections = snapshot.rejections
    keyed = rejections.select(
        coding.gkey(rejections),
        codes_of(coding.codes.steps, "step").alias("rise_step"),
        pl.col("rejected_minor"),
    )
    keys = ["gkey", "rise_step"]
    return keyed.drop_nulls(keys).group_by(keys).agg(pl.col("rejected_minor").max())


def balance_at_least_minimum() -> pl.Expr:
    return pl.col("minimum_minor").is_null() | (pl.col("balance") >= pl.col("minimum_minor"))


def min_days_since_last_notice(as_of: date) -> pl.Expr:
    """Spacing since the last level notice, unless a promise of the group broke after it."""
    since = pl.lit(as_of).cast(pl.Int32) - pl.col("last_level_notice").cast(pl.Int32)
    spaced = pl.col("last_level_notice").is_null() | (since >= pl.col("min_days"))
    return spaced | promise_broken_since_last_notice() | plan_broken_since_last_notice()


def promise_broken_since_last_notice() -> pl.Expr:
    """A promise to pay of the group broke after its last level notice: escalation resumes at once."""
    return (pl.col("promise_broken_on") > pl.col("last_level_notice")).fill_null(False)


def plan_broken_since_last_notice() -> pl.Expr:
    """An instalment plan of the group broke after its last level notice: escalation resumes at once."""
    return (pl.col("plan_broken_on") > pl.col("last_level_notice")).fill_null(False)


def not_awaiting_approval() -> pl.Expr:
    return ~pl.col("awaiting_approval").fill_null(False)


def not_held_by_rejection() -> pl.Expr:
    """No standing rejection of the step the group would rise to, or its dunned amount has grown
    above the rejected notice's."""
    return pl.col("rejected_minor").is_null() | (pl.col("balance").fill_null(0) > pl.col("rejected_minor"))


def _with_rejections(groups: pl.LazyFrame, rejections: pl.DataFrame, coding: Coding) -> pl.LazyFrame:
    """Each group with the rejected amount of the step it would rise to (null: none)."""
    level = pl.col("rise_level").fill_null(0)
    groups = groups.with_columns(rise_step=coding.codes.per_level(coding.codes.step, pl.Int64, level))
    if rejections.is_empty():
        return groups.with_columns(rejected_minor=pl.lit(None, dtype=pl.Int64))
    return groups.join(rejections.lazy(), on=["gkey", "rise_step"], how="left", maintain_order="left")


def evaluate_groups(
    totals: pl.DataFrame, state: pl.DataFrame, rejections: pl.DataFrame, coding: Coding, as_of: date
) -> pl.LazyFrame:
    """Every group with a past-due item or a state, by group key, with the group rules."""
    codes = coding.codes
    if state.is_empty():  # the first run: every group has the default state
        groups = totals.lazy().with_columns(
            pl.lit(None).cast(dtype).alias(name) for name, dtype in STATE.items()
        )
    else:
        groups = totals.lazy().join(state.lazy(), on="gkey", how="full", coalesce=True).sort("gkey")
    groups = groups.with_columns(
        policy=coding.of_customer("policy"),
        currency=coding.currency(),
        has_past_due=pl.col("has_past_due").fill_null(False),
        was_open=pl.col("episode_open").fill_null(False),
    ).with_columns(
        minimum_minor=codes.minimum(),
        min_days=codes.per_policy(lambda p: p.min_days_between_notices, pl.Int64),
    )
    groups = _with_rejections(groups, rejections, coding).with_columns(
        balance_at_least_minimum=balance_at_least_minimum(),
        min_days_since_last_notice=min_days_since_last_notice(as_of),
        not_awaiting_approval=not_awaiting_approval(),
        not_held_by_rejection=not_held_by_rejection(),
        episode_changes=pl.col("has_past_due") != pl.col("was_open"),
    )
    may_rise = (
        pl.col("balance_at_least_minimum")
        & pl.col("min_days_since_last_notice")
        & pl.col("not_awaiting_approval")
        & pl.col("not_held_by_rejection")
    )
    return groups.with_columns(may_rise=may_rise, noticed=may_rise & (pl.col("rise_level").fill_null(0) > 0))


def fee_levels_now() -> pl.Expr:
    """The group's fee levels after today's episode transition (a transition resets them)."""
    return (
        pl.when(pl.col("episode_changes"))
        .then(NO_LEVELS)
        .otherwise(pl.col("fee_levels").fill_null(NO_LEVELS))
    )
