"""Statements and their one reminder by e-mail, the statement's PDF attached, through an outbox of their
own (`statement_mails`) under the claim, lease and backoff rules every outbox shares (`delivery.queue`).

A mail is queued in the transaction that issues the statement (or reminds of it) and sent later by
the delivery worker beside the notices (`send_batch`, `dunmore worker`), or at once by `send_due`
(`dunmore statements send`); each attempt in its own transaction, so that a crash re-sends at most the
mails in hand, with the same Message-ID. The texts are said in the customer's language; when
`delivery.portal_url` is set, the mail carries the portal link of that statement (signed when the mail
was queued, open until 30 days past the statement's confirmation day).
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
from dunmore.ledger.models import CONTACTS, CUSTOMERS
from dunmore.settings import Settings
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


def queue_text(
    conn: Connection,
    statement: Any,
    *,
    kind: str,
    customer_code: str,
    at: datetime,
    settings: Settings | None,
) -> bool:
    """Queue a text message with the portal link of the statement (`kind` statement or reminder) to
    the customer's mobile number, for a customer the e-mail does not reach; False when there is no
    mobile number, or no portal address (`delivery.portal_url`) to send."""
    from dunmore.portal import codes, links, texts

    base = settings.delivery.portal_url if settings is not None else None
    if settings is None or not base or "{token}" not in base:
        return False
    phone = codes.contact_phone(conn, statement.customer_id)
    key = links.signing_key(conn, settings)
    if phone is None or key is None:
        return False
    days = max(1, min(links.MAX_DAYS, (statement.confirm_by - at.date()).days + 30))
    token = links.sign_token(key, customer=customer_code, issued=at, days=days, statement=statement.id)
    reminder = N_(
        "Reminder: please confirm your statement of account for %(period)s, or dispute its lines, by "
        "%(by)s: %(url)s"
    )
    first = N_(
        "Your statement of account for %(period)s is ready. Please confirm it, or dispute its lines, by "
        "%(by)s: %(url)s"
    )
    said = reminder if kind == "reminder" else first
    text = i18n.translate(
        statement.language,
        said,
        period=f"{statement.period_from.isoformat()} – {statement.period_to.isoformat()}",
        by=statement.confirm_by.isoformat(),
        url=links.url_of(settings, token),
    )
    texts.queue_text(conn, key=f"{kind}:{statement.id}", customer_id=statement.customer_id, phone=phone,
                     language=statement.language, text=text, at=at)  # fmt: skip
    return True


def send_due(
    engine: Engine,
    *,
    channel: Callable[[], contextlib.AbstractContextManager[MailSender]],
    sender: From,
    now: Callable[[], datetime],
    worker: str = "statements",
    limit: int = 50,
    settings: Settings | None = None,
) -> Sent:
    """Send the statement mails that are due, `limit` at a time until none is."""
    tally = Sent()
    with channel() as outlet:
        while send_batch(
            engine,
            outlet=outlet,
            sender=sender,
            now=now,
            worker=worker,
            limit=limit,
            tally=tally,
            settings=settings,
        ):
            pass
    return tally


def send_batch(
    engine: Engine,
    *,
    outlet: MailSender,
    sender: From,
    now: Callable[[], datetime],
    worker: str,
    limit: int,
    tally: Sent,
    retake_all: bool = False,
    settings: Settings | None = None,
) -> int:
    """Claim and send one batch of due statement mail (`dunmore worker` calls this beside the notices);
    how many were claimed."""
    with transaction(engine) as conn:
        claimed = queue.claim(
            conn,
            STATEMENT_MAILS,
            now=now(),
            worker=worker,
            lease=LEASE,
            limit=limit,
            retake_all=retake_all,
            returning=list(STATEMENT_MAILS.c),
        )
    for mail in claimed:
        _send_one(engine, outlet, sender, mail, now(), tally, settings)
    return len(claimed)


def _statement(engine: Engine, statement_id: int) -> Any:
    s = STATEMENTS.c
    with engine.connect() as conn:
        return conn.execute(
            select(s.id, s.period_from, s.currency, s.version, s.pdf, s.confirm_by, CUSTOMERS.c.external_id)
            .join(CUSTOMERS, CUSTOMERS.c.id == s.customer_id)
            .where(s.id == statement_id)
        ).one()


def portal_link(engine: Engine, settings: Settings | None, row: Any, queued: datetime) -> str | None:
    """The link opening the portal on this statement, when `delivery.portal_url` is set."""
    from dunmore.portal import links

    base = settings.delivery.portal_url if settings is not None else None
    if settings is None or not base or "{token}" not in base:
        return None
    with engine.connect() as conn:
        key = links.signing_key(conn, settings)
    if key is None:
        return None
    issued = as_utc(queued)
    days = max(1, min(links.MAX_DAYS, (row.confirm_by - issued.date()).days + 30))
    token = links.sign_token(key, customer=row.external_id, issued=issued, days=days, statement=row.id)
    return links.url_of(settings, token)


def _send_one(
    engine: Engine,
    outlet: MailSender,
    sender: From,
    mail: Any,
    at: datetime,
    tally: Sent,
    settings: Settings | None = None,
) -> None:
    from dunmore.delivery.channels.email import Sender, build_email

    domain = sender.address.rpartition("@")[2] or "dunmore.invalid"
    row = _statement(engine, mail.statement_id)
    filename = f"statement-{row.period_from.isoformat()}-{row.currency}-v{row.version}.pdf"
    text = mail.body
    if (url := portal_link(engine, settings, row, mail.created_at)) is not None:
        text += "\n\n" + i18n.translate(
            mail.language, N_("Confirm it, or dispute single lines, online: %(url)s"), url=url
        )
    try:
        message = build_email(
            sender=Sender(sender.address, sender.name),
            to_address=mail.address,
            to_name=mail.name,
            subject=mail.subject,
            text=text,
            html=_html(text),
            message_id=f"<dunmore.statement-mail.{mail.id}@{domain}>",
            language=mail.language,
            date=as_utc(mail.created_at),
            attachments=((filename, bytes(row.pdf), "application/pdf"),),
        )
        receipt = outlet.send(message)
    except SendError as exc:
        values = queue.settled(mail.attempts, exc, at=at, max_attempts=MAX_ATTEMPTS, retry=RETRY,
                               tally=tally, sent={})  # fmt: skip
    else:
        values = queue.settled(mail.attempts, None, at=at, max_attempts=MAX_ATTEMPTS, retry=RETRY,
                               tally=tally, sent={"reply": receipt.reply})  # fmt: skip
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
