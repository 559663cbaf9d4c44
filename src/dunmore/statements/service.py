"""What the customer does with an issued statement, through the portal: view it, confirm it, dispute
lines of it. The portal (its signed link, its one-time code) decides who the customer is; these
functions keep the rules: which states may change, what is kept as evidence, how a disputed line
becomes a dispute exactly as a collector's would (`workspace.disputes.open_dispute`).

State of a statement: sent → viewed → confirmed | disputed; sent or viewed → lapsed when its window
ends unanswered (`statements.issue.remind`). A lapsed statement may still be confirmed or disputed
(an answer is worth having late); a confirmed or disputed one is answered once. Only the newest
version of a period can be answered: an older one was replaced. Every change is audited, by the
actor `portal:<customer code>`, in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, func, insert, select, update

from dunmore.access import audit
from dunmore.domain.money import exponent
from dunmore.errors import DunmoreError, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.statements.models import CONFIRMATIONS, STATEMENT_DISPUTES, STATEMENTS
from dunmore.statements.render import statement_html, statement_pdf
from dunmore.workspace.disputes import REASONS, open_dispute

STATUSES: Final = ("sent", "viewed", "confirmed", "disputed", "lapsed")
ANSWERABLE: Final = ("sent", "viewed", "lapsed")
TEXT_MAX: Final = 200
AGENT_MAX: Final = 500
COMMENT_MAX: Final = 2000


class StatementRefused(DunmoreError):
    """An answer a statement cannot take: answered already, replaced by a newer version, a line not
    on it, an amount above what is open."""

    code = "statement_refused"
    exit_code = 2


@dataclass(frozen=True)
class Receipt:
    """The evidence of a confirmation, as the receipt PDF prints it."""

    name: str
    title: str
    at: str
    code_verified_at: str
    ip: str
    user_agent: str


def _statement(conn: Connection, statement_id: int) -> Any:
    s, c = STATEMENTS.c, CUSTOMERS.c
    row = conn.execute(
        select(STATEMENTS, c.external_id.label("customer"))
        .join(CUSTOMERS, c.id == s.customer_id)
        .where(s.id == statement_id)
    ).first()
    if row is None:
        raise NotFound(_m("no statement %(id)s", id=statement_id))
    return row


def _answerable(conn: Connection, row: Any) -> None:
    if row.status not in ANSWERABLE:
        raise StatementRefused(
            _m("statement %(id)s is already %(status)s: it is answered once", id=row.id, status=row.status)
        )
    s = STATEMENTS.c
    newest = conn.execute(
        select(func.max(s.version)).where(
            s.customer_id == row.customer_id,
            s.currency == row.currency,
            s.period_from == row.period_from,
            s.period_to == row.period_to,
        )
    ).scalar_one()
    if newest != row.version:
        raise StatementRefused(
            _m(
                "statement %(id)s was replaced by version %(version)s: answer the newest one",
                id=row.id,
                version=newest,
            )
        )


def answerable(conn: Connection, statement_id: int) -> bool:
    """Whether the statement can still be confirmed or disputed (not answered, not replaced)."""
    try:
        _answerable(conn, _statement(conn, statement_id))
    except StatementRefused:
        return False
    return True


def _audit(conn: Connection, row: Any, action: str, at: datetime, before: Any, after: Any) -> None:
    audit.record(
        conn,
        at=at,
        actor=f"portal:{row.customer}",
        action=action,
        object=f"statement:{row.id}",
        before=before,
        after=after,
    )


def mark_viewed(conn: Connection, statement_id: int, at: datetime) -> str:
    """The customer opened the statement: `sent` becomes `viewed` (the first time only); its status."""
    row = _statement(conn, statement_id)
    if row.status != "sent":
        return str(row.status)
    s = STATEMENTS.c
    conn.execute(
        update(STATEMENTS).where(s.id == row.id, s.status == "sent").values(status="viewed", viewed_at=at)
    )
    _audit(conn, row, "statement.view", at, {"status": "sent"}, {"status": "viewed"})
    return "viewed"


def _bounded(text: str, limit: int) -> str:
    value = text.strip()
    if not value or len(value) > limit or "\x00" in value:
        raise StatementRefused(
            _m(
                "the name, title, IP address and browser of a confirmation are each given, at most %(limit)s "
                "characters",
                limit=limit,
            )
        )
    return value


def confirm(
    conn: Connection,
    statement_id: int,
    *,
    name: str,
    title: str,
    ip: str,
    user_agent: str,
    code_verified_at: datetime,
    at: datetime,
) -> bytes:
    """The customer confirms the statement as a whole (an electronic signature: typed name and title,
    the statement's hash, the time, IP address, user agent and when the one-time code was verified),
    kept as evidence; returns the PDF receipt, which is kept too."""
    row = _statement(conn, statement_id)
    _answerable(conn, row)
    receipt = Receipt(
        _bounded(name, TEXT_MAX),
        _bounded(title, TEXT_MAX),
        at.isoformat(),
        code_verified_at.isoformat(),
        _bounded(ip, 64),
        _bounded(user_agent, AGENT_MAX),
    )
    content = json.loads(row.content)
    html = statement_html(content, row.content_sha256, language=row.language, receipt=receipt)
    pdf = statement_pdf(html)
    values = {
        "statement_id": row.id,
        "name": receipt.name,
        "title": receipt.title,
        "statement_sha256": row.content_sha256,
        "at": at,
        "ip": receipt.ip,
        "user_agent": receipt.user_agent,
        "code_verified_at": code_verified_at,
        "receipt_pdf": pdf,
        "receipt_sha256": hashlib.sha256(pdf).hexdigest(),
    }
    conn.execute(insert(CONFIRMATIONS).values(values))
    s = STATEMENTS.c
    conn.execute(update(STATEMENTS).where(s.id == row.id).values(status="confirmed", decided_at=at))
    _audit(
        conn,
        row,
        "statement.confirm",
        at,
        {"status": row.status},
        {
            "status": "confirmed",
            "sha256": row.content_sha256,
            "name": receipt.name,
            "title": receipt.title,
            "ip": receipt.ip,
        },
    )
    return pdf


DisputedLine = tuple[int, int, str, str]  # (item id, amount in minor units, reason, comment)


def dispute_lines(
    conn: Connection, statement_id: int, lines: Sequence[DisputedLine], at: datetime
) -> list[int]:
    """The customer disputes single open items of the statement, each with an amount, a reason
    (`workspace.disputes.REASONS`) and a comment: each opens a dispute exactly as a collector's would
    (dunning pauses for that amount, the owner is alerted). Returns the disputes' ids."""
    row = _statement(conn, statement_id)
    _answerable(conn, row)
    if not lines or len(lines) > 500:
        raise StatementRefused(_m("name the lines you dispute (at most 500)"))
    items = {
        item["item_id"]: item for item in json.loads(row.content)["open_items"] if item["open_minor"] > 0
    }
    opened: list[int] = []
    for item_id, minor, reason, comment in lines:
        item = items.get(item_id)
        if item is None:
            raise StatementRefused(
                _m("item %(item)s is not an open item of statement %(id)s", item=item_id, id=row.id)
            )
        if reason not in REASONS or len(comment) > COMMENT_MAX:
            raise StatementRefused(
                _m(
                    "give one of the reasons %(reasons)s and a comment of at most %(max)s characters",
                    reasons=", ".join(REASONS),
                    max=COMMENT_MAX,
                )
            )
        amount = Decimal(minor).scaleb(-exponent(row.currency))
        result = open_dispute(
            conn,
            invoice=item["reference"],
            amount=amount,
            reason=reason,
            now=at,
            actor=f"portal:{row.customer}",
            note=comment.strip(),
        )
        conn.execute(insert(STATEMENT_DISPUTES).values(statement_id=row.id, dispute_id=result.dispute_id))
        opened.append(result.dispute_id)
    s = STATEMENTS.c
    conn.execute(update(STATEMENTS).where(s.id == row.id).values(status="disputed", decided_at=at))
    _audit(
        conn, row, "statement.dispute", at, {"status": row.status}, {"status": "disputed", "disputes": opened}
    )
    return opened
