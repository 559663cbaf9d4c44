"""Frame schemas of the engine's input and output, and conversions to and from `engine.model`.

The run service reads the ledger straight into `SnapshotFrames`; tests build them from model
values with `snapshot_frames`. `DecisionFrames.to_decisions` gives the value form used to compare
the engine with the reference evaluator and to print small results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, cast

import polars as pl

from dunmore.engine.model import (
    Decisions,
    GroupChange,
    ItemKind,
    LevelChange,
    NextStep,
    Notice,
    NoticeItem,
    NoticeKind,
    ReminderRecord,
    ReminderStatus,
    Snapshot,
)

PolarsType = pl.DataType | type[pl.DataType]
ITEM_KINDS = ["fee", "interest", "invoice"]  # sorted: a kind's code in the engine is its rank
ITEM_KIND = pl.Enum(ITEM_KINDS)  # a notice item's kind: one byte a row instead of a string


def _schema(columns: dict[str, PolarsType]) -> pl.Schema:
    return pl.Schema(columns)


ITEMS = _schema(
    {
        "item_id": pl.Int64,
        "customer_id": pl.Int64,
        "currency": pl.String,
        "kind": pl.String,
        "due_date": pl.Date,
        "open_minor": pl.Int64,
        "disputed_minor": pl.Int64,
        "on_hold": pl.Boolean,
        "level": pl.Int64,
        "level_date": pl.Date,
        "reminders_had": pl.List(pl.String),
        "paid_minor_days": pl.Int64,
        "interest_charged_minor": pl.Int64,
        "promised_until": pl.Date,
        "plan_until": pl.Date,
        "contract_rate": pl.String,  # the Decimal's exact text: a rate is never a float
        "contract_clause": pl.String,
        "contract_fee_minor": pl.Int64,
        "contract_fee_clause": pl.String,
    }
)
CUSTOMERS = _schema(
    {
        "customer_id": pl.Int64,
        "grade": pl.String,
        "tags": pl.List(pl.String),
        "on_hold": pl.Boolean,
    }
)
GROUPS = _schema(
    {
        "customer_id": pl.Int64,
        "currency": pl.String,
        "last_level_notice": pl.Date,
        "fee_levels": pl.List(pl.Int64),
        "episode_open": pl.Boolean,
        "awaiting_approval": pl.Boolean,
        "promise_broken_on": pl.Date,
        "plan_broken_on": pl.Date,
    }
)
REJECTIONS = _schema(
    {"customer_id": pl.Int64, "currency": pl.String, "step": pl.String, "rejected_minor": pl.Int64}
)
NOTICES = _schema(
    {
        "notice_key": pl.Int64,
        "customer_id": pl.Int64,
        "currency": pl.String,
        "kind": pl.String,
        "step": pl.String,
        "policy": pl.String,
        "level": pl.Int64,
        "fee_minor": pl.Int64,
        "interest_charge_minor": pl.Int64,
        "pending_approval": pl.Boolean,
    }
)
NOTICE_ITEMS = _schema(
    {
        "notice_key": pl.Int64,
        "item_id": pl.Int64,
        "kind": ITEM_KIND,
        "level": pl.Int64,
        "days_past_due": pl.Int64,
        "open_minor": pl.Int64,
        "interest_minor": pl.Int64,
    }
)
LEVEL_CHANGES = _schema({"item_id": pl.Int64, "level": pl.Int64})
REMINDERS = _schema({"item_id": pl.Int64, "step": pl.String, "status": pl.String})
GROUP_CHANGES = _schema(
    {
        "customer_id": pl.Int64,
        "currency": pl.String,
        "last_level_notice": pl.Date,
        "fee_levels": pl.List(pl.Int64),
        "episode_open": pl.Boolean,
    }
)


def no_rejections() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECTIONS)


def no_promise_changes() -> pl.DataFrame:
    from dunmore.engine.promises import no_changes

    return no_changes()


def no_plan_changes() -> pl.DataFrame:
    from dunmore.engine.plans import no_changes

    return no_changes()


def no_facts() -> pl.DataFrame:
    from dunmore.engine.next_steps import no_facts

    return no_facts()


def no_next_steps() -> pl.DataFrame:
    from dunmore.engine.next_steps import no_steps

    return no_steps()


@dataclass(frozen=True)
class SnapshotFrames:
    """The snapshot as frames; `rejections` (schema `REJECTIONS`): one row per (group, step) at most.
    `promise_changes` (`engine.promises.CHANGES`): the promises to pay decided on D, whose effect on
    the items and groups is already in their `promised_until` and `promise_broken_on`; the run
    writes them. `plan_changes` (`engine.plans.CHANGES`): likewise the instalment plans decided on D
    (their effect: `plan_until`, `plan_broken_on`)."""

    as_of: date
    items: pl.DataFrame
    customers: pl.DataFrame
    groups: pl.DataFrame
    rejections: pl.DataFrame = field(default_factory=no_rejections)
    promise_changes: pl.DataFrame = field(default_factory=no_promise_changes)
    plan_changes: pl.DataFrame = field(default_factory=no_plan_changes)
    facts: pl.DataFrame = field(default_factory=no_facts)  # engine.next_steps.FACTS


def _frame(rows: list[tuple[Any, ...]], schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def snapshot_frames(snapshot: Snapshot) -> SnapshotFrames:
    """The frame form of a model snapshot (sets become sorted lists)."""
    items = [
        (i.item_id, i.customer_id, i.currency, i.kind, i.due_date, i.open_minor, i.disputed_minor, i.on_hold,
         i.level, i.level_date, sorted(i.reminders_had), i.paid_minor_days, i.interest_charged_minor,
         i.promised_until, i.plan_until, None if i.contract_rate is None else str(i.contract_rate),
         i.contract_clause, i.contract_fee_minor, i.contract_fee_clause)
        for i in snapshot.items
    ]  # fmt: skip
    customers = [(c.customer_id, c.grade, sorted(c.tags), c.on_hold) for c in snapshot.customers]
    groups = [
        (
            g.customer_id,
            g.currency,
            g.last_level_notice,
            sorted(g.fee_levels),
            g.episode_open,
            g.awaiting_approval,
            g.promise_broken_on,
            g.plan_broken_on,
        )
        for g in snapshot.groups
    ]
    rejections = [(r.customer_id, r.currency, r.step, r.rejected_minor) for r in snapshot.rejections]
    return SnapshotFrames(
        snapshot.as_of,
        _frame(items, ITEMS),
        _frame(customers, CUSTOMERS),
        _frame(groups, GROUPS),
        _frame(rejections, REJECTIONS),
        facts=_facts_frame(snapshot),
    )


def _facts_frame(snapshot: Snapshot) -> pl.DataFrame:
    from dunmore.engine.next_steps import FACTS

    rows = [
        (f.customer_id, f.currency, f.emailed_on, f.answered_on, f.reason, f.reason_on, f.confirm_asked_on,
         f.reason_acted_on, f.outcome, f.outcome_on, f.outcome_acted_on)
        for f in snapshot.facts
    ]  # fmt: skip
    return _frame(rows, FACTS)


@dataclass(frozen=True)
class DecisionFrames:
    """The engine's result. `notice_items` holds each notice's items in item_id order (the notices'
    rows are not sorted among themselves).

    Built only when first read, for what the run does not write: `level_changes` (the run raises
    levels from the stored notice items), and, for `explain`, `evaluated` (every item with its rule
    columns) and `groups` (every group with its group rules)."""

    as_of: date
    notices: pl.DataFrame
    notice_items: pl.DataFrame
    reminders: pl.DataFrame
    group_changes: pl.DataFrame
    level_changes_of: Callable[[], pl.DataFrame] = field(repr=False, compare=False)
    explain_frames: Callable[[], tuple[pl.DataFrame, pl.DataFrame]] = field(repr=False, compare=False)
    promise_changes: pl.DataFrame = field(default_factory=no_promise_changes)
    plan_changes: pl.DataFrame = field(default_factory=no_plan_changes)
    next_steps: pl.DataFrame = field(default_factory=no_next_steps)  # engine.next_steps.STEPS

    @cached_property
    def level_changes(self) -> pl.DataFrame:
        """(item_id, new level) of the items that rose in a notice that is not pending, by item_id."""
        return self.level_changes_of()

    @cached_property
    def _explained(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        return self.explain_frames()

    @property
    def evaluated(self) -> pl.DataFrame:
        return self._explained[0]

    @property
    def groups(self) -> pl.DataFrame:
        return self._explained[1]

    def to_decisions(self) -> Decisions:
        return Decisions(
            as_of=self.as_of,
            notices=self._notices(),
            level_changes=tuple(LevelChange(*row) for row in self.level_changes.iter_rows()),
            reminders=tuple(
                ReminderRecord(item, step, cast(ReminderStatus, status))
                for item, step, status in self.reminders.iter_rows()
            ),
            group_changes=tuple(
                GroupChange(c, cur, last, frozenset(levels), bool(is_open))
                for c, cur, last, levels, is_open in self.group_changes.iter_rows()
            ),
            next_steps=tuple(NextStep(*row) for row in self.next_steps.iter_rows()),
        )

    def _notices(self) -> tuple[Notice, ...]:
        items_by_key: dict[int, list[NoticeItem]] = {}
        for key, item_id, kind, level, dpd, open_minor, interest in self.notice_items.iter_rows():
            entry = NoticeItem(item_id, cast(ItemKind, kind), level, dpd, open_minor, interest)
            items_by_key.setdefault(key, []).append(entry)
        return tuple(
            Notice(
                customer_id=row["customer_id"],
                currency=row["currency"],
                kind=cast(NoticeKind, row["kind"]),
                step=row["step"],
                policy=row["policy"],
                level=row["level"],
                fee_minor=row["fee_minor"],
                interest_charge_minor=row["interest_charge_minor"],
                pending_approval=row["pending_approval"],
                items=tuple(items_by_key.get(row["notice_key"], [])),
            )
            for row in self.notices.iter_rows(named=True)
        )
