"""Statements and their one reminder by e-mail, the statement's PDF attached, through an outbox of their
own (`statement_mails`) under the claim, lease and backoff rules every outbox shares (`delivery.queue`).

A mail is queued in the transaction that issues the statement (or reminds of it) and sent later by
`send_due` (`dunmore statements send`), each attempt in its own transaction, so that a crash re-sends
at most the mails in hand, with the same Message-ID. The texts are said in the customer's language.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, select, update

from dunmore import i18n
from dunmore.delivery import queue
from dunmore.delivery.channels.base import SendError
from dunmore.i18n import N_
from dunmore.ledger.models import CONTACTS
from dunmore.statements.models import STATEMENT_MAILS, STATEMENTS
from dunmore.store.db import as_utc, transaction
from dunmore.workspace.staff_mail import From, MailSender, Sent

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
RETRY = timedelta(minutes=1)


def recipient(conn: Connection, customer_id: int) -> tuple[str, str] | None:
    """The (address, name) statements go to: the primary contact's e-mail first, then any contact's,
    never one who asked for no e-mail; None when the customer has none."""
    c = CONTACTS.c
    query = (
        select(c.email, c.name)
        .where(c.customer_id == customer_id, c.email.is_not(None), c.email != "", c.do_not_email.is_(False))
        .order_by(c.is_primary.desc(), c.id)
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else (str(row.email), str(row.name or ""))


def _texts(kind: str, language: str, statement: Any, customer_name: str) -> tuple[str, str]:
    period = f"{statement.period_from.isoformat()} – {statement.period_to.isoformat()}"
    if kind == "reminder":
        subject = i18n.translate(
            language, N_("Reminder: your statement of account for %(period)s"), period=period
        )
    else:
        subject = i18n.translate(language, N_("Your statement of account for %(period)s"), period=period)
    body = i18n.translate(
        language,
        N_(
            "Dear %(name)s,\n\nattached is your statement of account for %(period)s in %(currency)s (version "
            "%(version)s). Please check it and confirm it, or tell us which lines you dispute, by %(by)s."
        ),
        name=customer_name,
        period=period,
        currency=statement.currency,
        version=statement.version,
        by=statement.confirm_by.isoformat(),
    )
    return subject, body


def queue_mail(conn: Connection, statement: Any, *, kind: str, customer_name: str, at: datetime) -> bool:
    """Queue the statement's e-mail (`kind` statement or reminder); False when the customer has no
    address to send it to (the statement stays issued, for the portal and for print)."""
    to = recipient(conn, statement.customer_id)
    if to is None:
        return False
    subject, body = _texts(kind, statement.language, statement, customer_name)
    values = {
        "statement_id": statement.id,
        "key": f"{kind}:{statement.id}",
        "address": to[0],
        "name": to[1] or customer_name,
        "language": statement.language,
        "subject": subject,
        "body": body,
        "status": "pending",
        "created_at": at,
        "attempts": 0,
    }
    conn.execute(insert(STATEMENT_MAILS).values(values))
    return True


def send_due(
    engine: Engine,
    *,
    channel: Callable[[], contextlib.AbstractContextManager[MailSender]],
    sender: From,
    now: Callable[[], datetime],
    worker: str = "statements",
    limit: int = 50,
) -> Sent:
    """Send the statement mails that are due, `limit` at a time until none is."""
    tally = Sent()
    with channel() as outlet:
        while True:
            with transaction(engine) as conn:
                claimed = queue.claim(
                    conn,
                    STATEMENT_MAILS,
                    now=now(),
                    worker=worker,
                    lease=LEASE,
                    limit=limit,
                    retake_all=False,
                    returning=list(STATEMENT_MAILS.c),
                )
            if not claimed:
                return tally
            for mail in claimed:
                _send_one(engine, outlet, sender, mail, now(), tally)


def _pdf(engine: Engine, statement_id: int) -> tuple[str, bytes]:
    s = STATEMENTS.c
    with engine.connect() as conn:
        row = conn.execute(
            select(s.period_from, s.currency, s.version, s.pdf).where(s.id == statement_id)
        ).one()
    name = f"statement-{row.period_from.isoformat()}-{row.currency}-v{row.version}.pdf"
    return name, bytes(row.pdf)


def _send_one(engine: Engine, outlet: MailSender, sender: From, mail: Any, at: datetime, tally: Sent) -> None:
    from dunmore.delivery.channels.email import Sender, build_email

    domain = sender.address.rpartition("@")[2] or "dunmore.invalid"
    filename, pdf = _pdf(engine, mail.statement_id)
    try:
        message = build_email(
            sender=Sender(sender.address, sender.name),
            to_address=mail.address,
            to_name=mail.name,
            subject=mail.subject,
            text=mail.body,
            html=_html(mail.body),
            message_id=f"<dunmore.statement-mail.{mail.id}@{domain}>",
            language=mail.language,
            date=as_utc(mail.created_at),
            attachments=((filename, pdf, "application/pdf"),),
        )
        receipt = outlet.send(message)
    except SendError as exc:
        status, _outcome, when = queue.after_error(
            mail.attempts, transient=exc.transient, now=at, max_attempts=MAX_ATTEMPTS, retry=RETRY
        )
        tally.retried += status == "pending"
        tally.failed += status != "pending"
        values: dict[str, Any] = {"status": status, "next_attempt_at": when, "last_error": exc.detail}
    else:
        tally.sent += 1
        values = {"status": "sent", "sent_at": at, "reply": receipt.reply, "last_error": None}
    with transaction(engine) as conn:
        m = STATEMENT_MAILS.c
        conn.execute(
            update(STATEMENT_MAILS)
            .where(and_(m.id == mail.id, m.status == "sending"))
            .values(claimed_until=None, **values)
        )


def _html(body: str) -> str:
    from html import escape

    return "".join(f"<p>{escape(line)}</p>" for line in body.split("\n") if line)
