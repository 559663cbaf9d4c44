"""Instalment plans in the run's snapshot: the two columns the dunning rules read — `plan_until`
per item (the last day a plan that is not broken on D pauses it) and `plan_broken_on` per group
(the latest day a plan of the group broke) — from the plans' states on D (`domain.plans.plan_state`,
decided per plan by `run.plans`).
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


def no_changes() -> pl.DataFrame:
    return pl.DataFrame(schema=CHANGES)


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
