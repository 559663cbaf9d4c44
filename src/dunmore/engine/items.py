"""What each item would do on D: the per-item rules of docs/design/dunning-run.md, as named columns.

Items carry integer codes, not strings: `policy` (the customer's policy), `currency` and `kind`.
A group is keyed by one dense integer `gkey = customer row × |currencies| + currency`, where the
customer row is the customer's rank by customer_id: sorting by `gkey` sorts by (customer_id,
currency), and per-group values are read back into items with `gather`, never with a join.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

import polars as pl

from dunmore.domain.policy import PolicySet
from dunmore.engine.frames import CUSTOMERS, ITEM_KINDS, SnapshotFrames
from dunmore.engine.policy_frames import PolicyCodes, codes_of

KINDS = ITEM_KINDS
INVOICE = KINDS.index("invoice")
DENSE_SLACK = 4  # a lookup table may be this many times longer than the ids it holds


def _bounds(ids: pl.Series) -> tuple[int, int]:
    return cast(int, ids.min()), cast(int, ids.max())


def _row_of(ids: pl.Series, wanted: pl.Series) -> pl.Series:
    """The row of each `wanted` id in the sorted unique `ids` (null when absent): a lookup table
    indexed by id when the ids are dense enough, else a join."""
    if ids.is_empty() or wanted.is_empty():
        return pl.Series(values=[None] * len(wanted), dtype=pl.Int64)
    low, high = _bounds(ids)
    least, most = _bounds(wanted)
    if high - low + 1 == len(ids) and low <= least and most <= high:  # ids low..high, every one there
        return (wanted - low).alias("row")
    if high - low >= DENSE_SLACK * len(ids) + 1024:
        rows = ids.to_frame("id").with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
        return wanted.to_frame("id").join(rows, on="id", how="left", maintain_order="left")["row"]
    table = pl.Series(values=[None], dtype=pl.Int64).extend_constant(None, high - low)
    table = table.scatter(ids - low, pl.int_range(0, len(ids), dtype=pl.Int64, eager=True))
    if low <= least and most <= high:  # every id within the table
        return table.gather(wanted - low)
    inside = (wanted >= low) & (wanted <= high)
    found = table.gather((wanted - low).clip(0, high - low))
    return pl.select(pl.when(pl.lit(inside)).then(pl.lit(found))).to_series()


def _customers_named(snapshot: SnapshotFrames) -> tuple[pl.DataFrame, pl.Series]:
    """(the customers sorted by customer_id, with a default row for every customer an item or a
    group names without a row of its own; each item's customer row)."""
    customers = snapshot.customers
    if not customers["customer_id"].is_sorted():
        customers = customers.sort("customer_id")
    item_customers = snapshot.items["customer_id"]
    rows = _row_of(customers["customer_id"], item_customers)
    unknown = item_customers.filter(rows.is_null()) if rows.null_count() else item_customers.clear()
    named = pl.concat([unknown, snapshot.groups["customer_id"]])
    missing = named.filter(_row_of(customers["customer_id"], named).is_null()).unique()
    if missing.is_empty():
        return customers, rows
    defaults = pl.DataFrame({"customer_id": missing}).with_columns(grade=None, tags=pl.lit([]), on_hold=False)
    customers = pl.concat([customers, defaults.cast(CUSTOMERS)]).sort("customer_id")
    return customers, _row_of(customers["customer_id"], item_customers)


@dataclass(frozen=True)
class Coding:
    """The codes of one run: the policy tables, the customers sorted by customer_id (a customer
    without a row: no grade, no tag, no hold), each item's customer row and currency code."""

    codes: PolicyCodes
    customers: pl.DataFrame  # customer_id, policy (code), customer_not_on_hold; row = customer rank
    item_rows: pl.Series
    item_currencies: pl.Series
    contract_rates: tuple[str, ...] = ()  # the distinct interest rates of contract clauses

    @classmethod
    def of(cls, snapshot: SnapshotFrames, policies: PolicySet, known: set[str]) -> Coding:
        """`known`: the policies' currencies; the group states' and the items' are added."""
        currencies, item_currencies = _currencies(
            snapshot, known | set(snapshot.groups["currency"].to_list())
        )
        codes = PolicyCodes.of(policies, currencies)
        customers, item_rows = _customers_named(snapshot)
        coded = customers.select("customer_id", policy=codes.route(), customer_not_on_hold=~pl.col("on_hold"))
        rates = snapshot.items["contract_rate"].drop_nulls().unique().sort().to_list()
        return cls(codes, coded, item_rows, item_currencies, tuple(rates))

    @property
    def width(self) -> int:
        return max(len(self.codes.currencies), 1)

    @property
    def size(self) -> int:
        """One more than the largest group key."""
        return self.customers.height * self.width

    def gkey(self, frame: pl.DataFrame) -> pl.Series:
        """The dense group key of each row of `frame` (columns customer_id, currency)."""
        row = _row_of(self.customers["customer_id"], frame["customer_id"])
        currency = frame.select(codes_of(self.codes.currencies, "currency")).to_series()
        return (row * self.width + currency).alias("gkey")

    def customer_row(self) -> pl.Expr:
        return pl.col("gkey") // self.width

    def of_customer(self, column: str) -> pl.Expr:
        """A customer column read for each row's `gkey`."""
        return pl.lit(self.customers[column]).gather(self.customer_row())

    def customer_not_on_hold(self) -> pl.Expr:
        """Each item's customer is not on hold (no lookup when no customer is on hold)."""
        free = self.customers["customer_not_on_hold"]
        return pl.lit(True) if free.all() else pl.lit(free).gather(pl.col("customer_row"))

    def currency(self) -> pl.Expr:
        return pl.col("gkey") % self.width


def _currencies(snapshot: SnapshotFrames, known: set[str]) -> tuple[set[str], pl.Series]:
    """(every currency of the run, each item's currency code): usually the known ones only."""
    codes = snapshot.items.select(codes_of(sorted(known), "currency")).to_series()
    if not codes.null_count():
        return known, codes
    every = known | set(snapshot.items.filter(codes.is_null())["currency"].unique().to_list())
    return every, snapshot.items.select(codes_of(sorted(every), "currency")).to_series()


def _days_past_due(as_of: date) -> pl.Expr:
    """`dpd = D − due_date` in calendar days, on the dates' day numbers."""
    day = pl.lit(as_of).cast(pl.Int32).cast(pl.Int64)
    return day - pl.col("due_date").cast(pl.Int32).cast(pl.Int64)


def coded_items(snapshot: SnapshotFrames, coding: Coding) -> pl.LazyFrame:
    """The snapshot's items with their group key and customer row as columns (so that a pass may
    filter rows before it computes anything)."""
    return snapshot.items.with_columns(
        gkey=coding.item_rows * coding.width + coding.item_currencies, customer_row=coding.item_rows
    ).lazy()


def eligible_items(items: pl.LazyFrame, coding: Coding, as_of: date) -> pl.LazyFrame:
    """Items (`coded_items`) with their days past due, undisputed amount and eligibility."""
    items = items.with_columns(
        dpd=_days_past_due(as_of),
        undisputed=pl.col("open_minor") - pl.col("disputed_minor"),
        is_invoice=pl.col("kind") == "invoice",
        item_not_on_hold=~pl.col("on_hold"),
        customer_not_on_hold=coding.customer_not_on_hold(),
    )
    eligible = (pl.col("undisputed") > 0) & pl.col("item_not_on_hold") & pl.col("customer_not_on_hold")
    return items.with_columns(eligible=eligible).with_columns(
        past_due=pl.col("eligible") & (pl.col("dpd") > 0)
    )


def not_promised(as_of: date) -> pl.Expr:
    """No pending promise to pay covers the item on D (D is past the pause's last day)."""
    return (pl.col("promised_until") < pl.lit(as_of)).fill_null(True)


def not_in_plan(as_of: date) -> pl.Expr:
    """No instalment plan that is not broken covers the item on D (D is past the plan's last day)."""
    return (pl.col("plan_until") < pl.lit(as_of)).fill_null(True)


def with_level_rules(items: pl.LazyFrame, coding: Coding, as_of: date) -> pl.LazyFrame:
    """Items with their policy, target and new level, whether they would rise, and their interest."""
    codes = coding.codes
    items = items.with_columns(
        policy=pl.lit(coding.customers["policy"]).gather(pl.col("customer_row")),
        kind_code=codes_of(KINDS, "kind"),
        not_risen_today=(pl.col("level_date") != pl.lit(as_of)).fill_null(True),
        not_promised=not_promised(as_of),
        not_in_plan=not_in_plan(as_of),
    ).with_columns(
        allow_skip=codes.per_policy(lambda p: p.allow_skip, pl.Boolean), target=codes.target_level()
    )
    skip_to = pl.when(pl.col("allow_skip")).then(pl.col("target"))
    items = items.with_columns(
        new_level=skip_to.otherwise(pl.min_horizontal(pl.col("target"), pl.col("level") + 1))
    )
    would_rise = pl.col("past_due") & pl.col("is_invoice") & (pl.col("new_level") > pl.col("level"))
    would_rise = would_rise & pl.col("not_risen_today") & pl.col("not_promised") & pl.col("not_in_plan")
    return items.with_columns(would_rise=would_rise, interest=codes.interest(coding.contract_rates))


def evaluate_items(snapshot: SnapshotFrames, coding: Coding) -> pl.LazyFrame:
    """Every item with all its rule columns (for `explain`)."""
    items = eligible_items(coded_items(snapshot, coding), coding, snapshot.as_of)
    return with_level_rules(items, coding, snapshot.as_of)
