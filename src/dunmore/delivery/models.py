"""Tables of delivery: the outbox (`deliveries`), what happened to each delivery (`delivery_events`)
and the tasks for people that call, visit and legal-review steps create.

A delivery is written `pending` with its notice, in the run's transaction. The worker claims it
(`sending`, with a lease), passes it through the compliance guard, sends it and marks it `sent`,
keeping the proof: the content exactly as sent and its SHA-256, the idempotency key (`message_id`),
the receiving side's reply and id. Other ends: `failed` (permanent error), `dead` (transient errors
until the attempts ran out) and `cancelled` (hold, new dispute, cease-contact). See
docs/design/delivery.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final, cast

from sqlalchemy import Date, DateTime, ForeignKey, Index, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.delivery.statuses import STATUSES as STATUSES  # re-exported: where readers look
from dunmore.store.base import Base, partial

DEAD_LETTERS: Final = ("failed", "dead")


class Delivery(Base):
    __tablename__ = "deliveries"
    # Every query by status also fits ix_deliveries_due (its leading column), so status has no index
    # of its own; only the few deliveries put in a print batch are indexed by it. A notice's deliveries
    # are found by (notice_id, status), which also answers "how many of these notices' deliveries are
    # waiting" from the index alone (a collector's dashboard: ≈35k deliveries of one portfolio).
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_notice_status", "notice_id", "status"),
        Index("ix_deliveries_print_batch", "print_batch", **partial("print_batch IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(5))
    recipient: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(200))  # the idempotency key sent along
    provider_id: Mapped[str | None] = mapped_column(String(100))  # the SMS gateway's message id
    provider_status: Mapped[str | None] = mapped_column(String(30))  # from the gateway's callback
    reply: Mapped[str | None] = mapped_column(Text)  # the receiving side's answer
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # exactly as sent: MIME, SMS text, PDF
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    print_batch: Mapped[str | None] = mapped_column(String(50))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    # A delivery a next step of the run asked for (confirm_receipt, resend_invoice, …; migration 0024).
    next_step: Mapped[str | None] = mapped_column(String(30))


class DeliveryEvent(Base):
    """One thing that happened to a delivery: an attempt and its outcome, a deferral, a cancellation."""

    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempt: Mapped[int]
    # claimed | sent | transient | permanent | deferred | cancelled | retried | status
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))  # a stable code: contact_window, cap, …
    detail: Mapped[str | None] = mapped_column(Text)


class Task(Base):
    """Work for a person (a call, a visit, a legal review), with the notice it comes from."""

    __tablename__ = "tasks"
    # The worklist and the escalation read the open tasks only (migration 0021).
    __table_args__ = (Index("ix_tasks_open_due_on", "due_on", **partial("status = 'open'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), unique=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # call | visit | task
    title: Mapped[str] = mapped_column(String(300))
    brief: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The workspace: who works it (None: the customer's owner), by when, and how it ended.
    assignee: Mapped[str | None] = mapped_column(String(100))
    due_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(30))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(100))


DELIVERIES = cast(Table, Delivery.__table__)
DELIVERY_EVENTS = cast(Table, DeliveryEvent.__table__)
TASKS = cast(Table, Task.__table__)
