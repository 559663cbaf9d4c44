"""The next steps a run took (docs/next-steps.md): one row per step, so that a step is taken once per
trigger (the snapshot reads the latest trigger dates of the committed runs' steps) and `explain`
can say why a call task or a pause happened."""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import Date, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class NextStepTaken(Base):
    """A next step of run `run_id` for a (customer, currency) group: its `action`, the rule's
    `reason`, the date of the fact that triggered it, the paused escalation's last day, and the
    notice and delivery it went out through (None: the group had no notice to send it with)."""

    __tablename__ = "next_steps"
    __table_args__ = (Index("ix_next_steps_group", "customer_id", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(30))
    trigger_on: Mapped[date] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    pause_until: Mapped[date | None] = mapped_column(Date)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id", ondelete="SET NULL"))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))


NEXT_STEPS = cast(Table, NextStepTaken.__table__)
