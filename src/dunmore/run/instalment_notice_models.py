"""The instalment reminders the run wrote to customers (migration 0029).

`instalment_notices`: one row per reminder notice of kind `instalment`, naming the plan's instalment
it announces, `moment` (`before` its date or `on` it) and what the notice said: the amount still due
on the instalment and the plan's remaining balance. The unique (plan, number, moment) makes each
reminder written once whatever the run day; a revert of the run deletes its rows (its notices stay,
marked reverted), so the next run writes them again.
"""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import BigInteger, Date, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class InstalmentNotice(Base):
    """A reminder notice of one instalment of a plan, before its date or on it."""

    __tablename__ = "instalment_notices"
    __table_args__ = (UniqueConstraint("plan_id", "number", "moment"),)

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[int]
    moment: Mapped[str] = mapped_column(String(10))  # before | on
    due_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # what is still due on the instalment
    remaining_minor: Mapped[int] = mapped_column(BigInteger)  # the plan's unpaid balance


INSTALMENT_NOTICES = cast(Table, InstalmentNotice.__table__)
