"""Tables of the workspace: what people record about a customer between runs, and what the
application tells them.

- `workspace_codes`: outcome and reason codes an admin added (the built-in ones live in code, with
  their labels in the catalogs); labels in the three languages.
- `activities` (+ `activity_attachments`): a call, visit, e-mail, chat, meeting or note, with its
  outcome, the reason the customer gave and a follow-up date — the customer's story.
- `promises` (+ `promise_items`): a promise to pay an amount by a date, over chosen invoices (none:
  the customer's whole balance in the currency). Its state is decided by the run (pure rule, reason
  code), never by a request.
- `disputes`: a disputed amount of an invoice with its reason, owner, age and resolution.
- `alerts`: an internal message to one user (the account owner, a manager), de-duplicated by key.

The run's tasks (calls, visits, legal reviews) are `delivery.models.Task`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class WorkspaceCode(Base):
    """An outcome (`kind = outcome`) or overdue reason (`kind = reason`) an admin added."""

    __tablename__ = "workspace_codes"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # outcome | reason
    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    label_zh_cn: Mapped[str] = mapped_column(String(100))
    label_zh_tw: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Activity(Base):
    """One contact or note. `at` is when it happened (a person may log a call afterwards);
    `follow_up_on` is the date the collector will come back (outcome `call_back`)."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_customer_at", "customer_id", "at"),
        Index("ix_activities_actor_at", "actor", "at"),
        Index("ix_activities_follow_up_on", "follow_up_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))  # call | visit | email | chat | meeting | note
    channel: Mapped[str | None] = mapped_column(String(20))  # phone, wechat, dingtalk, …
    outcome: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_seconds: Mapped[int | None]
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActivityAttachment(Base):
    """A file kept as evidence with its SHA-256 (size and type checked when it is added)."""

    __tablename__ = "activity_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Promise(Base):
    """A promise to pay `amount_minor` by `due_on`. `status`: pending → kept | partial | broken, or
    cancelled; `decided_on` and `reason` (a code) say when and why it left pending, `paid_minor`
    what had been paid toward it then, `decided_run_id` the run that decided it (a revert of that
    run puts it back to pending)."""

    __tablename__ = "promises"
    __table_args__ = (
        Index("ix_promises_customer_status", "customer_id", "status"),
        Index("ix_promises_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    made_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    grace_days: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    decided_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(40))
    decided_run_id: Mapped[int | None] = mapped_column(index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PromiseItem(Base):
    """An invoice a promise covers."""

    __tablename__ = "promise_items"

    promise_id: Mapped[int] = mapped_column(ForeignKey("promises.id", ondelete="CASCADE"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Dispute(Base):
    """An amount of one invoice the customer disputes. `status`: open | resolved; `outcome`:
    credit_note | rejected | withdrawn; a credit note resolution names the credit note it made."""

    __tablename__ = "disputes"
    __table_args__ = (Index("ix_disputes_status_opened_at", "status", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    outcome: Mapped[str | None] = mapped_column(String(12))
    resolved_minor: Mapped[int | None] = mapped_column(BigInteger)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id", ondelete="SET NULL"))
    owner: Mapped[str | None] = mapped_column(String(100))
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Alert(Base):
    """An internal alert to one user. `kind` and `params` (JSON) are said in the reader's language
    when read; `key` makes raising the same alert twice (a second run the same day) a no-op."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("recipient", "key", name="uq_alerts_recipient_key"),
        Index("ix_alerts_recipient_created_at", "recipient", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    params: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Waiver(Base):
    """A fee or interest item of a run, waived in whole or in part (migration 0019). `status`:
    pending (above the approval threshold, waiting for a manager) | applied | rejected; an applied
    waiver names the credit note that reversed the amount in the ledger. `plan_id` (migration 0036)
    names the instalment plan it was asked with: decided with that plan, not on its own."""

    __tablename__ = "waivers"
    __table_args__ = (Index("ix_waivers_status_requested_at", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id", ondelete="SET NULL"))
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"), index=True)


WORKSPACE_CODES = cast(Table, WorkspaceCode.__table__)
ACTIVITIES = cast(Table, Activity.__table__)
ACTIVITY_ATTACHMENTS = cast(Table, ActivityAttachment.__table__)
PROMISES = cast(Table, Promise.__table__)
PROMISE_ITEMS = cast(Table, PromiseItem.__table__)
DISPUTES = cast(Table, Dispute.__table__)
ALERTS = cast(Table, Alert.__table__)
WAIVERS = cast(Table, Waiver.__table__)
