"""Tables of credit grading (migration 0026).

- `scorecard_versions`: every scorecard loaded, with its text (as the dunning policy's versions).
- `grade_history`: a customer's grade as computed for a date, each factor's value and points
  (`factors`, JSON `{factor: [value, points]}`), the grade in force after any override, and the one
  before; one row per customer and date (computing a date again replaces its rows).
- `grade_overrides`: a manager's grade for a customer, with a reason, until an expiry date.
- `credit_holds`: a customer may not get new credit (orders refused by `credit check`): set by the
  grading rules, released by a manager with a reason. Not the dunning hold (`customers.on_hold`),
  which stops reminders: a customer on credit hold is still dunned. `audit_id` (migration 0038)
  names the audit row of the action that set it: for all the holds of a grading, its one
  `grades.compute` row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class ScorecardVersion(Base):
    __tablename__ = "scorecard_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    loaded_by: Mapped[str] = mapped_column(String(100))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GradeRecord(Base):
    __tablename__ = "grade_history"
    __table_args__ = (
        UniqueConstraint("customer_id", "as_of", name="uq_grade_history_customer_as_of"),
        Index("ix_grade_history_as_of", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    as_of: Mapped[date] = mapped_column(Date)
    computed: Mapped[str] = mapped_column(String(1))
    grade: Mapped[str] = mapped_column(String(1))  # in force: the override's while one lasts
    previous: Mapped[str | None] = mapped_column(String(8))
    points: Mapped[int]
    factors: Mapped[str] = mapped_column(Text)
    # two factors again as columns, read by the next gradings' early warning without parsing JSON
    days_beyond_terms: Mapped[int]
    broken_promises: Mapped[int]
    scorecard_version: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GradeOverride(Base):
    __tablename__ = "grade_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    grade: Mapped[str] = mapped_column(String(1))
    reason: Mapped[str] = mapped_column(String(500))
    expires_on: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(100))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CreditHold(Base):
    __tablename__ = "credit_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(20))  # grade | overdue
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the grade, or the days overdue
    set_on: Mapped[date] = mapped_column(Date)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(String(100))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    release_reason: Mapped[str | None] = mapped_column(String(500))
    # the audit row of the action that set the hold (null: set before migration 0038, which audited
    # each hold on its own row)
    audit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("audit_log.id"), index=True)


SCORECARD_VERSIONS = cast(Table, ScorecardVersion.__table__)
GRADE_HISTORY = cast(Table, GradeRecord.__table__)
GRADE_OVERRIDES = cast(Table, GradeOverride.__table__)
CREDIT_HOLDS = cast(Table, CreditHold.__table__)
