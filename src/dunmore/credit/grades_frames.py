"""Grades of every customer in one vectorized pass: the scorecard's factors computed from the ledger
as of a date, their points and the grade (pure: frames and a date in, a frame out).

The factors (docs/credit.md; `grades_reference` says the same for one customer, for reading):

- the *graded invoices* are the invoices (kind `invoice`) issued and due on or before the date and
  due within the 365 days before it; an invoice's *days beyond terms* are the days from its due date
  to the date of its last payment (allocations dated on or before the date; settled outside Dunmore
  with no payment: its due date), or to the date itself while it is still open — never below 0;
- `avg_days_beyond_terms`: their days weighted by the invoices' amounts, rounded half up; amounts of
  different currencies count by their value in major units (no exchange rates: a customer billed in
  one currency, as most are, is weighted exactly);
- `max_days_beyond_terms`, `late_share` (percent of the graded invoices with days beyond terms);
- `overdue_share`: percent of the open amount of every item issued by the date that is overdue;
- `broken_promises` (promises broken or partly kept, and payment plans broken by a missed instalment,
  decided in the 365 days: `grades_inputs` reads the plans with the promises), `disputes_rejected` (resolved
  as rejected in the 365 days), `months_history` (whole months since the first invoice's issue date).

Beside the factors, for the hold rules (`limits.hold_candidates`): `overdue_days`, the days the oldest
item still open on the date is past its due date (0 when none is overdue).

Ratios are integers rounded half up, computed in 128-bit integers: the fast pass and the reference
agree to the unit, always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from dunmore.credit.scorecard import FACTORS, GRADES, NEW, Scorecard
from dunmore.domain.money import exponent

WINDOW = timedelta(days=365)
FAILED_PROMISES = ("broken", "partial")
BIG = pl.Int128

# the customer's code and the grade it has now (imported or graded earlier) ride along for `grades`
CUSTOMER_SCHEMA = {"customer_id": pl.Int64, "customer": pl.String, "before": pl.String}
INVOICE_SCHEMA = {
    "invoice_id": pl.Int64,
    "customer_id": pl.Int64,
    "kind": pl.String,
    "issue_date": pl.Date,
    "due_date": pl.Date,
    "currency": pl.String,
    "amount_minor": pl.Int64,
    "outside_minor": pl.Int64,  # settled outside Dunmore (amount above the ERP's reported open amount)
}
ALLOCATION_SCHEMA = {"invoice_id": pl.Int64, "date": pl.Date, "amount_minor": pl.Int64}
PROMISE_SCHEMA = {"customer_id": pl.Int64, "status": pl.String, "decided_on": pl.Date}
DISPUTE_SCHEMA = {"customer_id": pl.Int64, "outcome": pl.String, "resolved_on": pl.Date}


@dataclass(frozen=True)
class GradeInputs:
    """What grading reads: every customer, its invoices, their allocations, promises and disputes
    (frames of the schemas above; the pass reads the customers' ids only)."""

    customers: pl.DataFrame  # customer_id (and, as read, customer and before)
    invoices: pl.DataFrame
    allocations: pl.DataFrame
    promises: pl.DataFrame
    disputes: pl.DataFrame


def scale(currency: str) -> int:
    """Minor units → thousandths of a major unit: the weight of an amount in ratios."""
    return int(10 ** (3 - exponent(currency)))


def _half_up(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator rounded half up (both ≥ 0), 0 when the denominator is 0."""
    den = denominator.cast(BIG)
    ratio = (numerator.cast(BIG) * 2 + den) // (den * 2)
    return pl.when(den > 0).then(ratio).otherwise(0).cast(pl.Int64)


def _items(inputs: GradeInputs, as_of: date) -> pl.DataFrame:
    paid = (
        inputs.allocations.filter(pl.col("date") <= as_of)
        .group_by("invoice_id")
        .agg(pl.col("amount_minor").sum().alias("paid"), pl.col("date").max().alias("last_paid"))
    )
    currencies = inputs.invoices["currency"].unique().to_list()
    scales = {c: scale(c) for c in currencies} or {"": 1}  # an empty map would type the column as text
    items = inputs.invoices.filter(pl.col("issue_date") <= as_of).join(paid, on="invoice_id", how="left")
    open_minor = pl.col("amount_minor") - pl.col("outside_minor") - pl.col("paid").fill_null(0)
    items = items.with_columns(
        open_minor.clip(lower_bound=0).alias("open"),
        pl.col("currency").replace_strict(scales, return_dtype=pl.Int64).alias("scale"),
    )
    settled_on = (
        pl.when(pl.col("open") == 0)
        .then(pl.coalesce(pl.col("last_paid"), pl.col("due_date")))
        .otherwise(pl.lit(as_of))
    )
    days = (settled_on - pl.col("due_date")).dt.total_days().clip(lower_bound=0)
    return items.with_columns(
        days.alias("days"),
        (pl.col("amount_minor").cast(BIG) * pl.col("scale")).alias("weight"),
        (pl.col("open").cast(BIG) * pl.col("scale")).alias("open_weight"),
    )


def _terms(items: pl.DataFrame, as_of: date) -> pl.DataFrame:
    graded = items.filter(
        pl.col("kind") == "invoice", pl.col("due_date") <= as_of, pl.col("due_date") > as_of - WINDOW
    )
    return graded.group_by("customer_id").agg(
        _half_up((pl.col("days").cast(BIG) * pl.col("weight")).sum(), pl.col("weight").sum()).alias(
            "avg_days_beyond_terms"
        ),
        pl.col("days").max().alias("max_days_beyond_terms"),
        _half_up((pl.col("days") > 0).sum() * 100, pl.len()).alias("late_share"),
    )


def _exposure(items: pl.DataFrame, as_of: date) -> pl.DataFrame:
    past_due = pl.col("due_date") < as_of
    overdue = pl.when(past_due).then(pl.col("open_weight")).otherwise(0)
    late = (pl.lit(as_of) - pl.col("due_date")).dt.total_days()
    return items.group_by("customer_id").agg(
        _half_up(overdue.sum() * 100, pl.col("open_weight").sum()).alias("overdue_share"),
        pl.when(past_due & (pl.col("open") > 0)).then(late).max().alias("overdue_days"),
    )


def _history(items: pl.DataFrame, as_of: date) -> pl.DataFrame:
    first = items.filter(pl.col("kind") == "invoice").group_by("customer_id").agg(pl.col("issue_date").min())
    d = pl.col("issue_date").dt
    months = (as_of.year - d.year().cast(pl.Int64)) * 12 + (as_of.month - d.month().cast(pl.Int64))
    months = months - (d.day() > as_of.day).cast(pl.Int64)
    return first.select("customer_id", months.alias("months_history"))


def _counts(inputs: GradeInputs, as_of: date) -> list[pl.DataFrame]:
    since = as_of - WINDOW
    promises = inputs.promises.filter(
        pl.col("status").is_in(FAILED_PROMISES), pl.col("decided_on") <= as_of, pl.col("decided_on") > since
    )
    disputes = inputs.disputes.filter(
        pl.col("outcome") == "rejected", pl.col("resolved_on") <= as_of, pl.col("resolved_on") > since
    )
    return [
        promises.group_by("customer_id").agg(pl.len().cast(pl.Int64).alias("broken_promises")),
        disputes.group_by("customer_id").agg(pl.len().cast(pl.Int64).alias("disputes_rejected")),
    ]


def factor_values(inputs: GradeInputs, as_of: date) -> pl.DataFrame:
    """One row per customer: `customer_id`, each factor's value and `overdue_days` (0 when it has
    nothing to count)."""
    items = _items(inputs, as_of)
    parts = [_terms(items, as_of), _exposure(items, as_of), _history(items, as_of), *_counts(inputs, as_of)]
    frame = inputs.customers.select(pl.col("customer_id").cast(pl.Int64))
    for part in parts:
        frame = frame.join(part, on="customer_id", how="left")
    counted = (*FACTORS, "overdue_days")
    return frame.select("customer_id", *(pl.col(f).fill_null(0).cast(pl.Int64) for f in counted))


def _points(scorecard: Scorecard, factor: str) -> pl.Expr:
    bands = scorecard.bands[factor]
    expression: pl.Expr = pl.lit(0)
    for band in reversed(bands):  # built from the open band inwards: the first band that fits wins
        fits = pl.lit(True) if band.up_to is None else pl.col(factor) <= band.up_to
        expression = pl.when(fits).then(pl.lit(band.points)).otherwise(expression)
    return expression.cast(pl.Int64).alias(f"{factor}_points")


def _grade(scorecard: Scorecard) -> pl.Expr:
    expression: pl.Expr = pl.lit("D")
    for grade in reversed(GRADES):
        earned = pl.col("points") >= scorecard.grades[grade].min_points
        expression = pl.when(earned).then(pl.lit(grade)).otherwise(expression)
    return (
        pl.when(pl.col("months_history") < scorecard.min_months)
        .then(pl.lit(NEW))
        .otherwise(expression)
        .alias("grade")
    )


def grade_frame(inputs: GradeInputs, scorecard: Scorecard, as_of: date) -> pl.DataFrame:
    """Every customer's factors, their points, the total `points` and the `grade`, by customer id."""
    values = factor_values(inputs, as_of)
    scored = values.with_columns(*(_points(scorecard, f) for f in FACTORS))
    total = pl.sum_horizontal(*(pl.col(f"{f}_points") for f in FACTORS)).cast(pl.Int64).alias("points")
    return scored.with_columns(total).with_columns(_grade(scorecard)).sort("customer_id")
