"""The customer's statements in the portal: read one (which marks it viewed), confirm it as a whole,
dispute lines of it, download it and the confirmation receipt.

The portal decides who the customer is (the link) and that a person is there (the one-time code);
the rules stay in `dunmore.statements.service` (`mark_viewed`, `confirm`, `dispute_lines`), called
here exactly as they are, in the caller's transaction. A statement of another customer is not
found — the same answer as one that does not exist — and the web layer records the attempt. Every
answer is also a note on the customer's timeline (the file attached to a dispute kept with it,
through the workspace's own attachment checks) and an alert to the collector.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, select

from dunmore.domain.money import exponent, format_minor, to_minor
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.portal import codes
from dunmore.portal.links import Access
from dunmore.portal.service import alert, note
from dunmore.statements import service as statements
from dunmore.statements.models import CONFIRMATIONS, STATEMENTS
from dunmore.statements.service import DisputedLine
from dunmore.workspace.activities import Upload

SHOWN: Final = 24  # the statements the portal lists, newest first
LINES_MAX: Final = 500


@dataclass(frozen=True)
class Summary:
    """One of the customer's statements as the list shows it."""

    id: int
    currency: str
    period_from: date
    period_to: date
    version: int
    status: str
    closing_minor: int

    @property
    def closing(self) -> str:
        return format_minor(self.closing_minor, self.currency)


@dataclass(frozen=True)
class Page:
    """One statement as the portal shows it: its content with amounts formatted, its state, whether
    it can still be answered, and the confirmation when there is one."""

    id: int
    content: dict[str, Any]
    sha256: str
    status: str
    answerable: bool
    confirmed_by: tuple[str, str, datetime] | None  # (name, title, at)


def statements_of(conn: Connection, access: Access) -> tuple[Summary, ...]:
    """The customer's statements, newest first."""
    s = STATEMENTS.c
    rows = conn.execute(
        select(s.id, s.currency, s.period_from, s.period_to, s.version, s.status, s.closing_minor)
        .where(s.customer_id == access.customer_id)
        .order_by(s.period_to.desc(), s.id.desc())
        .limit(SHOWN)
    ).all()
    return tuple(Summary(*row) for row in rows)


def chosen(conn: Connection, access: Access) -> int | None:
    """The statement the link names, else the customer's newest; None when they have none."""
    if access.statement is not None:
        return access.statement
    newest = statements_of(conn, access)
    return newest[0].id if newest else None


def _own(conn: Connection, access: Access, statement_id: int) -> Any:
    """The customer's own statement; not found for any other (another customer's included)."""
    s = STATEMENTS.c
    row = conn.execute(
        select(s.id, s.content, s.content_sha256, s.status, s.currency, s.version).where(
            s.id == statement_id, s.customer_id == access.customer_id
        )
    ).first()
    if row is None:
        raise NotFound(_m("no such statement"))
    return row


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def shown(content: dict[str, Any]) -> dict[str, Any]:
    """The content as the page shows it: its days as dates (the amounts stay in minor units)."""
    return content | {
        "period_from": _day(content["period_from"]),
        "period_to": _day(content["period_to"]),
        "as_of": _day(content["as_of"]),
        "confirm_by": _day(content["confirm_by"]),
        "lines": [line | {"on": _day(line["on"])} for line in content["lines"]],
        "open_items": [
            item
            | {
                "on": _day(item["on"]),
                "due_date": _day(item["due_date"]),
                "open_amount": str(Decimal(item["open_minor"]).scaleb(-exponent(content["currency"]))),
            }
            for item in content["open_items"]
        ],
    }


def view(conn: Connection, *, access: Access, statement_id: int, now: datetime) -> Page:
    """The customer reads their statement: the first reading marks it viewed (audited)."""
    _own(conn, access, statement_id)
    statements.mark_viewed(conn, statement_id, now)
    row = _own(conn, access, statement_id)
    k = CONFIRMATIONS.c
    signed = conn.execute(select(k.name, k.title, k.at).where(k.statement_id == statement_id)).first()
    return Page(
        row.id,
        shown(json.loads(row.content)),
        row.content_sha256,
        row.status,
        statements.answerable(conn, statement_id),
        None if signed is None else (signed.name, signed.title, signed.at),
    )


def confirm(
    conn: Connection,
    *,
    access: Access,
    code_id: int,
    statement_id: int,
    name: str,
    title: str,
    ip: str,
    user_agent: str,
    now: datetime,
    today: date,
) -> None:
    """Confirm the statement as a whole after the code checks: the signature record and its PDF
    receipt are kept (`statements.service.confirm`); the timeline and the collector are told."""
    codes.spend(conn, code_id=code_id, now=now)
    row = _own(conn, access, statement_id)
    statements.confirm(
        conn,
        statement_id,
        name=name,
        title=title,
        ip=ip or "unknown",
        user_agent=user_agent or "unknown",
        code_verified_at=now,
        at=now,
    )
    note(
        conn,
        access,
        note=f"[portal] confirms statement {row.id} (v{row.version}, SHA-256 {row.content_sha256[:12]}…) "
        f"as {name.strip()}, {title.strip()}",
        now=now,
        today=today,
    )
    alert(conn, access, "statement_confirm", str(row.id), now, statement=row.id)


@dataclass(frozen=True)
class Line:
    """A line the customer disputes, as entered: the open item, the amount, reason and comment."""

    item_id: int
    amount: Decimal
    reason: str
    comment: str


def dispute(
    conn: Connection,
    *,
    access: Access,
    code_id: int,
    statement_id: int,
    lines: list[Line],
    upload: Upload | None,
    now: datetime,
    today: date,
) -> list[int]:
    """Dispute lines of the statement after the code checks: each opens a dispute as a collector's
    would (`statements.service.dispute_lines`); the file goes on the timeline's note. The disputes."""
    codes.spend(conn, code_id=code_id, now=now)
    row = _own(conn, access, statement_id)
    if not 0 < len(lines) <= LINES_MAX:
        raise BadArgument(_m("choose the lines you dispute"), code="no_lines")
    wanted: list[DisputedLine] = [
        (line.item_id, to_minor(line.amount, row.currency), line.reason, line.comment.strip())
        for line in lines
    ]
    opened = statements.dispute_lines(conn, statement_id, wanted, now)
    references = {item["item_id"]: item["reference"] for item in json.loads(row.content)["open_items"]}
    disputes = ", ".join(map(str, opened))
    told = "; ".join(
        f"{references.get(line.item_id, line.item_id)} {line.amount} ({line.reason}) {line.comment.strip()}"
        for line in lines
    )
    note(
        conn,
        access,
        note=f"[portal] disputes lines of statement {row.id}: {told} (disputes {disputes})",
        now=now,
        today=today,
        upload=upload,
    )
    alert(conn, access, "statement_dispute", str(row.id), now, statement=row.id)
    return opened


def pdf(conn: Connection, *, access: Access, statement_id: int, receipt: bool = False) -> tuple[str, bytes]:
    """The statement's PDF as issued, or its confirmation receipt, with a file name."""
    row = _own(conn, access, statement_id)
    stem = f"statement-{access.customer}-{row.id}-v{row.version}"
    if not receipt:
        data = conn.execute(select(STATEMENTS.c.pdf).where(STATEMENTS.c.id == row.id)).scalar_one()
        return f"{stem}.pdf", bytes(data)
    k = CONFIRMATIONS.c
    found = conn.execute(select(k.receipt_pdf).where(k.statement_id == row.id)).scalar()
    if found is None:
        raise NotFound(_m("no such statement"))
    return f"{stem}-receipt.pdf", bytes(found)


def receipt(conn: Connection, *, access: Access, statement_id: int) -> dict[str, Any]:
    """The confirmation record of the customer's statement, as the receipt page shows it."""
    row = _own(conn, access, statement_id)
    k = CONFIRMATIONS.c
    signed = conn.execute(
        select(k.name, k.title, k.at, k.ip, k.user_agent, k.code_verified_at, k.receipt_sha256).where(
            k.statement_id == row.id
        )
    ).first()
    if signed is None:
        raise NotFound(_m("no such statement"))
    return {
        "id": row.id,
        "content": shown(json.loads(row.content)),
        "sha256": row.content_sha256,
        "name": signed.name,
        "title": signed.title,
        "at": signed.at,
        "ip": signed.ip,
        "user_agent": signed.user_agent,
        "code_verified_at": signed.code_verified_at,
        "receipt_sha256": signed.receipt_sha256,
    }
