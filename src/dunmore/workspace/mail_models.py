"""Tables of staff mail and the calendar feed (migration 0022).

- `alert_mails`: the outbox of e-mails to staff (an alert at once, or a day's digest). A row is
  written in the transaction that raises the alert or builds the digest, and sent later by
  `workspace.staff_mail.send_due` under the claim, lease and backoff rules of `delivery.queue`; its
  `key` (unique) is the idempotency key and the Message-ID. Staff mail is not a notice to a debtor:
  the compliance guard does not apply.
- `calendar_tokens`: one private feed token per user, kept only as its SHA-256 (like API tokens);
  revoking deletes the row.

`users.email` and `users.alert_mail` (none | immediate | digest) are columns of `access.models.User`.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import DateTime, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class AlertMail(Base):
    __tablename__ = "alert_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # alert:<id> | digest:<login>:<date>
    recipient: Mapped[str] = mapped_column(String(100))  # the user's login
    address: Mapped[str] = mapped_column(String(254))
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


class CalendarToken(Base):
    __tablename__ = "calendar_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


ALERT_MAILS = cast(Table, AlertMail.__table__)
CALENDAR_TOKENS = cast(Table, CalendarToken.__table__)
