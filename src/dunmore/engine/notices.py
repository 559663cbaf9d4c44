"""Notices: the reminders sent today, the level notices of the groups that rise, and their items.

A notice's `notice_sort` = (gkey × 2 + kind) × |steps| + step code orders notices as the spec does
((customer_id, currency, kind, step); "level" sorts before "reminder"), so numbering the notices is
one sort of the few notice rows. The level notices' items are the past-due items of the groups that
rise, kept in item_id order, each reading its notice number from a table indexed by group key; the
reminder notices' items (few) follow them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

import polars as pl

from dunmore.engine.frames import GROUP_CHANGES, ITEM_KIND, NOTICE_ITEMS, NOTICES, REMINDERS
from dunmore.engine.items import KINDS, Coding, eligible_items, with_level_rules
from dunmore.engine.levels import fee_levels_now
from dunmore.engine.policy_frames import names_of

LEVEL, REMINDER = 0, 1  # kind codes of notices, in the order the spec sorts them
NOTICE_COLUMNS = ["gkey", "notice_sort", "kind", "step", "level", "fee_minor", "interest_charge_minor"]
NOTICE_COLUMNS += ["pending_approval"]


def notice_sort(kind: int, steps: int) -> pl.Expr:
    return ((pl.col("gkey") * 2 + kind) * max(steps, 1) + pl.col("step")).alias("notice_sort")


def by_gkey(gkeys: pl.Series, values: pl.Series, size: int) -> pl.Expr:
    """`values` of each row's group, read from a table indexed by group key (null: no value)."""
    table = pl.Series(values=[None], dtype=values.dtype).extend_constant(None, max(size - 1, 0))
    return pl.lit(table.scatter(gkeys, values)).gather(pl.col("gkey"))


def with_level_notices(groups: pl.LazyFrame, coding: Coding) -> pl.DataFrame:
    """The groups with their level notice, if they rise: at the highest level an item rose to."""
    codes = coding.codes
    notices = groups.with_columns(level=pl.when("noticed").then(pl.col("rise_level")))
    notices = notices.with_columns(
        step=codes.per_level(codes.step, pl.Int64),
        fee=codes.fee(),
        charge_interest=codes.per_level(lambda p, n: p.levels[n - 1].charge_interest, pl.Boolean),
        pending_approval=codes.per_level(lambda p, n: p.levels[n - 1].requires_approval, pl.Boolean),
    )
    # Where the level charges a fee, a contract's fee clause says how much (`contract_fee_applies`).
    notices = notices.with_columns(
        fee=pl.when(pl.col("fee").is_not_null()).then(pl.coalesce("contract_fee", "fee"))
    )
    fee_due = pl.col("fee").is_not_null() & ~fee_levels_now().list.contains(pl.col("level"))
    charge = pl.col("charge_interest") & (pl.col("interest_sum") > 0)
    return notices.with_columns(
        notice_sort(LEVEL, len(codes.steps)),
        kind=pl.lit(LEVEL),
        fee_minor=pl.when(fee_due).then(pl.col("fee")),
        interest_charge_minor=pl.when(charge).then(pl.col("interest_sum")),
        fee_charged=fee_due,
    ).collect()


def reminder_candidates(items: pl.LazyFrame, coding: Coding, as_of: date) -> pl.LazyFrame:
    """Each eligible invoice not yet past due, with each reminder of its policy it has reached, the
    latest such `at`, and whether it already had that reminder. `items`: `coded_items`; the few due
    within the reminders' reach are picked by due date before anything is computed."""
    codes = coding.codes
    table = codes.reminders()
    earliest = cast(int | None, table["at"].min())
    window = (
        pl.lit(False)
        if earliest is None
        else pl.col("due_date").is_between(as_of, as_of - timedelta(earliest))
    )
    due = eligible_items(items.filter(window), coding, as_of)
    due = with_level_rules(due.filter(pl.col("eligible") & pl.col("is_invoice")), coding, as_of)
    columns = ["gkey", "item_id", "policy", "kind_code", "level", "dpd", "undisputed", "reminders_had"]
    joined = due.select(columns).join(table.lazy(), on="policy").filter(pl.col("at") <= pl.col("dpd"))
    return joined.with_columns(
        name=names_of(pl.col("step"), codes.steps),
        latest_at=pl.col("at").max().over("item_id"),
    ).with_columns(had=pl.col("reminders_had").list.contains(pl.col("name")))


def reminders(candidates: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records of sent and skipped reminders, the items that get a reminder today with its step)."""
    unhad = candidates.filter(~pl.col("had"))
    status = pl.when(pl.col("at") == pl.col("latest_at")).then(pl.lit("sent")).otherwise(pl.lit("skipped"))
    records = unhad.select("item_id", step="name", status=status).sort("item_id", "step")
    return records.cast(REMINDERS), unhad.filter(pl.col("at") == pl.col("latest_at"))


def reminder_notices(sent: pl.DataFrame, coding: Coding) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One notice per group and reminder step sent today, and the items it lists (interest 0)."""
    if sent.is_empty():
        return pl.DataFrame(), pl.DataFrame()
    sent = sent.with_columns(notice_sort(REMINDER, len(coding.codes.steps)))
    notices = (
        sent.group_by("notice_sort")
        .agg(pl.col("gkey", "step").first())
        .with_columns(
            kind=pl.lit(REMINDER),
            level=pl.lit(None, dtype=pl.Int64),
            fee_minor=pl.lit(None, dtype=pl.Int64),
            interest_charge_minor=pl.lit(None, dtype=pl.Int64),
            pending_approval=pl.lit(False),
        )
    )
    items = sent.select(
        "notice_sort", "item_id", "kind_code", "level", days_past_due="dpd", open_minor="undisputed",
        interest_minor=pl.lit(0, dtype=pl.Int64),
    )  # fmt: skip
    return notices, items


def level_notices(groups: pl.DataFrame) -> pl.DataFrame:
    """The groups' level notices (the notice columns of the groups that rise)."""
    return groups.lazy().filter("noticed").select(NOTICE_COLUMNS).collect()


def number_notices(level: pl.DataFrame, reminder: pl.DataFrame) -> pl.DataFrame:
    """Every notice in the spec's order, numbered by `notice_key`."""
    frames = [frame.select(NOTICE_COLUMNS) for frame in (level, reminder) if not frame.is_empty()]
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(["notice_key", *NOTICE_COLUMNS], pl.Int64))
    every = pl.concat(frames, how="vertical_relaxed").sort("notice_sort")
    return every.with_row_index("notice_key").with_columns(pl.col("notice_key").cast(pl.Int64))


def notice_frame(numbered: pl.DataFrame, coding: Coding) -> pl.DataFrame:
    """The notices as the run writes them: names instead of codes."""
    codes = coding.codes
    named = numbered.select(
        "notice_key",
        customer_id=coding.of_customer("customer_id"),
        currency=names_of(coding.currency(), codes.currencies),
        kind=names_of(pl.col("kind"), ["level", "reminder"]),
        step=names_of(pl.col("step"), codes.steps),
        policy=names_of(coding.of_customer("policy"), codes.names),
        level="level",
        fee_minor="fee_minor",
        interest_charge_minor="interest_charge_minor",
        pending_approval="pending_approval",
    )
    return named.cast(NOTICES)


def level_notice_items(past_due: pl.DataFrame, numbered: pl.DataFrame, size: int) -> pl.DataFrame:
    """Every eligible past-due item of a group with a level notice, with that notice's number."""
    level = numbered.filter(pl.col("kind") == LEVEL)
    keyed = past_due.lazy().with_columns(notice_key=by_gkey(level["gkey"], level["notice_key"], size))
    return keyed.filter(pl.col("notice_key").is_not_null()).select(
        "notice_key", "item_id", kind=names_of(pl.col("kind_code"), KINDS, ITEM_KIND), level="level_after",
        days_past_due="dpd", open_minor="undisputed", interest_minor="interest",
    ).collect()  # fmt: skip


def notice_items(
    level_items: pl.DataFrame, reminder_items: pl.DataFrame, numbered: pl.DataFrame
) -> pl.DataFrame:
    """All notice items: the level notices' items, then the reminder notices', each notice's items in
    item_id order (the stores and views key items by notice; none needs the rows sorted by notice)."""
    if level_items.schema != NOTICE_ITEMS:  # (a cast that changes nothing still costs a pass)
        level_items = level_items.cast(NOTICE_ITEMS)
    if reminder_items.is_empty():
        return level_items
    keys = numbered["notice_sort"].search_sorted(reminder_items["notice_sort"]).cast(pl.Int64)
    keyed = reminder_items.with_columns(notice_key=keys, kind=names_of(pl.col("kind_code"), KINDS, ITEM_KIND))
    keyed = keyed.select(list(NOTICE_ITEMS)).cast(NOTICE_ITEMS).sort("notice_key", "item_id")
    return pl.concat([level_items, keyed])


def level_changes(items: pl.DataFrame, notices: pl.DataFrame, size: int) -> pl.DataFrame:
    """(item_id, new level) of the items that rose in a notice that is not pending, by item_id."""
    applied = notices.filter(~pl.col("pending_approval"))
    rose = (
        items.lazy()
        .filter(pl.col("rise_to") > 0)
        .with_columns(
            applied=by_gkey(applied["gkey"], pl.Series([True] * applied.height, dtype=pl.Boolean), size)
        )
    )
    return rose.filter(pl.col("applied").fill_null(False)).select("item_id", level="rise_to").collect()


def group_changes(groups: pl.DataFrame, coding: Coding, as_of: date) -> pl.DataFrame:
    """The groups whose state changes today, with their whole new state, by (customer_id, currency)."""
    applied = pl.col("noticed") & ~pl.col("pending_approval").fill_null(False)
    charged = applied & pl.col("fee_charged")
    moved = applied & (pl.col("last_level_notice") != pl.lit(as_of)).fill_null(True)
    changed = pl.col("episode_changes") | moved | charged
    fees = (
        pl.when(charged).then(pl.concat_list(fee_levels_now(), pl.col("level"))).otherwise(fee_levels_now())
    )
    out = (
        groups.lazy()
        .filter(changed)
        .select(
            customer_id=coding.of_customer("customer_id"),
            currency=names_of(coding.currency(), coding.codes.currencies),
            last_level_notice=pl.when(applied).then(pl.lit(as_of)).otherwise(pl.col("last_level_notice")),
            fee_levels=fees.list.sort(),
            episode_open="has_past_due",
        )
    )
    return out.collect().cast(GROUP_CHANGES)
