"""Statements as the AR team reads them: a list with their state, one statement with its lines,
answers and e-mails, and its PDF (or its confirmation receipt). Scoped to the reader's customers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, select

from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.domain.money import format_minor
from dunmore.errors import NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.statements.models import CONFIRMATIONS, STATEMENT_DISPUTES, STATEMENT_MAILS, STATEMENTS
from dunmore.store.db import as_utc

PAGE: Final = 200


@dataclass(frozen=True)
class StatementView:
    id: int
    customer: str
    customer_name: str
    currency: str
    period_from: date
    period_to: date
    version: int
    language: str
    closing_minor: int
    status: str
    issued_at: datetime
    confirm_by: date
    reminded_on: date | None
    sha256: str

    @property
    def closing(self) -> str:
        return format_minor(self.closing_minor, self.currency)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer": self.customer,
            "currency": self.currency,
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "version": self.version,
            "language": self.language,
            "closing": self.closing,
            "status": self.status,
            "issued_at": as_utc(self.issued_at).isoformat(),
            "confirm_by": self.confirm_by.isoformat(),
            "reminded_on": self.reminded_on.isoformat() if self.reminded_on else None,
            "sha256": self.sha256,
        }


def _query() -> Any:
    s, c = STATEMENTS.c, CUSTOMERS.c
    columns = [
        s.id,
        c.external_id,
        c.name,
        s.currency,
        s.period_from,
        s.period_to,
        s.version,
        s.language,
        s.closing_minor,
        s.status,
        s.issued_at,
        s.confirm_by,
        s.reminded_on,
        s.content_sha256,
    ]
    return select(*columns).join(CUSTOMERS, c.id == s.customer_id)


def listing(
    conn: Connection,
    *,
    user: User,
    status: str | None = None,
    period: tuple[date, date] | None = None,
    customer: str | None = None,
    limit: int = PAGE,
) -> list[StatementView]:
    """The newest statements first, filtered by state, period (overlapping it) and customer."""
    require(user, Permission.LEDGER_READ)
    s, c = STATEMENTS.c, CUSTOMERS.c
    query = _query().where(customer_scope(user))
    if status is not None:
        query = query.where(s.status == status)
    if period is not None:
        query = query.where(s.period_from <= period[1], s.period_to >= period[0])
    if customer is not None:
        query = query.where(c.external_id == customer)
    rows = conn.execute(query.order_by(s.id.desc()).limit(max(1, min(limit, 1000))))
    return [StatementView(*row) for row in rows]


def customer_statements(conn: Connection, *, user: User, customer: str) -> list[StatementView]:
    """A customer's statements, newest first; a customer out of the user's reach is not found."""
    require(user, Permission.LEDGER_READ)
    c = CUSTOMERS.c
    if conn.execute(select(c.id).where(c.external_id == customer, customer_scope(user))).first() is None:
        raise NotFound(
            _m("no customer %(customer)s among yours: check the customer code", customer=repr(customer))
        )
    return listing(conn, user=user, customer=customer, limit=50)


def get(conn: Connection, *, user: User, statement_id: int) -> StatementView:
    require(user, Permission.LEDGER_READ)
    row = conn.execute(_query().where(STATEMENTS.c.id == statement_id, customer_scope(user))).first()
    if row is None:
        raise NotFound(_m("no statement %(id)s among your customers' statements", id=statement_id))
    return StatementView(*row)


def detail(conn: Connection, *, user: User, statement_id: int) -> dict[str, Any]:
    """Everything about one statement: its view, content, confirmation, disputes and e-mails."""
    view = get(conn, user=user, statement_id=statement_id)
    s = STATEMENTS.c
    content = json.loads(conn.execute(select(s.content).where(s.id == statement_id)).scalar_one())
    k = CONFIRMATIONS.c
    signed = conn.execute(
        select(k.name, k.title, k.at, k.ip, k.user_agent, k.code_verified_at, k.statement_sha256).where(
            k.statement_id == statement_id
        )
    ).first()
    d = STATEMENT_DISPUTES.c
    disputes = list(conn.execute(select(d.dispute_id).where(d.statement_id == statement_id)).scalars())
    m = STATEMENT_MAILS.c
    mails = conn.execute(select(m.key, m.address, m.status, m.sent_at).where(m.statement_id == statement_id))
    return view.as_json() | {
        "content": content,
        "confirmation": None
        if signed is None
        else {
            "name": signed.name,
            "title": signed.title,
            "at": as_utc(signed.at).isoformat(),
            "ip": signed.ip,
            "user_agent": signed.user_agent,
            "code_verified_at": as_utc(signed.code_verified_at).isoformat(),
            "sha256": signed.statement_sha256,
        },
        "disputes": disputes,
        "mails": [
            {"kind": row.key.split(":")[0], "address": row.address, "status": row.status} for row in mails
        ],
    }


def pdf(conn: Connection, *, user: User, statement_id: int, receipt: bool = False) -> tuple[str, bytes]:
    """The statement's PDF as issued (or its confirmation receipt) and a file name for it."""
    view = get(conn, user=user, statement_id=statement_id)
    stem = f"statement-{view.customer}-{view.period_from.isoformat()}-{view.currency}-v{view.version}"
    if receipt:
        k = CONFIRMATIONS.c
        data = conn.execute(select(k.receipt_pdf).where(k.statement_id == statement_id)).scalar()
        if data is None:
            raise NotFound(_m("statement %(id)s is not confirmed: it has no receipt", id=statement_id))
        return f"{stem}-receipt.pdf", bytes(data)
    data = conn.execute(select(STATEMENTS.c.pdf).where(STATEMENTS.c.id == statement_id)).scalar_one()
    return f"{stem}.pdf", bytes(data)
