"""The workspace's small vocabularies, kept apart from its services so that the command line can
name them in its options without importing the database layer (see tests/unit/test_cli_startup.py)."""

from __future__ import annotations

from enum import StrEnum

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class CodeKind(StrEnum):
    """What a code answers: how the contact ended (`outcome`) or why the customer is late (`reason`)."""

    OUTCOME = "outcome"
    REASON = "reason"


class ActivityKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    EMAIL = "email"
    CHAT = "chat"
    MEETING = "meeting"
    NOTE = "note"


class Channel(StrEnum):
    PHONE = "phone"
    WECHAT = "wechat"
    DINGTALK = "dingtalk"
    EMAIL = "email"
    SMS = "sms"
    IN_PERSON = "in_person"
    OTHER = "other"
