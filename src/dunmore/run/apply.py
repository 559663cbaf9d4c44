"""Apply: write a run's decisions in the caller's transaction, set-based.

The effects of a level notice (level rises, fee item, interest item, spacing clock, fee level,
deliveries) live in one function, used both when a run commits and when a pending notice is
approved later, so that approval applies exactly what the run would have applied on its date.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    Integer,
    Select,
    String,
    Table,
    and_,
    column,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    update,
    values,
)

from dunmore.delivery.contact_wishes import respect_contact_wishes
from dunmore.delivery.models import DELIVERIES
from dunmore.domain.policy import PolicySet, sent_steps
from dunmore.engine.partition import Part
from dunmore.ledger.models import INVOICES, ITEM_LEVELS, RUN_ITEM_PREFIXES
from dunmore.ledger.service import reallocate
from dunmore.run.models import (
    DUNNING_GROUPS,
    GROUPS_BEFORE,
    LEVELS_BEFORE,
    NOTICE_ITEMS,
    NOTICES,
    REMINDER_RECORDS,
)
from dunmore.store.bulk import insert_frame, read_frame, refresh_statistics, upsert_frame, upsert_insert
from dunmore.store.partitions import run_partition

GROUP = ["customer_id", "currency"]
APPLIED = ("committed", "approved")


def insert_notices(conn: Connection, notices: pl.DataFrame, *, run_id: int, as_of: date) -> pl.DataFrame:
    """Insert the notices; returns them with their database `notice_id` beside `notice_key`.

    Ids are given here, from `next_id`, so that a million notices need no round trip each; only a
    committing run inserts notices, and of two committing runs only one gets past the unique run
    sequence, so the ids cannot collide.
    """
    first = next_id(conn, NOTICES)
    status = (
        pl.when(pl.col("pending_approval")).then(pl.lit("pending_approval")).otherwise(pl.lit("committed"))
    )
    keyed = notices.with_columns(notice_id=pl.col("notice_key") + first)
    rows = keyed.with_columns(status=status, run_id=pl.lit(run_id), as_of=pl.lit(as_of))
    columns = ["notice_id", "run_id", "as_of", *GROUP, "kind", "step", "policy", "level", "fee_minor"]
    insert_frame(
        conn, NOTICES, rows.select([*columns, "interest_charge_minor", "status"]).rename({"notice_id": "id"})
    )
    sync_id_sequence(conn, NOTICES)
    return keyed


def next_id(conn: Connection, table: Table) -> int:
    """The first id to give new rows of `table` by hand: past the highest, and on PostgreSQL past
    every id its sequence has given, so that an id is never given twice, not even after the highest
    rows were deleted (a demo reset): a run's notice items are partitioned by notice id there, and a
    range of ids is one run's for good (`store.partitions`)."""
    highest = conn.execute(select(func.max(table.c.id))).scalar() or 0
    if conn.dialect.name != "postgresql":
        return int(highest) + 1
    sequence = conn.execute(text(f"SELECT pg_get_serial_sequence('{table.name}', 'id')")).scalar_one()
    given = f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}"  # noqa: S608
    return max(int(highest), int(conn.execute(text(given)).scalar_one())) + 1


def sync_id_sequence(conn: Connection, table: Table) -> None:
    """After ids were given by hand, move PostgreSQL's id sequence past them, never back (SQLite
    needs nothing)."""
    if conn.dialect.name == "postgresql" and (given := next_id(conn, table) - 1) > 0:
        sequence = f"pg_get_serial_sequence('{table.name}', 'id')"  # our own table's name, never user input
        conn.execute(text(f"SELECT setval({sequence}, {given})"))


def insert_notice_items(conn: Connection, items: pl.DataFrame, keyed: pl.DataFrame) -> None:
    """Insert what each notice lists, in the table's key order (notice, item): appended, not
    scattered through the table's B-tree; on PostgreSQL into the partition of these notices' ids,
    loaded bare and keyed after (`store.partitions`)."""
    if keyed.is_empty():
        return
    rows = items.join(keyed.select("notice_key", "notice_id"), on="notice_key").sort("notice_id", "item_id")
    columns = ["notice_id", "item_id", "kind", "level", "days_past_due", "open_minor", "interest_minor"]
    ids = keyed["notice_id"]
    with run_partition(conn, NOTICE_ITEMS, int(ids.min()), int(ids.max()) + 1) as target:  # type: ignore[arg-type]
        insert_frame(conn, target, rows.select(columns))


def insert_reminder_records(conn: Connection, records: pl.DataFrame, *, run_id: int) -> None:
    rows = records.select(pl.col("item_id").alias("invoice_id"), "step", "status", run_id=pl.lit(run_id))
    insert_frame(conn, REMINDER_RECORDS, rows)


def insert_deliveries(conn: Connection, which: Any, policies: PolicySet, now: datetime) -> None:
    """One pending delivery per channel of each step of the notices `which` selects (the outbox),
    in notice order, channels in the step's order: one INSERT … SELECT, no row through Python."""
    rows = [
        (name, step.name, position, channel)
        for name, policy in policies.policies.items()
        for step in sent_steps(policy)
        for position, channel in enumerate(step.channels)
    ]
    if not rows:
        return
    channels = values(
        column("policy", String), column("step", String), column("position", Integer),
        column("channel", String), name="step_channels",
    ).data(rows).cte("step_channels")  # fmt: skip
    n, c = NOTICES.c, channels.c
    query = (
        select(n.id, c.channel, literal("pending"), literal(now, DELIVERIES.c.created_at.type))
        .select_from(NOTICES.join(channels, and_(c.policy == n.policy, c.step == n.step)))
        .where(which)
        .order_by(n.id, c.position)
    )
    columns = ["notice_id", "channel", "status", "created_at"]
    statement = insert(DELIVERIES).from_select(columns, query)
    added = conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    refresh_statistics(conn, added, DELIVERIES)
    respect_contact_wishes(conn, and_(which, DELIVERIES.c.created_at == now), now=now)


def write_group_state(
    conn: Connection, changes: pl.DataFrame, *, run_id: int, part: Part | None = None
) -> None:
    """Set the state of the changed groups (one upsert, set-based), keeping what it replaces for a
    revert of run `run_id`; `part`: the changes are of that partition's customers only."""
    _remember_groups(conn, changes, run_id=run_id, part=part)
    levels = pl.col("fee_levels").list.eval(pl.element().cast(pl.String)).list.join(";")
    upsert_frame(conn, DUNNING_GROUPS, changes.with_columns(fee_levels=levels), keys=GROUP)


_GROUP_STATE = {
    "customer_id": pl.Int64,
    "currency": pl.String,
    "last_level_notice": pl.Date,
    "fee_levels": pl.String,
    "episode_open": pl.Boolean,
}


def _remember_groups(conn: Connection, changes: pl.DataFrame, *, run_id: int, part: Part | None) -> None:
    """Keep the state of the groups `changes` is about to change, the first time run `run_id` changes
    them (an approval later changes a group its run already changed: the state before the run counts)."""
    if changes.is_empty():
        return
    g, b = DUNNING_GROUPS.c, GROUPS_BEFORE.c
    ours = true() if part is None else part.holds(g.customer_id)
    current = read_frame(conn, select(*(g[name] for name in _GROUP_STATE)).where(ours), _GROUP_STATE)
    kept_query = select(b.customer_id, b.currency).where(b.run_id == run_id)
    kept_query = kept_query.where(true() if part is None else part.holds(b.customer_id))
    kept = read_frame(conn, kept_query, {"customer_id": pl.Int64, "currency": pl.String})
    before = (
        changes.select(GROUP)
        .join(kept, on=GROUP, how="anti")
        .join(current.with_columns(existed=pl.lit(True)), on=GROUP, how="left")
    )
    rows = before.with_columns(
        run_id=pl.lit(run_id, dtype=pl.Int64),
        existed=pl.col("existed").fill_null(False),
        fee_levels=pl.col("fee_levels").fill_null(""),
        episode_open=pl.col("episode_open").fill_null(False),
    )
    with run_partition(conn, GROUPS_BEFORE, run_id, run_id + 1, staged=True) as target:
        insert_frame(conn, target, rows)


def _charge_items(conn: Connection, notices: pl.DataFrame, *, as_of: date) -> list[int]:
    """Fee and interest items (invoices of kind fee/interest, due on D); returns their customers."""
    fees = notices.filter(pl.col("fee_minor").is_not_null()).select(
        *GROUP,
        "notice_id",
        amount_minor="fee_minor",
        kind=pl.lit("fee"),
        prefix=pl.lit(RUN_ITEM_PREFIXES["fee"]),
    )
    interest = notices.filter(pl.col("interest_charge_minor").is_not_null()).select(
        *GROUP,
        "notice_id",
        amount_minor="interest_charge_minor",
        kind=pl.lit("interest"),
        prefix=pl.lit(RUN_ITEM_PREFIXES["interest"]),
    )
    charges = pl.concat([fees, interest])
    wanted = charges.select(pl.col("prefix") + pl.col("notice_id").cast(pl.String)).to_series()
    rows = charges.select(
        external_id=free_item_ids(conn, wanted),
        customer_id="customer_id",
        issue_date=pl.lit(as_of),
        due_date=pl.lit(as_of),
        currency="currency",
        amount_minor="amount_minor",
        disputed_minor=pl.lit(0, dtype=pl.Int64),
        open_minor="amount_minor",
        on_hold=pl.lit(False),
        kind="kind",
        interest_charged_minor=pl.lit(0, dtype=pl.Int64),
    )
    insert_frame(conn, INVOICES, rows)
    return rows["customer_id"].unique().to_list()


def free_item_ids(conn: Connection, wanted: pl.Series) -> pl.Series:
    """The ids the run gives its fee and interest items: `FEE-<notice id>`, unless an invoice imported
    before imports refused such ids holds it; then the first free `FEE-<notice id>-<n>`.

    Ids of items a run charged never collide (a notice id is given once), so only invoices of kind
    `invoice` with an id of the run's form are read: in a sound ledger, none.
    """
    i = INVOICES.c
    prefixes = or_(*(i.external_id.like(f"{prefix}%") for prefix in RUN_ITEM_PREFIXES.values()))
    taken = set(conn.execute(select(i.external_id).where(i.kind == "invoice", prefixes)).scalars())
    collided = wanted.filter(wanted.is_in(list(taken))).to_list()
    if not collided:
        return wanted
    return wanted.replace({name: _first_free(name, taken) for name in collided})


def _first_free(name: str, taken: set[str]) -> str:
    suffix = 1
    while f"{name}-{suffix}" in taken:
        suffix += 1
    return f"{name}-{suffix}"


def _applied_items(notices: Any) -> Any:
    """Notice items of applied (committed or approved) notices matching `notices`, beside their invoice."""
    n, ni, i = NOTICES.c, NOTICE_ITEMS.c, INVOICES.c
    return and_(notices, n.status.in_(APPLIED), ni.notice_id == n.id, ni.item_id == i.id)


def _rising(notices: Any, *columns: Any) -> Select[Any]:
    """`columns` of each invoice item of the applied notices `notices` selects whose level rises:
    the notice item's level above the item's (no `item_levels` row: level 0)."""
    n, ni, lv = NOTICES.c, NOTICE_ITEMS.c, ITEM_LEVELS.c
    listed = NOTICES.join(NOTICE_ITEMS, ni.notice_id == n.id)
    levelled = listed.outerjoin(ITEM_LEVELS, lv.invoice_id == ni.item_id)
    rises = ni.level > func.coalesce(lv.level, 0)
    return (
        select(*columns)
        .select_from(levelled)
        .where(notices, n.status.in_(APPLIED), ni.kind == "invoice", rises)
    )


def _remember_levels(conn: Connection, notices: Any, run_id: int) -> None:
    """Keep the level and level date of each invoice the notices (of run `run_id`) are about to
    raise, under their run: on PostgreSQL in the run's partition (`store.partitions`)."""
    lv, ni = ITEM_LEVELS.c, NOTICE_ITEMS.c
    query = _rising(notices, NOTICES.c.run_id, ni.item_id, func.coalesce(lv.level, 0), lv.level_date)
    with run_partition(conn, LEVELS_BEFORE, run_id, run_id + 1, staged=True) as target:
        conn.execute(insert(target).from_select(["run_id", "invoice_id", "level", "level_date"], query))


def _raise_levels(conn: Connection, notices: Any) -> None:
    """Set each invoice to the level its notice gave it, where that is higher: one INSERT … SELECT
    into the narrow `item_levels`, updating the rows of items that already had a level."""
    ni = NOTICE_ITEMS.c
    query = _rising(notices, ni.item_id, ni.level, NOTICES.c.as_of)
    statement = upsert_insert(conn.dialect.name, ITEM_LEVELS).from_select(
        ["invoice_id", "level", "level_date"], query
    )
    excluded = statement.excluded
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["invoice_id"], set_={"level": excluded.level, "level_date": excluded.level_date}
        )
    )


def _charge_interest(conn: Connection, notices: Any) -> None:
    """Add the interest a notice's interest item charged to each of its items (one statement)."""
    ni = NOTICE_ITEMS.c
    charged = and_(
        _applied_items(notices), NOTICES.c.interest_charge_minor.is_not(None), ni.interest_minor > 0
    )
    total = INVOICES.c.interest_charged_minor + ni.interest_minor
    conn.execute(update(INVOICES).where(charged).values(interest_charged_minor=total))


def uncharge_interest(conn: Connection, notices: Any) -> None:
    """Take back what `_charge_interest` added for these notices (a revert; one statement)."""
    ni = NOTICE_ITEMS.c
    charged = and_(
        _applied_items(notices), NOTICES.c.interest_charge_minor.is_not(None), ni.interest_minor > 0
    )
    total = INVOICES.c.interest_charged_minor - ni.interest_minor
    conn.execute(update(INVOICES).where(charged).values(interest_charged_minor=total))


def apply_level_effects(
    conn: Connection, notices: pl.DataFrame, *, which: Any, run_id: int, as_of: date
) -> None:
    """What applied level notices change in the ledger: levels, interest charged, fee and interest items.

    `which` selects the stored notices (of run `run_id`: its own, or approved ones); `notices` has their
    notice_id, customer_id, currency, fee_minor and interest_charge_minor. Levels and interest are
    set from the stored notice items, so a run and a later approval apply exactly the same.
    """
    _remember_levels(conn, which, run_id)
    _raise_levels(conn, which)
    _charge_interest(conn, which)
    reallocate(conn, _charge_items(conn, notices, as_of=as_of))


def notice_row(conn: Connection, notice_id: int) -> dict[str, Any] | None:
    """A stored notice, for approval."""
    row = conn.execute(select(NOTICES).where(NOTICES.c.id == notice_id)).mappings().first()
    return dict(row) if row else None
