"""What access hands to its callers: frozen values, never database rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What a user is to the business; `dunmore.access.permissions.ROLES` says what each may do."""

    ADMIN = "admin"
    MANAGER = "manager"
    COLLECTOR = "collector"
    SALES = "sales"
    VIEWER = "viewer"


class Language(StrEnum):
    """The languages a user may read Dunmore in."""

    ZH_CN = "zh-CN"
    ZH_TW = "zh-TW"
    EN = "en"


@dataclass(frozen=True)
class User:
    """A user as services and interfaces see it (the password hash stays in the database)."""

    id: int
    login: str
    role: Role
    language: Language
    portfolios: frozenset[str]
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """An API token as it may be shown: its name and dates, never the token."""

    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown once and never stored."""

    name: str
    secret: str
