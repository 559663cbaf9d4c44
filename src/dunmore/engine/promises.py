"""Promises to pay in the run, vectorised: today's state of every pending promise
(`domain.promises.promise_state` as Polars expressions; a property test holds them equal), then the
two snapshot columns the dunning rules read — `promised_until` per item and `promise_broken_on` per
group.
"""

from __future__ import annotations

from datetime import date

import polars as pl

PENDING = pl.Schema(
    {
        "promise_id": pl.Int64,
        "customer_id": pl.Int64,
        "currency": pl.String,
        "amount_minor": pl.Int64,
        "due_on": pl.Date,
        "grace_days": pl.Int64,
        "whole_balance": pl.Boolean,
        "paid_minor": pl.Int64,
    }
)
COVERED = pl.Schema({"promise_id": pl.Int64, "item_id": pl.Int64})
BROKEN = pl.Schema({"customer_id": pl.Int64, "currency": pl.String, "broken_on": pl.Date})
CHANGES = pl.Schema(
    {
        "promise_id": pl.Int64,
        "customer_id": pl.Int64,
        "currency": pl.String,
        "amount_minor": pl.Int64,
        "due_on": pl.Date,
        "status": pl.String,
        "reason": pl.String,
        "paid_minor": pl.Int64,
    }
)
GROUP = ["customer_id", "currency"]


def no_changes() -> pl.DataFrame:
    return pl.DataFrame(schema=CHANGES)


def deadline() -> pl.Expr:
    return pl.col("due_on") + pl.duration(days=pl.col("grace_days"))


def promise_states(pending: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Every pending promise (`PENDING`) with its `status` and `reason` on D and its `deadline`."""
    paid, amount = pl.col("paid_minor"), pl.col("amount_minor")
    late = pl.lit(as_of) > pl.col("deadline")
    status = (
        pl.when(paid >= amount)
        .then(pl.lit("kept"))
        .when(~late)
        .then(pl.lit("pending"))
        .when(paid > 0)
        .then(pl.lit("partial"))
        .otherwise(pl.lit("broken"))
    )
    reasons = {"kept": "promise_kept", "partial": "promise_partially_kept", "broken": "promise_broken"}
    return (
        pending.with_columns(deadline=deadline())
        .with_columns(status=status)
        .with_columns(reason=pl.col("status").replace_strict(reasons, default=None, return_dtype=pl.String))
    )


def changes(states: pl.DataFrame) -> pl.DataFrame:
    """The promises decided today (kept, partially kept, broken)."""
    return states.filter(pl.col("status") != "pending").select(list(CHANGES))


def promised_until(items: pl.DataFrame, states: pl.DataFrame, covered: pl.DataFrame) -> pl.Series:
    """Each item's last day of pause: the latest deadline of the promises still pending today that
    cover it (its invoices, or the whole balance of its group); null when none."""
    pending = states.filter(pl.col("status") == "pending")
    named = covered.join(pending.select("promise_id", "deadline"), on="promise_id").select(
        "item_id", "deadline"
    )
    whole = pending.filter("whole_balance").group_by(GROUP).agg(pl.col("deadline").max())
    by_group = items.select("item_id", *GROUP).join(whole, on=GROUP).select("item_id", "deadline")
    latest = pl.concat([named, by_group]).group_by("item_id").agg(pl.col("deadline").max())
    joined = items.select("item_id").join(latest, on="item_id", how="left", maintain_order="left")
    return joined["deadline"].alias("promised_until")


def promise_broken_on(
    groups: pl.DataFrame, broken: pl.DataFrame, today: pl.DataFrame, as_of: date
) -> pl.Series:
    """Each group's latest day a promise of it broke or was partly kept: on an earlier run
    (`broken`, `BROKEN`) or today (`today`: the day's changes)."""
    failed = today.filter(pl.col("status").is_in(["broken", "partial"]))
    now = failed.select(*GROUP, broken_on=pl.lit(as_of))
    latest = pl.concat([broken, now]).group_by(GROUP).agg(pl.col("broken_on").max())
    joined = groups.select(GROUP).join(latest, on=GROUP, how="left", maintain_order="left")
    return joined["broken_on"].alias("promise_broken_on")
