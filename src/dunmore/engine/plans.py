"""Instalment plans in the run, vectorised: every active plan's state on D (`decide_plans`, the rule
of `domain.plans.plan_state` as Polars joins and expressions over all plans at once; the per-plan
reference beside it, `engine.plan_reference`, and a property test hold them equal), then the two
snapshot columns the dunning rules read — `plan_until` per item (the last day a plan that is not
broken on D pauses it) and `plan_broken_on` per group (the latest day a plan of the group broke).
"""

from __future__ import annotations

from datetime import date

import polars as pl

STATES = pl.Schema(
    {
        "plan_id": pl.Int64,
        "customer_id": pl.Int64,
        "currency": pl.String,
        "status": pl.String,
        "until": pl.Date,
    }
)
COVERED = pl.Schema({"plan_id": pl.Int64, "item_id": pl.Int64})
BROKEN = pl.Schema({"customer_id": pl.Int64, "currency": pl.String, "broken_on": pl.Date})
CHANGES = pl.Schema(
    {
        "plan_id": pl.Int64,
        "customer_id": pl.Int64,
        "currency": pl.String,
        "status": pl.String,
        "reason": pl.String,
        "missed_number": pl.Int64,
        "missed_due_on": pl.Date,
        "missed_minor": pl.Int64,
        "paid_minor": pl.Int64,
    }
)
GROUP = ["customer_id", "currency"]
PLANS = pl.Schema(
    {"plan_id": pl.Int64, "customer_id": pl.Int64, "currency": pl.String, "grace_days": pl.Int64}
)
SCHEDULE = pl.Schema({"plan_id": pl.Int64, "number": pl.Int64, "due_on": pl.Date, "amount_minor": pl.Int64})
PAYMENTS = pl.Schema({"plan_id": pl.Int64, "on": pl.Date, "amount_minor": pl.Int64})
KEYS = ["plan_id", "customer_id", "currency"]


def no_changes() -> pl.DataFrame:
    return pl.DataFrame(schema=CHANGES)


def _steps(plans: pl.DataFrame, schedule: pl.DataFrame, payments: pl.DataFrame) -> pl.DataFrame:
    """Each instalment in date order with what is due up to it (`due_so_far`), its last day of grace
    and what was paid by that day (`paid_by`)."""
    steps = (
        schedule.join(plans.select("plan_id", "grace_days"), on="plan_id")
        .sort("plan_id", "due_on", "number")
        .with_columns(
            due_so_far=pl.col("amount_minor").cum_sum().over("plan_id"),
            last_day=pl.col("due_on") + pl.duration(days=pl.col("grace_days")),
        )
    )
    paid = (
        steps.select("plan_id", "number", "last_day")
        .join(payments.rename({"amount_minor": "paid"}), on="plan_id")
        .filter(pl.col("on") <= pl.col("last_day"))
        .group_by("plan_id", "number")
        .agg(paid_by=pl.col("paid").sum())
    )
    joined = steps.join(paid, on=["plan_id", "number"], how="left", maintain_order="left")
    return joined.with_columns(pl.col("paid_by").fill_null(0))


def decide_plans(
    plans: pl.DataFrame, schedule: pl.DataFrame, payments: pl.DataFrame, as_of: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(`STATES`, `CHANGES`) of the active plans (`PLANS`) with their instalments (`SCHEDULE`) and the
    payments toward them by day (`PAYMENTS`): broken when an instalment's last day of grace is
    before D and what was paid by then does not reach what was due up to it (the first such
    instalment is the missed one); kept when what was paid by D covers every instalment; else
    pending. A plan without instalments is left out. A bounded number of frame operations whatever
    the number of plans."""
    steps = _steps(plans, schedule, payments)
    late = (pl.col("last_day") < pl.lit(as_of)) & (pl.col("paid_by") < pl.col("due_so_far"))
    missed = (
        steps.filter(late)
        .group_by("plan_id")
        .agg(pl.all().first())
        .select(
            "plan_id",
            missed_number=pl.col("number"),
            missed_due_on=pl.col("due_on"),
            missed_minor=pl.col("amount_minor"),
        )
    )
    totals = steps.group_by("plan_id").agg(due=pl.col("amount_minor").sum(), until=pl.col("last_day").max())
    by_d = (
        payments.filter(pl.col("on") <= pl.lit(as_of))
        .group_by("plan_id")
        .agg(paid_by_d=pl.col("amount_minor").sum())
    )
    paid = payments.group_by("plan_id").agg(paid_minor=pl.col("amount_minor").sum())
    status = (
        pl.when(pl.col("missed_number").is_not_null())
        .then(pl.lit("broken"))
        .when(pl.col("paid_by_d").fill_null(0) >= pl.col("due"))
        .then(pl.lit("kept"))
        .otherwise(pl.lit("pending"))
    )
    reasons = {"kept": "plan_kept", "broken": "plan_instalment_missed"}
    found = (
        plans.select(KEYS)
        .join(totals, on="plan_id")
        .join(missed, on="plan_id", how="left")
        .join(by_d, on="plan_id", how="left")
        .join(paid, on="plan_id", how="left")
        .with_columns(status=status, paid_minor=pl.col("paid_minor").fill_null(0))
        .with_columns(reason=pl.col("status").replace_strict(reasons, default=None, return_dtype=pl.String))
        .sort("plan_id")
    )
    decided = found.filter(pl.col("status") != "pending")
    return found.select(list(STATES)), decided.select(list(CHANGES))


def plan_until(items: pl.DataFrame, states: pl.DataFrame, covered: pl.DataFrame) -> pl.Series:
    """Each item's last day of pause: the latest `until` of the plans still pending on D that cover
    it; null when none."""
    pending = states.filter(pl.col("status") == "pending").select("plan_id", "until")
    latest = covered.join(pending, on="plan_id").group_by("item_id").agg(pl.col("until").max())
    joined = items.select("item_id").join(latest, on="item_id", how="left", maintain_order="left")
    return joined["until"].alias("plan_until")


def plan_broken_on(groups: pl.DataFrame, broken: pl.DataFrame, today: pl.DataFrame, as_of: date) -> pl.Series:
    """Each group's latest day a plan of it broke: on an earlier run (`broken`, `BROKEN`) or today
    (`today`: the day's changes)."""
    now = today.filter(pl.col("status") == "broken").select(*GROUP, broken_on=pl.lit(as_of))
    latest = pl.concat([broken, now]).group_by(GROUP).agg(pl.col("broken_on").max())
    joined = groups.select(GROUP).join(latest, on=GROUP, how="left", maintain_order="left")
    return joined["broken_on"].alias("plan_broken_on")
