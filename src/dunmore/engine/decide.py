"""The dunning decision, vectorised with Polars: a snapshot and a policy set in, decisions out.

Each rule of docs/design/dunning-run.md is one named column; the stages are items (what each item
would do), groups (whether a group may rise), then notices. No Python loop over customers or
items: loops here run over policies or levels, which are few.
"""

from __future__ import annotations

import polars as pl

from dunmore.domain.policy import PolicySet
from dunmore.engine.frames import (
    GROUP_CHANGES,
    LEVEL_CHANGES,
    NOTICE_ITEMS,
    NOTICES,
    REMINDERS,
    DecisionFrames,
    SnapshotFrames,
)
from dunmore.engine.policy_frames import PolicyTables, policy_tables, route_expr

GROUP = ["customer_id", "currency"]
DAYS_PER_YEAR = 365


def _target_level(policies: PolicySet) -> pl.Expr:
    """The highest level whose `at` ≤ days past due (0 if none), per the item's policy."""
    target: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for name, policy in policies.policies.items():
        reached = pl.sum_horizontal(
            [(pl.col("dpd") >= step.at).cast(pl.Int64) for step in policy.levels] or [0]
        )
        target = pl.when(pl.col("policy") == name).then(reached).otherwise(target)
    return target


def _half_up_div(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """round_half_up(n / d) for n ≥ 0, d > 0, in exact integers."""
    return (numerator * 2 + denominator) // (denominator * 2)


def _interest() -> pl.Expr:
    """Accrued to D, rounded half-up once per item, less what earlier notices charged (invoices)."""
    minor_days = pl.col("paid_minor_days") + pl.max_horizontal(pl.col("undisputed"), 0) * pl.max_horizontal(
        pl.col("dpd"), 0
    )
    scaled = minor_days.cast(pl.Int128) * pl.col("rate_num")
    accrued = _half_up_div(scaled, pl.col("rate_den") * DAYS_PER_YEAR).cast(pl.Int64)
    owed = pl.max_horizontal(accrued - pl.col("interest_charged_minor"), 0)
    return pl.when(pl.col("is_invoice") & (pl.col("rate_num") > 0)).then(owed).otherwise(0).alias("interest")


def _evaluate_items(snapshot: SnapshotFrames, policies: PolicySet, tables: PolicyTables) -> pl.DataFrame:
    customers = snapshot.customers.select(
        "customer_id", route_expr(policies), pl.col("on_hold").alias("customer_on_hold")
    )
    as_of = pl.lit(snapshot.as_of)
    items = snapshot.items.join(customers, on="customer_id", how="left").join(tables.scalars, on="policy")
    items = items.with_columns(
        dpd=(as_of - pl.col("due_date")).dt.total_days(),
        undisputed=pl.col("open_minor") - pl.col("disputed_minor"),
        is_invoice=pl.col("kind") == "invoice",
    )
    items = items.with_columns(
        item_not_on_hold=~pl.col("on_hold"),
        customer_not_on_hold=~pl.col("customer_on_hold"),
    ).with_columns(
        eligible=(pl.col("undisputed") > 0) & pl.col("item_not_on_hold") & pl.col("customer_not_on_hold"),
        target=_target_level(policies),
    )
    skip_to = pl.when(pl.col("allow_skip")).then(pl.col("target"))
    rises_to = skip_to.otherwise(pl.min_horizontal(pl.col("target"), pl.col("level") + 1))
    return items.with_columns(
        past_due=pl.col("eligible") & (pl.col("dpd") > 0),
        new_level=rises_to,
        not_risen_today=pl.col("level_date").is_null() | (pl.col("level_date") != as_of),
    ).with_columns(
        would_rise=pl.col("past_due")
        & pl.col("is_invoice")
        & (pl.col("new_level") > pl.col("level"))
        & pl.col("not_risen_today"),
        interest=_interest(),
    )


def _evaluate_groups(items: pl.DataFrame, snapshot: SnapshotFrames, tables: PolicyTables) -> pl.DataFrame:
    past = items.filter("past_due").group_by(GROUP).agg(balance=pl.col("undisputed").sum())
    policy_of = items.select(*GROUP, "policy", "min_days").unique(GROUP)
    state = snapshot.groups
    keys = pl.concat([items.select(GROUP), state.select(GROUP)]).unique()
    groups = (
        keys.join(policy_of, on=GROUP, how="left")
        .join(past, on=GROUP, how="left")
        .join(state, on=GROUP, how="left")
        .join(tables.minimums, on=["policy", "currency"], how="left")
    )
    since = (pl.lit(snapshot.as_of) - pl.col("last_level_notice")).dt.total_days()
    groups = groups.with_columns(
        has_past_due=pl.col("balance").is_not_null(),
        was_open=pl.col("episode_open").fill_null(False),
        old_fee_levels=pl.col("fee_levels").fill_null(pl.lit([], dtype=pl.List(pl.Int64))),
        balance_at_least_minimum=pl.col("minimum_minor").is_null()
        | (pl.col("balance") >= pl.col("minimum_minor")),
        min_days_since_last_notice=pl.col("last_level_notice").is_null() | (since >= pl.col("min_days")),
        not_awaiting_approval=~pl.col("awaiting_approval").fill_null(False),
    )
    episode_changes = pl.col("has_past_due") != pl.col("was_open")
    return groups.with_columns(
        may_rise=pl.col("balance_at_least_minimum")
        & pl.col("min_days_since_last_notice")
        & pl.col("not_awaiting_approval"),
        fee_levels_now=pl.when(episode_changes)
        .then(pl.lit([], dtype=pl.List(pl.Int64)))
        .otherwise(pl.col("old_fee_levels")),
    )


def _reminders(items: pl.DataFrame, tables: PolicyTables) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records of sent and skipped reminders, the items that get a reminder today with its step)."""
    due = items.filter(pl.col("eligible") & pl.col("is_invoice") & (pl.col("dpd") <= 0))
    candidates = due.join(tables.reminders, on="policy").filter(pl.col("at") <= pl.col("dpd"))
    candidates = candidates.with_columns(had=pl.col("reminders_had").list.contains(pl.col("step")))
    latest = candidates.group_by("item_id").agg(latest_at=pl.col("at").max())
    candidates = candidates.join(latest, on="item_id")
    sent = candidates.filter((pl.col("at") == pl.col("latest_at")) & ~pl.col("had"))
    skipped = candidates.filter((pl.col("at") < pl.col("latest_at")) & ~pl.col("had"))
    records = pl.concat(
        [
            sent.select("item_id", "step", status=pl.lit("sent")),
            skipped.select("item_id", "step", status=pl.lit("skipped")),
        ]
    )
    return records.sort("item_id", "step").cast(REMINDERS), sent


def _reminder_notices(sent: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    notices = sent.group_by(*GROUP, "step").agg(policy=pl.col("policy").first())
    notices = notices.with_columns(
        kind=pl.lit("reminder"),
        level=pl.lit(None, dtype=pl.Int64),
        fee_minor=pl.lit(None, dtype=pl.Int64),
        interest_charge_minor=pl.lit(None, dtype=pl.Int64),
        pending_approval=pl.lit(False),
    )
    items = sent.select(
        *GROUP,
        "step",
        pl.lit("reminder").alias("notice_kind"),
        "item_id",
        "kind",
        "level",
        pl.col("dpd").alias("days_past_due"),
        pl.col("undisputed").alias("open_minor"),
        pl.lit(0, dtype=pl.Int64).alias("interest_minor"),
    )
    return notices, items


def _level_notices(
    items: pl.DataFrame, groups: pl.DataFrame, tables: PolicyTables
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(notices, their items, the groups with a notice and what it charged)."""
    may = groups.filter("may_rise").select(GROUP)
    risen = items.filter("would_rise").join(may, on=GROUP, how="semi")
    listed = items.filter("past_due").join(risen.select(GROUP).unique(), on=GROUP, how="semi")
    listed = listed.with_columns(
        level_after=pl.when(pl.col("would_rise")).then(pl.col("new_level")).otherwise(pl.col("level"))
    )
    interest = listed.group_by(GROUP).agg(interest_sum=pl.col("interest").sum())
    notices = (
        risen.group_by(GROUP)
        .agg(level=pl.col("new_level").max(), policy=pl.col("policy").first())
        .join(tables.levels, on=["policy", "level"])
        .join(tables.fees, on=["policy", "level", "currency"], how="left")
        .join(groups.select(*GROUP, "fee_levels_now"), on=GROUP)
        .join(interest, on=GROUP)
    )
    fee_due = pl.col("fee_minor").is_not_null() & ~pl.col("fee_levels_now").list.contains(pl.col("level"))
    charge = pl.col("charge_interest") & (pl.col("interest_sum") > 0)
    notices = notices.with_columns(
        kind=pl.lit("level"),
        step=pl.col("level_step"),
        fee_minor=pl.when(fee_due).then(pl.col("fee_minor")),
        interest_charge_minor=pl.when(charge).then(pl.col("interest_sum")),
        pending_approval=pl.col("requires_approval"),
        fee_charged=fee_due,
    )
    notice_items = listed.select(
        *GROUP,
        pl.lit("level").alias("notice_kind"),
        "item_id",
        "kind",
        pl.col("level_after").alias("level"),
        pl.col("dpd").alias("days_past_due"),
        pl.col("undisputed").alias("open_minor"),
        pl.col("interest").alias("interest_minor"),
    )
    step_of = notices.select(*GROUP, "step")
    return notices, notice_items.join(step_of, on=GROUP), risen


def _group_changes(groups: pl.DataFrame, notices: pl.DataFrame, as_of: object) -> pl.DataFrame:
    applied = notices.filter(~pl.col("pending_approval")).select(*GROUP, "level", "fee_charged")
    merged = groups.join(applied, on=GROUP, how="left")
    noticed = pl.col("level").is_not_null()
    charged = noticed & pl.col("fee_charged").fill_null(False)
    merged = merged.with_columns(
        new_last=pl.when(noticed).then(pl.lit(as_of)).otherwise(pl.col("last_level_notice")),
        new_fees=pl.when(charged)
        .then(pl.concat_list("fee_levels_now", pl.col("level").cast(pl.Int64)).list.sort())
        .otherwise(pl.col("fee_levels_now").list.sort()),
    )
    changed = (
        (pl.col("new_last") != pl.col("last_level_notice")).fill_null(pl.col("new_last").is_not_null())
        | (pl.col("new_fees") != pl.col("old_fee_levels").list.sort())
        | (pl.col("has_past_due") != pl.col("was_open"))
    )
    out = merged.filter(changed).select(
        *GROUP,
        pl.col("new_last").alias("last_level_notice"),
        pl.col("new_fees").alias("fee_levels"),
        pl.col("has_past_due").alias("episode_open"),
    )
    return out.sort(GROUP).cast(GROUP_CHANGES)


def _assemble(notices: list[pl.DataFrame], items: list[pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    columns = [c for c in NOTICES if c != "notice_key"]
    all_notices = pl.concat([n.select(columns).cast(NOTICES_NO_KEY) for n in notices])
    all_notices = (
        all_notices.sort(*GROUP, "kind", "step").with_row_index("notice_key").cast({"notice_key": pl.Int64})
    )
    item_columns = [*GROUP, "notice_kind", "step", "item_id", "kind", "level", "days_past_due"]
    item_columns += ["open_minor", "interest_minor"]
    keyed = pl.concat([i.select(item_columns) for i in items]).join(
        all_notices.select(*GROUP, pl.col("kind").alias("notice_kind"), "step", "notice_key"),
        on=[*GROUP, "notice_kind", "step"],
    )
    notice_items = keyed.select(list(NOTICE_ITEMS)).cast(NOTICE_ITEMS).sort("notice_key", "item_id")
    return all_notices.select(list(NOTICES)), notice_items


NOTICES_NO_KEY = pl.Schema({k: v for k, v in NOTICES.items() if k != "notice_key"})


def decide(snapshot: SnapshotFrames, policies: PolicySet) -> DecisionFrames:
    """Decide the run for `snapshot.as_of`: reminders, level notices, fees, interest, group state."""
    tables = policy_tables(policies)
    items = _evaluate_items(snapshot, policies, tables)
    groups = _evaluate_groups(items, snapshot, tables)
    reminder_records, sent = _reminders(items, tables)
    reminder_notices, reminder_items = _reminder_notices(sent)
    level_notices, level_items, risen = _level_notices(items, groups, tables)
    notices, notice_items = _assemble([reminder_notices, level_notices], [reminder_items, level_items])
    pending = level_notices.filter("pending_approval").select(GROUP)
    level_changes = risen.join(pending, on=GROUP, how="anti").select("item_id", level="new_level")
    return DecisionFrames(
        as_of=snapshot.as_of,
        notices=notices,
        notice_items=notice_items,
        level_changes=level_changes.sort("item_id").cast(LEVEL_CHANGES),
        reminders=reminder_records,
        group_changes=_group_changes(groups, level_notices, snapshot.as_of),
        evaluated=items,
        groups=groups,
    )
