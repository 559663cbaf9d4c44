"""The decisions of a partitioned run, joined into one value as if decided whole.

Each partition numbers its notices from 0 (`notice_key`); once written, a notice's key in the joined
value is its database id minus the run's first id, so keys are unique and items still find their
notice. Only what a caller reads of a committed run is kept: notices, notice items, reminders, group
changes and level changes (computed per partition while its frames are at hand, so that no
partition's snapshot stays in memory). `explain` reads the ledger afresh, never a committed run's
frames: a joined value has none.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from dunmore.engine.frames import DecisionFrames
from dunmore.errors import RunError
from dunmore.i18n import _m


def kept(decisions: DecisionFrames) -> DecisionFrames:
    """What a partitioned run keeps of a partition's decisions: the same frames, its level changes
    computed now, and no function holding on to the partition's snapshot or item frames."""
    level_changes = decisions.level_changes
    return replace(decisions, level_changes_of=lambda: level_changes, explain_frames=_no_explanation)


def joined_decisions(
    as_of: date, written: list[tuple[DecisionFrames, pl.DataFrame]]
) -> tuple[DecisionFrames, pl.Series]:
    """The partitions' decisions as one value, and each joined notice's database id in its order.
    `written` holds each partition's decisions beside its notices as written (`notice_key`,
    `notice_id`)."""
    firsts = [int(keyed["notice_id"].min()) for _, keyed in written if keyed.height]  # type: ignore[arg-type]
    first = min(firsts) if firsts else 0
    notices, items, level_changes = [], [], []
    for decisions, keyed in written:
        rekey = keyed.select("notice_key", new_key=pl.col("notice_id") - first)
        notices.append(
            _rekeyed(decisions.notices, rekey).with_columns(notice_id=pl.col("notice_key") + first)
        )
        items.append(_rekeyed(decisions.notice_items, rekey))
        level_changes.append(decisions.level_changes)
    joined_notices = pl.concat(notices).sort("notice_key")
    joined = DecisionFrames(
        as_of=as_of,
        notices=joined_notices.drop("notice_id"),
        notice_items=pl.concat(items).sort("notice_key", "item_id"),
        reminders=pl.concat([d.reminders for d, _ in written]).sort("item_id", "step"),
        group_changes=pl.concat([d.group_changes for d, _ in written]).sort("customer_id", "currency"),
        level_changes_of=lambda: pl.concat(level_changes).sort("item_id"),
        explain_frames=_no_explanation,
        promise_changes=pl.concat([d.promise_changes for d, _ in written]),
        plan_changes=pl.concat([d.plan_changes for d, _ in written]),
        next_steps=pl.concat([d.next_steps for d, _ in written]).sort("customer_id", "currency", "action"),
    )
    return joined, joined_notices["notice_id"]


def _rekeyed(frame: pl.DataFrame, rekey: pl.DataFrame) -> pl.DataFrame:
    columns = frame.columns
    return (
        frame.join(rekey, on="notice_key", how="left", maintain_order="left")
        .with_columns(notice_key="new_key")
        .select(columns)
    )


def _no_explanation() -> tuple[pl.DataFrame, pl.DataFrame]:
    raise RunError(_m("a partitioned run keeps no explanation frames: `dunmore explain` reads the ledger"))
