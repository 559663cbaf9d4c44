"""Tables of the portal (migration 0033).

- `portal_revocations`: links that no longer open. A row names one link (`link_sha256`, the SHA-256
  of its token) or every link of a customer issued before `issued_before`. `reason`: revoked (by
  staff) | locked (five wrong one-time codes).
- `portal_codes`: one-time codes sent to the customer's contact on file, kept only as an HMAC under
  the web secret; `attempts` counts wrong entries, `used_at` a code spent (a replay is refused).
- `portal_texts` (migration 0034): the outbox of text messages to a customer's mobile phone that are
  not dunning notices (one-time codes), sent by the delivery worker through the SMS gateway under the
  claim, lease and backoff rules of `delivery.queue`; `key` is the idempotency key.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import DateTime, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class PortalRevocation(Base):
    __tablename__ = "portal_revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    link_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    issued_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PortalCode(Base):
    __tablename__ = "portal_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    link_sha256: Mapped[str] = mapped_column(String(64), index=True)
    code_hmac: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PortalText(Base):
    __tablename__ = "portal_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # portal-code:<code id>
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(5))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)


PORTAL_REVOCATIONS = cast(Table, PortalRevocation.__table__)
PORTAL_CODES = cast(Table, PortalCode.__table__)
PORTAL_TEXTS = cast(Table, PortalText.__table__)
