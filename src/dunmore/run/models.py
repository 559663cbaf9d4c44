"""Tables of the dunning run: policy versions, runs, notices and their items, reminder records and
group state (the delivery outbox is in `dunmore.delivery.models`). Fee and interest items are rows of
`invoices` (kind fee/interest).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base, partial


class PolicyVersion(Base):
    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Run(Base):
    """A committed run. `sequence` is unique: of two runs committing at once, one wins."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(unique=True)
    as_of: Mapped[date] = mapped_column(Date)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    notices: Mapped[int] = mapped_column(default=0)
    # committed | reverted (`dunmore run revert`: its effects undone, its record kept)
    status: Mapped[str] = mapped_column(String(20), default="committed", server_default="committed")
    reverted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notice(Base):
    __tablename__ = "notices"
    # Runs find notices by run; what waits for approval is looked up by status, and it is few.
    __table_args__ = (
        Index("ix_notices_group", "customer_id", "currency"),
        Index("ix_notices_pending", "status", **partial("status = 'pending_approval'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(10))  # reminder | level
    step: Mapped[str] = mapped_column(String(100))
    policy: Mapped[str] = mapped_column(String(100))
    level: Mapped[int | None]
    fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    interest_charge_minor: Mapped[int | None] = mapped_column(BigInteger)
    # committed | pending_approval | approved | rejected | reverted
    status: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # A rejection stands (the run holds its group at its step) until reopened.
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopened_by: Mapped[str | None] = mapped_column(String(100))


class NoticeItem(Base):
    """What a notice listed: one row per (notice, item), stored in that key's order (on SQLite a
    table without rowid, so a notice's items lie together and no separate index is written; on
    PostgreSQL partitioned by notice id, a partition per run: `store.partitions`)."""

    __tablename__ = "notice_items"
    __table_args__ = ({"sqlite_with_rowid": False, "postgresql_partition_by": "RANGE (notice_id)"},)

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    level: Mapped[int]
    days_past_due: Mapped[int]
    open_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)


class ReminderRecord(Base):
    """A reminder step an item had: sent, or skipped because it came in too late for it."""

    __tablename__ = "reminder_records"
    __table_args__ = (UniqueConstraint("invoice_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class DunningGroup(Base):
    """State of a (customer, currency) group between runs; see docs/design/dunning-run.md."""

    __tablename__ = "dunning_groups"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    last_level_notice: Mapped[date | None] = mapped_column(Date)
    fee_levels: Mapped[str] = mapped_column(String(200), default="")  # ';'-separated level numbers
    episode_open: Mapped[bool] = mapped_column(default=False)


class LevelBefore(Base):
    """An invoice's level before a run (or an approval of one of its notices) raised it: what a
    revert of the run puts back. On PostgreSQL partitioned by run, a partition per run:
    `store.partitions`."""

    __tablename__ = "run_levels_before"
    __table_args__ = ({"postgresql_partition_by": "RANGE (run_id)"},)

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int]
    level_date: Mapped[date | None] = mapped_column(Date)


class GroupBefore(Base):
    """A group's state before a run (or an approval of one of its notices) changed it; `existed`
    false when the group had no row yet (a revert deletes the row the run made). On PostgreSQL
    partitioned by run, a partition per run: `store.partitions`."""

    __tablename__ = "run_groups_before"
    __table_args__ = ({"postgresql_partition_by": "RANGE (run_id)"},)

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    existed: Mapped[bool]
    last_level_notice: Mapped[date | None] = mapped_column(Date)
    fee_levels: Mapped[str] = mapped_column(String(200), default="")
    episode_open: Mapped[bool] = mapped_column(default=False)


POLICY_VERSIONS = cast(Table, PolicyVersion.__table__)
RUNS = cast(Table, Run.__table__)
NOTICES = cast(Table, Notice.__table__)
NOTICE_ITEMS = cast(Table, NoticeItem.__table__)
REMINDER_RECORDS = cast(Table, ReminderRecord.__table__)
DUNNING_GROUPS = cast(Table, DunningGroup.__table__)
LEVELS_BEFORE = cast(Table, LevelBefore.__table__)
GROUPS_BEFORE = cast(Table, GroupBefore.__table__)
