"""Tables of instalment plans (migration 0023).

- `plans`: a plan agreed with a customer over chosen open invoices of one currency. `status`:
  proposed | active → kept | broken, or cancelled. The run decides kept and broken
  (`domain.plans.plan_state`), writing `decided_on`, `reason` (a code) and `decided_run_id` (a revert
  of that run puts the plan back to active).
- `plan_items`: the invoices a plan covers.
- `plan_instalments`: the schedule (number 0: the down payment); `paid_minor` and `status`
  (pending | paid | missed) are what the run found when it decided the plan.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class Plan(Base):
    """An instalment plan; `total_minor` is the covered open amount the instalments add up to."""

    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_customer_status", "customer_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    down_payment_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    grace_days: Mapped[int]
    start_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    decided_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(40))
    decided_run_id: Mapped[int | None] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanItem(Base):
    """An invoice a plan covers."""

    __tablename__ = "plan_items"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PlanInstalment(Base):
    """One instalment of a plan."""

    __tablename__ = "plan_instalments"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(10), default="pending")


PLANS = cast(Table, Plan.__table__)
PLAN_ITEMS = cast(Table, PlanItem.__table__)
PLAN_INSTALMENTS = cast(Table, PlanInstalment.__table__)
