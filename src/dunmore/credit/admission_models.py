"""Tables of credit admission, risk signals and open orders (migration 0030).

- `credit_applications`: a customer's request for credit (a new customer) or for a higher limit: the
  facts the AR team gathered, the proposed limit and terms, and the decision. `status` draft →
  approved | rejected; whoever drafted (`drafted_by`) cannot decide.
- `credit_application_files`: financial statements and other papers, kept with their SHA-256.
- `credit_signals`: external risk signals (a lawsuit, negative news, insolvency proceedings).
- `open_orders`: the ERP's uninvoiced open orders, replaced whole by each `orders` import; they count
  in the exposure of a credit check.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, LargeBinary, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class CreditApplication(Base):
    __tablename__ = "credit_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # new | increase
    status: Mapped[str] = mapped_column(String(12), index=True)  # draft | approved | rejected
    currency: Mapped[str] = mapped_column(String(3))
    limit_minor: Mapped[int] = mapped_column(BigInteger)
    terms: Mapped[str] = mapped_column(String(100))
    registry_data: Mapped[str] = mapped_column(String(500), default="")  # company registry data, as read
    years_in_business: Mapped[int | None]
    registered_capital_minor: Mapped[int | None] = mapped_column(BigInteger)  # in `currency`
    references: Mapped[str] = mapped_column(String(1000), default="")
    report_agency: Mapped[str | None] = mapped_column(String(100))
    report_score: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(1000), default="")
    drafted_by: Mapped[str] = mapped_column(String(100))
    drafted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(500))


class CreditApplicationFile(Base):
    __tablename__ = "credit_application_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("credit_applications.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditSignal(Base):
    __tablename__ = "credit_signals"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # lawsuit | negative-news | insolvency | other
    happened_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(1000), default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OpenOrder(Base):
    __tablename__ = "open_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    ordered_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


CREDIT_APPLICATIONS = cast(Table, CreditApplication.__table__)
CREDIT_APPLICATION_FILES = cast(Table, CreditApplicationFile.__table__)
CREDIT_SIGNALS = cast(Table, CreditSignal.__table__)
OPEN_ORDERS = cast(Table, OpenOrder.__table__)
