"""Tables of access: users, the portfolios a user works, API tokens, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base, partial


class User(Base):
    """A person who signs in. `login` is stored in lower case, so that it is unique whatever the case."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(5))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    email: Mapped[str | None] = mapped_column(String(254))  # staff mail (workspace.staff_mail)
    alert_mail: Mapped[str] = mapped_column(String(10), default="none", server_default="none")


class UserPortfolio(Base):
    """One portfolio (`customers.portfolio`) a collector works."""

    __tablename__ = "user_portfolios"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    portfolio: Mapped[str] = mapped_column(String(64), primary_key=True)


class ApiToken(Base):
    """A bearer token of a user's, kept only as its SHA-256; revoked tokens stay, with when."""

    __tablename__ = "api_tokens"
    # A name is unique among a user's live tokens; a revoked name may be used again.
    __table_args__ = (
        Index("ix_api_tokens_live_name", "user_id", "name", unique=True, **partial("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One row of the append-only audit log. `id` is given by `dunmore.access.audit.record` (the last
    id + 1, under a lock), so ids have no gaps and a deleted row shows."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object", "id"),
        Index("ix_audit_log_actor", "actor", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


USERS = cast(Table, User.__table__)
USER_PORTFOLIOS = cast(Table, UserPortfolio.__table__)
API_TOKENS = cast(Table, ApiToken.__table__)
AUDIT_LOG = cast(Table, AuditEntry.__table__)
