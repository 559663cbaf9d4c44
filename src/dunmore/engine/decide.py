"""The dunning decision, vectorised with Polars: a snapshot and a policy set in, decisions out.

Each rule of docs/design/dunning-run.md is one named column; the stages are items (what each item
would do), groups (whether a group may rise), then notices. No Python loop over customers or
items: loops here run over policies or levels, which are few.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from dunmore.domain.policy import Policy, PolicySet
from dunmore.engine.frames import (
    GROUP_CHANGES,
    LEVEL_CHANGES,
    NOTICE_ITEMS,
    NOTICES,
    REMINDERS,
    DecisionFrames,
    PolarsType,
    SnapshotFrames,
)
from dunmore.engine.policy_frames import PolicyTables, policy_tables, route_expr

GROUP = ["customer_id", "currency"]
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Keys:
    """Order-preserving integer keys, so joins and sorts run on one Int64 column, not on strings.

    `group` = customer_id × |currencies| + rank of the currency, ordered as (customer_id, currency);
    a notice's `notice_sort` = (group × 2 + kind) × |steps| + rank of the step ("level" sorts
    before "reminder"), ordered as the spec orders notices.
    """

    currencies: dict[str, int]
    steps: dict[str, int]

    @classmethod
    def of(cls, snapshot: SnapshotFrames, policies: PolicySet) -> Keys:
        codes = set(snapshot.items["currency"].unique()) | set(snapshot.groups["currency"].unique())
        names = {s.name for p in policies.policies.values() for s in (*p.reminders, *p.levels)}
        return cls({c: i for i, c in enumerate(sorted(codes))}, {n: i for i, n in enumerate(sorted(names))})

    def group(self) -> pl.Expr:
        # An empty ledger has no currency, and replace_strict with an empty mapping stays a String.
        rank = (
            pl.col("currency").replace_strict(self.currencies, return_dtype=pl.Int64)
            if self.currencies
            else pl.lit(0, dtype=pl.Int64)
        )
        return (pl.col("customer_id") * max(len(self.currencies), 1) + rank).alias("gkey")

    def notice(self, kind: str) -> pl.Expr:
        rank = pl.col("step").replace_strict(self.steps, return_dtype=pl.Int64)
        code = 0 if kind == "level" else 1
        return ((pl.col("gkey") * 2 + code) * max(len(self.steps), 1) + rank).alias("notice_sort")


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


def _by_policy(policies: PolicySet, value: Callable[[Policy], int | bool], dtype: PolarsType) -> pl.Expr:
    """A per-policy scalar looked up by each row's `policy` (no join of the item frame)."""
    mapping = {name: value(policy) for name, policy in policies.policies.items()}
    return pl.col("policy").replace_strict(mapping, return_dtype=dtype)


def _interest(policies: PolicySet) -> pl.Expr:
    """Accrued to D, rounded half-up once per item, less what earlier notices charged (invoices).

    Exact integers: rate = num/den, so accrued = round_half_up(minor_days × num / (den × 365)),
    computed in Int128 because minor_days × num can pass 2**63.
    """
    owed_days = pl.max_horizontal(pl.col("undisputed"), 0) * pl.max_horizontal(pl.col("dpd"), 0)
    minor_days = (pl.col("paid_minor_days") + owed_days).cast(pl.Int128)
    interest: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for name, policy in policies.policies.items():
        if policy.interest_rate is None or policy.interest_rate == 0:
            continue
        num, den = policy.interest_rate.as_integer_ratio()
        accrued = _half_up_div(minor_days * num, pl.lit(den * DAYS_PER_YEAR, dtype=pl.Int128)).cast(pl.Int64)
        owed = pl.max_horizontal(accrued - pl.col("interest_charged_minor"), 0)
        interest = pl.when(pl.col("policy") == name).then(owed).otherwise(interest)
    return pl.when(pl.col("is_invoice")).then(interest).otherwise(0).alias("interest")


def _customer_columns(snapshot: SnapshotFrames, policies: PolicySet) -> pl.DataFrame:
    """Each item's policy and customer hold, aligned with the items (a join of one column)."""
    customers = snapshot.customers.select(
        "customer_id", route_expr(policies), customer_on_hold=pl.col("on_hold")
    )
    looked = snapshot.items.select("customer_id").join(
        customers, on="customer_id", how="left", maintain_order="left"
    )
    return looked.drop("customer_id")


def _evaluate_items(snapshot: SnapshotFrames, policies: PolicySet, keys: Keys) -> pl.DataFrame:
    as_of = pl.lit(snapshot.as_of)
    items = snapshot.items.drop("reminders_had").hstack(_customer_columns(snapshot, policies)).lazy()
    items = items.with_columns(
        keys.group(),
        dpd=(as_of - pl.col("due_date")).dt.total_days(),
        undisputed=pl.col("open_minor") - pl.col("disputed_minor"),
        is_invoice=pl.col("kind") == "invoice",
        item_not_on_hold=~pl.col("on_hold"),
        customer_not_on_hold=~pl.col("customer_on_hold"),
        min_days=_by_policy(policies, lambda p: p.min_days_between_notices, pl.Int64),
        allow_skip=_by_policy(policies, lambda p: p.allow_skip, pl.Boolean),
    ).with_columns(
        eligible=(pl.col("undisputed") > 0) & pl.col("item_not_on_hold") & pl.col("customer_not_on_hold"),
        target=_target_level(policies),
        not_risen_today=pl.col("level_date").is_null() | (pl.col("level_date") != as_of),
    )
    skip_to = pl.when(pl.col("allow_skip")).then(pl.col("target"))
    rises_to = skip_to.otherwise(pl.min_horizontal(pl.col("target"), pl.col("level") + 1))
    items = items.with_columns(past_due=pl.col("eligible") & (pl.col("dpd") > 0), new_level=rises_to)
    would_rise = pl.col("past_due") & pl.col("is_invoice") & (pl.col("new_level") > pl.col("level"))
    return items.with_columns(
        would_rise=would_rise & pl.col("not_risen_today"), interest=_interest(policies)
    ).collect()


def _evaluate_groups(
    items: pl.DataFrame, snapshot: SnapshotFrames, tables: PolicyTables, keys: Keys
) -> pl.DataFrame:
    past = pl.col("past_due")
    per_group = (
        items.lazy()
        .group_by("gkey")
        .agg(
            pl.col(*GROUP, "policy", "min_days").first(),
            balance=pl.col("undisputed").filter(past).sum(),
            has_past_due=past.any(),
        )
    )
    state = snapshot.groups.lazy().with_columns(keys.group()).drop(GROUP)
    groups = per_group.join(state, on="gkey", how="full", coalesce=True).join(
        tables.minimums.lazy(), on=["policy", "currency"], how="left"
    )
    since = (pl.lit(snapshot.as_of) - pl.col("last_level_notice")).dt.total_days()
    groups = groups.with_columns(
        has_past_due=pl.col("has_past_due").fill_null(False),
        was_open=pl.col("episode_open").fill_null(False),
        old_fee_levels=pl.col("fee_levels").fill_null(pl.lit([], dtype=pl.List(pl.Int64))),
        balance_at_least_minimum=pl.col("minimum_minor").is_null()
        | (pl.col("balance") >= pl.col("minimum_minor")),
        min_days_since_last_notice=pl.col("last_level_notice").is_null() | (since >= pl.col("min_days")),
        not_awaiting_approval=~pl.col("awaiting_approval").fill_null(False),
    )
    episode_changes = pl.col("has_past_due") != pl.col("was_open")
    no_levels = pl.lit([], dtype=pl.List(pl.Int64))
    return groups.with_columns(
        may_rise=pl.col("balance_at_least_minimum")
        & pl.col("min_days_since_last_notice")
        & pl.col("not_awaiting_approval"),
        fee_levels_now=pl.when(episode_changes).then(no_levels).otherwise(pl.col("old_fee_levels")),
    ).collect()


def _groups_from_state(groups: pl.DataFrame, snapshot: SnapshotFrames, keys: Keys) -> pl.DataFrame:
    """Customer and currency for groups known only from their state (no open item today)."""
    state = snapshot.groups.select(GROUP).with_columns(keys.group())
    named = groups.join(state, on="gkey", how="left", suffix="_state")
    return named.with_columns(
        customer_id=pl.coalesce("customer_id", "customer_id_state"),
        currency=pl.coalesce("currency", "currency_state"),
    ).drop("customer_id_state", "currency_state")


def _reminders(
    items: pl.DataFrame, snapshot: SnapshotFrames, tables: PolicyTables
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records of sent and skipped reminders, the items that get a reminder today with its step)."""
    columns = [*GROUP, "gkey", "item_id", "policy", "kind", "level", "dpd", "undisputed"]
    due = (
        items.lazy().filter(pl.col("eligible") & pl.col("is_invoice") & (pl.col("dpd") <= 0)).select(columns)
    )
    due = due.join(snapshot.items.lazy().select("item_id", "reminders_had"), on="item_id")
    joined = due.join(tables.reminders.lazy(), on="policy").filter(pl.col("at") <= pl.col("dpd"))
    candidates = joined.with_columns(
        had=pl.col("reminders_had").list.contains(pl.col("step")),
        latest_at=pl.col("at").max().over("item_id"),
    ).collect()
    sent = candidates.filter((pl.col("at") == pl.col("latest_at")) & ~pl.col("had"))
    skipped = candidates.filter((pl.col("at") < pl.col("latest_at")) & ~pl.col("had"))
    records = pl.concat(
        [
            sent.select("item_id", "step", status=pl.lit("sent")),
            skipped.select("item_id", "step", status=pl.lit("skipped")),
        ]
    )
    return records.sort("item_id", "step").cast(REMINDERS), sent


NOTICE_ITEM_COLUMNS = [
    "notice_sort",
    "item_id",
    "kind",
    "level",
    "days_past_due",
    "open_minor",
    "interest_minor",
]


def _reminder_notices(sent: pl.DataFrame, keys: Keys) -> tuple[pl.DataFrame, pl.DataFrame]:
    sent = sent.with_columns(keys.notice("reminder"))
    notices = sent.group_by("notice_sort").agg(pl.col(*GROUP, "step", "policy").first())
    notices = notices.with_columns(
        kind=pl.lit("reminder"),
        level=pl.lit(None, dtype=pl.Int64),
        fee_minor=pl.lit(None, dtype=pl.Int64),
        interest_charge_minor=pl.lit(None, dtype=pl.Int64),
        pending_approval=pl.lit(False),
    )
    items = sent.select(
        "notice_sort",
        "item_id",
        "kind",
        "level",
        days_past_due="dpd",
        open_minor="undisputed",
        interest_minor=pl.lit(0, dtype=pl.Int64),
    )
    return notices, items


def _level_notices(
    items: pl.DataFrame, groups: pl.DataFrame, tables: PolicyTables, keys: Keys
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(notices, their items, the items that rose)."""
    may = groups.filter("may_rise").select("gkey")
    slim = items.select(*GROUP, "gkey", "item_id", "policy", "kind", "level", "new_level", "dpd")
    slim = slim.with_columns(items.select("undisputed", "interest", "would_rise", "past_due"))
    risen = slim.filter("would_rise").join(may, on="gkey", how="semi")
    listed = slim.filter("past_due").join(risen.select("gkey").unique(), on="gkey", how="semi")
    level_after = pl.when(pl.col("would_rise")).then(pl.col("new_level")).otherwise(pl.col("level"))
    interest = listed.group_by("gkey").agg(interest_sum=pl.col("interest").sum())
    notices = (
        risen.group_by("gkey")
        .agg(pl.col(*GROUP, "policy").first(), level=pl.col("new_level").max())
        .join(tables.levels, on=["policy", "level"])
        .join(tables.fees, on=["policy", "level", "currency"], how="left")
        .join(groups.select("gkey", "fee_levels_now"), on="gkey")
        .join(interest, on="gkey")
        .with_columns(step=pl.col("level_step"))
        .with_columns(keys.notice("level"))
    )
    fee_due = pl.col("fee_minor").is_not_null() & ~pl.col("fee_levels_now").list.contains(pl.col("level"))
    charge = pl.col("charge_interest") & (pl.col("interest_sum") > 0)
    notices = notices.with_columns(
        kind=pl.lit("level"),
        fee_minor=pl.when(fee_due).then(pl.col("fee_minor")),
        interest_charge_minor=pl.when(charge).then(pl.col("interest_sum")),
        pending_approval=pl.col("requires_approval"),
        fee_charged=fee_due,
    )
    notice_items = listed.join(notices.select("gkey", "notice_sort"), on="gkey").select(
        "notice_sort",
        "item_id",
        "kind",
        level=level_after,
        days_past_due="dpd",
        open_minor="undisputed",
        interest_minor="interest",
    )
    return notices, notice_items, risen


def _group_changes(groups: pl.DataFrame, notices: pl.DataFrame, as_of: object) -> pl.DataFrame:
    applied = notices.filter(~pl.col("pending_approval")).select("gkey", "level", "fee_charged")
    merged = groups.join(applied, on="gkey", how="left")
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
    out = (
        merged.filter(changed)
        .sort("gkey")
        .select(
            *GROUP,
            last_level_notice="new_last",
            fee_levels="new_fees",
            episode_open="has_past_due",
        )
    )
    return out.cast(GROUP_CHANGES)


def _assemble(notices: list[pl.DataFrame], items: list[pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Number the notices in the spec's order and key their items by that number."""
    columns = [c for c in NOTICES if c != "notice_key"]
    every = pl.concat([n.select("notice_sort", *columns) for n in notices], how="vertical_relaxed")
    every = (
        every.sort("notice_sort")
        .with_row_index("notice_key")
        .with_columns(pl.col("notice_key").cast(pl.Int64))
    )
    sorts = every["notice_sort"]
    keyed = pl.concat([i.select(NOTICE_ITEM_COLUMNS) for i in items], how="vertical_relaxed")
    keyed = keyed.with_columns(notice_key=sorts.search_sorted(keyed["notice_sort"]).cast(pl.Int64))
    notice_items = keyed.select(list(NOTICE_ITEMS)).cast(NOTICE_ITEMS).sort("notice_key", "item_id")
    return every.select(list(NOTICES)).cast(NOTICES), notice_items


def decide(snapshot: SnapshotFrames, policies: PolicySet) -> DecisionFrames:
    """Decide the run for `snapshot.as_of`: reminders, level notices, fees, interest, group state."""
    tables = policy_tables(policies)
    keys = Keys.of(snapshot, policies)
    items = _evaluate_items(snapshot, policies, keys)
    groups = _groups_from_state(_evaluate_groups(items, snapshot, tables, keys), snapshot, keys)
    reminder_records, sent = _reminders(items, snapshot, tables)
    reminder_notices, reminder_items = _reminder_notices(sent, keys)
    level_notices, level_items, risen = _level_notices(items, groups, tables, keys)
    notices, notice_items = _assemble([reminder_notices, level_notices], [reminder_items, level_items])
    pending = level_notices.filter("pending_approval").select("gkey")
    level_changes = risen.join(pending, on="gkey", how="anti").select("item_id", level="new_level")
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
