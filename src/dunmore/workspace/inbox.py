"""The alerts inbox: a user reads their own alerts, newest first, and marks them read.

Only the recipient reads an alert: every query here is bounded by `recipient = user.login`, so no
page, API call or command can show another user's alerts (an id of someone else's alert is simply
not found among theirs). Reading needs `ALERT_READ`; marking read is audited (`alert.read`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.errors import BadArgument
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import as_utc
from dunmore.workspace.alert_texts import kind_name, said
from dunmore.workspace.models import ALERTS

PAGE_SIZE = 50
PAGE_MAX = 10_000
READ_MAX = 500  # ids in one mark-read


@dataclass(frozen=True)
class AlertLine:
    """One alert as its reader sees it: the sentence in their language, the customer to open."""

    id: int
    kind: str
    kind_name: str
    text: str
    customer_code: str | None
    customer_name: str | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class AlertPage:
    rows: list[AlertLine]
    page: int
    total: int
    unread: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _mine(user: User) -> Any:
    return ALERTS.c.recipient == user.login


def unread_count(conn: Connection, *, user: User) -> int:
    """How many of the user's alerts are unread (the nav's badge): one indexed count."""
    if not user.login:
        return 0
    query = select(func.count()).select_from(ALERTS).where(_mine(user), ALERTS.c.read_at.is_(None))
    return int(conn.execute(query).scalar_one())


def list_alerts(conn: Connection, *, user: User, unread_only: bool = False, page: int = 1) -> AlertPage:
    """A page of the user's alerts, newest first, each said in the user's language."""
    require(user, Permission.ALERT_READ)
    if not 1 <= page <= PAGE_MAX:
        raise BadArgument(_m("page %(page)s: give 1 to %(max)s", page=page, max=PAGE_MAX))
    mine = _mine(user) if not unread_only else _mine(user) & ALERTS.c.read_at.is_(None)
    total = int(conn.execute(select(func.count()).select_from(ALERTS).where(mine)).scalar_one())
    query = (
        select(ALERTS, CUSTOMERS.c.external_id.label("code"), CUSTOMERS.c.name.label("customer_name"))
        .outerjoin(CUSTOMERS, CUSTOMERS.c.id == ALERTS.c.customer_id)
        .where(mine)
        .order_by(ALERTS.c.created_at.desc(), ALERTS.c.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    language = user.language.value
    rows = [_line(row, language) for row in conn.execute(query)]
    return AlertPage(rows, page, total, unread_count(conn, user=user))


def _line(row: Any, language: str) -> AlertLine:
    try:
        params = json.loads(row.params)
    except ValueError:
        params = {}
    customer = f"{row.customer_name} ({row.code})" if row.code is not None else "—"
    return AlertLine(
        id=row.id,
        kind=row.kind,
        kind_name=kind_name(row.kind, language),
        text=said(row.kind, params if isinstance(params, dict) else {}, customer=customer, language=language),
        customer_code=row.code,
        customer_name=row.customer_name,
        created_at=as_utc(row.created_at),
        read_at=None if row.read_at is None else as_utc(row.read_at),
    )


def mark_read(
    conn: Connection, *, user: User, ids: Sequence[int] | None, at: datetime, actor: str | None = None
) -> int:
    """Mark the user's alerts `ids` read (None: all of them); the number newly read. Ids of other
    users' alerts, or already read, change nothing."""
    require(user, Permission.ALERT_READ)
    if ids is not None and len(ids) > READ_MAX:
        raise BadArgument(_m("mark at most %(max)s alerts read at once, or all of them", max=READ_MAX))
    which = _mine(user) & ALERTS.c.read_at.is_(None)
    if ids is not None:
        which = which & ALERTS.c.id.in_(sorted(set(ids)))
    marking = update(ALERTS).where(which).values(read_at=at).returning(ALERTS.c.id)
    marked = list(conn.execute(marking).scalars())
    if marked:
        audit.record(conn, at=at, actor=actor or user.login, action="alert.read",
                     object=f"user:{user.login}", after={"alerts": audit.id_ranges(marked)})  # fmt: skip
    return len(marked)
