"""Tables of statements of account (migration 0032).

- `statements`: one issued version of a customer's statement for a period in one currency. What was
  issued never changes: `content` (the canonical JSON of the lines), its `content_sha256`, the `html`
  and the `pdf` are written once; re-issuing the period writes the next `version`. Only the state
  columns move: `status` (sent → viewed → confirmed | disputed, or lapsed when the confirmation
  window passed), `viewed_at`, `decided_at`, `reminded_on`.
- `statement_confirmations`: the customer's electronic signature of one version, kept as evidence:
  typed name and title, the hash of what was confirmed, the time, IP address, user agent and when the
  one-time code was verified, with the PDF receipt given back to them.
- `statement_disputes`: the disputes opened from a statement's lines (workspace disputes).
- `statement_mails`: the outbox of statements and reminders by e-mail (the PDF attached), sent under
  the claim, lease and backoff rules of `delivery.queue`; `key` is the idempotency key.
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


class StatementVersion(Base):
    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("customer_id", "currency", "period_from", "period_to", "version"),
        Index("ix_statements_status", "status", "confirm_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    version: Mapped[int]
    language: Mapped[str] = mapped_column(String(5))
    opening_minor: Mapped[int] = mapped_column(BigInteger)
    closing_minor: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    issued_on: Mapped[date] = mapped_column(Date)  # the business day it was issued as of
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[str] = mapped_column(String(100))
    confirm_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # sent | viewed | confirmed | disputed | lapsed
    viewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_on: Mapped[date | None] = mapped_column(Date)


class StatementConfirmation(Base):
    __tablename__ = "statement_confirmations"

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    statement_sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(500))
    code_verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    receipt_pdf: Mapped[bytes] = mapped_column(LargeBinary)
    receipt_sha256: Mapped[str] = mapped_column(String(64))


class StatementDispute(Base):
    __tablename__ = "statement_disputes"

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), primary_key=True)


class StatementMail(Base):
    __tablename__ = "statement_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # statement:<id> | reminder:<id>
    address: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reply: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)


STATEMENTS = cast(Table, StatementVersion.__table__)
CONFIRMATIONS = cast(Table, StatementConfirmation.__table__)
STATEMENT_DISPUTES = cast(Table, StatementDispute.__table__)
STATEMENT_MAILS = cast(Table, StatementMail.__table__)
