"""Alerts by e-mail to staff: at once, or one digest a day, through their own transactional outbox.

A user chooses (`dunmore users set-email LOGIN ADDRESS --alerts immediate|digest|none`). An alert's
e-mail is queued in `alert_mails` in the transaction that raises it (`queue_immediate`, called by
`workspace.alerts`); a day's digest by `queue_digests` (`dunmore alerts digest --as-of D`, cron-able).
`send_due` sends what is due under the claim, lease and backoff rules every outbox shares
(`delivery.queue`). Staff mail is not a notice to a debtor: no compliance guard (contact windows,
caps, cease-contact) applies. Each mail is said in its reader's language.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import Message
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, insert, select, update

from dunmore import i18n
from dunmore.access import audit
from dunmore.access.models import USERS
from dunmore.delivery import queue
from dunmore.delivery.channels.base import Receipt, SendError
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import as_utc, transaction
from dunmore.workspace.alert_texts import kind_name, said
from dunmore.workspace.mail_models import ALERT_MAILS
from dunmore.workspace.models import ALERTS

MODES = ("none", "immediate", "digest")
ADDRESS_MAX = 254
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
RETRY = timedelta(minutes=1)


class MailSender(Protocol):
    """What sending needs of an e-mail channel (`SmtpChannel`, or the fake one)."""

    def send(self, message: Message) -> Receipt: ...


@dataclass(frozen=True)
class From:
    """Who staff mail comes from (settings: the creditor's e-mail, the SMTP display name)."""

    address: str
    name: str = "Dunmore"


Sent = queue.Tally


def set_email(
    conn: Connection, *, login: str, address: str | None, mode: str, actor: str, at: datetime
) -> None:
    """Set a user's e-mail address (None: none) and how they get alerts by e-mail; audited."""
    if mode not in MODES:
        raise BadArgument(_m("alert mail %(mode)s: give none, immediate or digest", mode=repr(mode)))
    if address is not None and (len(address) > ADDRESS_MAX or address.count("@") != 1 or " " in address):
        raise BadArgument(_m("%(address)s is not an e-mail address: give one like li@example.com",
                             address=repr(address)))  # fmt: skip
    if mode != "none" and address is None:
        raise BadArgument(_m("alerts by e-mail need an address: give one with the mode"))
    row = conn.execute(
        select(USERS.c.id, USERS.c.email, USERS.c.alert_mail).where(USERS.c.login == login.lower())
    )
    found = row.first()
    if found is None:
        raise NotFound(_m("no user %(login)s: see the users with `dunmore users list`", login=repr(login)))
    conn.execute(update(USERS).where(USERS.c.id == found.id).values(email=address, alert_mail=mode))
    audit.record(conn, at=at, actor=actor, action="user.set_email", object=f"user:{login.lower()}",
                 before={"email": found.email, "alert_mail": found.alert_mail},
                 after={"email": address, "alert_mail": mode})  # fmt: skip


def _mailed(conn: Connection, keys: Iterable[str]) -> set[str]:
    wanted = sorted(set(keys))
    return set(conn.execute(select(ALERT_MAILS.c.key).where(ALERT_MAILS.c.key.in_(wanted))).scalars())


def _customer(row: Any) -> str:
    return f"{row.customer_name} ({row.code})" if row.code is not None else "—"


def _alert_rows(conn: Connection, condition: Any) -> list[Any]:
    """Alerts with their recipient's address, language and mode, and their customer's name."""
    query = (
        select(
            ALERTS.c.id,
            ALERTS.c.kind,
            ALERTS.c.params,
            ALERTS.c.recipient,
            ALERTS.c.created_at,
            USERS.c.email,
            USERS.c.language,
            CUSTOMERS.c.external_id.label("code"),
            CUSTOMERS.c.name.label("customer_name"),
        )
        .join(USERS, USERS.c.login == ALERTS.c.recipient)
        .outerjoin(CUSTOMERS, CUSTOMERS.c.id == ALERTS.c.customer_id)
        .where(condition, USERS.c.email.is_not(None), ~USERS.c.disabled)
        .order_by(ALERTS.c.recipient, ALERTS.c.created_at, ALERTS.c.id)
    )
    return list(conn.execute(query))


def _sentence(row: Any) -> str:
    try:
        params = json.loads(row.params)
    except ValueError:
        params = {}
    return said(row.kind, params if isinstance(params, dict) else {}, customer=_customer(row),
                language=row.language)  # fmt: skip


def queue_immediate(conn: Connection, *, alert_ids: Sequence[int], at: datetime) -> int:
    """Queue one e-mail per alert whose recipient wants alerts at once; the number queued."""
    if not alert_ids:
        return 0
    rows = []
    for start in range(0, len(alert_ids), 5000):
        chunk = sorted(alert_ids[start : start + 5000])
        rows += _alert_rows(conn, ALERTS.c.id.in_(chunk) & (USERS.c.alert_mail == "immediate"))
    mails = [_immediate(row, at) for row in rows]
    return _insert(conn, mails)


def _immediate(row: Any, at: datetime) -> dict[str, Any]:
    text = _sentence(row)
    subject = i18n.translate(row.language, "Dunmore alert: %(what)s", what=kind_name(row.kind, row.language))
    footer = i18n.translate(row.language, "Read and mark your alerts at /alerts in Dunmore.")
    return _mail(f"alert:{row.id}", row, subject=f"{subject} · {_customer(row)}"[:300],
                 body=f"{text}\n\n{footer}\n", at=at)  # fmt: skip


def _mail(key: str, row: Any, *, subject: str, body: str, at: datetime) -> dict[str, Any]:
    return {
        "key": key, "recipient": row.recipient, "address": row.email, "language": row.language,
        "subject": subject, "body": body, "status": "pending", "created_at": at, "attempts": 0,
    }  # fmt: skip


def _insert(conn: Connection, mails: list[dict[str, Any]]) -> int:
    had = _mailed(conn, (mail["key"] for mail in mails))
    fresh = [mail for mail in mails if mail["key"] not in had]
    if fresh:
        conn.execute(insert(ALERT_MAILS), fresh)
    return len(fresh)


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The instants (UTC) a business day spans in the creditor's timezone."""
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def queue_digests(conn: Connection, *, day: date, zone: str, at: datetime) -> int:
    """Queue, for each user who wants a daily digest, one e-mail with the alerts raised for them on
    `day` (in `zone`); nobody without alerts that day gets one, and a second call queues nothing."""
    start, end = day_bounds(day, zone)
    rows = _alert_rows(
        conn, (ALERTS.c.created_at >= start) & (ALERTS.c.created_at < end) & (USERS.c.alert_mail == "digest")
    )
    by_user: dict[str, list[Any]] = {}
    for row in rows:
        by_user.setdefault(row.recipient, []).append(row)
    mails = [_digest(day, alerts, at) for alerts in by_user.values()]
    return _insert(conn, mails)


def _digest(day: date, alerts: list[Any], at: datetime) -> dict[str, Any]:
    from babel.dates import format_date

    first = alerts[0]
    language = first.language
    shown = format_date(day, "medium", locale=i18n.locale(language))
    subject = i18n.translate(language, "Dunmore: %(count)s alerts of %(day)s", count=len(alerts), day=shown)
    lines = [f"- {kind_name(row.kind, language)}: {_sentence(row)}" for row in alerts]
    footer = i18n.translate(language, "Read and mark your alerts at /alerts in Dunmore.")
    return _mail(f"digest:{first.recipient}:{day.isoformat()}", first, subject=subject,
                 body="\n".join([subject, "", *lines, "", footer, ""]), at=at)  # fmt: skip


def send_due(
    engine: Engine,
    *,
    channel: Callable[[], contextlib.AbstractContextManager[MailSender]],
    sender: From,
    now: Callable[[], datetime],
    worker: str = "alerts",
    limit: int = 100,
) -> Sent:
    """Send the staff mails that are due, `limit` at a time until none is; each attempt is written in
    its own transaction, so a crash re-sends at most the mails in hand (same Message-ID)."""
    tally = Sent()
    with channel() as outlet:
        while send_batch(
            engine, outlet=outlet, sender=sender, now=now, worker=worker, limit=limit, tally=tally
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
) -> int:
    """Claim and send one batch of due staff mail (`dunmore worker` calls this beside the notices);
    how many were claimed."""
    with transaction(engine) as conn:
        claimed = queue.claim(conn, ALERT_MAILS, now=now(), worker=worker, lease=LEASE, limit=limit,
                              retake_all=retake_all, returning=list(ALERT_MAILS.c))  # fmt: skip
    for mail in claimed:
        _send_one(engine, outlet, sender, mail, now(), tally)
    return len(claimed)


def _send_one(engine: Engine, outlet: MailSender, sender: From, mail: Any, at: datetime, tally: Sent) -> None:
    from dunmore.delivery.channels.email import Sender, build_email

    domain = sender.address.rpartition("@")[2] or "dunmore.invalid"
    try:
        message = build_email(
            sender=Sender(sender.address, sender.name), to_address=mail.address, to_name=mail.recipient,
            subject=mail.subject, text=mail.body, html=_html(mail.body),
            message_id=f"<dunmore.alert-mail.{mail.id}@{domain}>", language=mail.language,
            date=as_utc(mail.created_at),
        )  # fmt: skip
        receipt = outlet.send(message)
    except SendError as exc:
        values = queue.settled(mail.attempts, exc, at=at, max_attempts=MAX_ATTEMPTS, retry=RETRY,
                               tally=tally, sent={})  # fmt: skip
    else:
        values = queue.settled(mail.attempts, None, at=at, max_attempts=MAX_ATTEMPTS, retry=RETRY,
                               tally=tally, sent={"reply": receipt.reply})  # fmt: skip
    with transaction(engine) as conn:
        conn.execute(
            update(ALERT_MAILS).where(ALERT_MAILS.c.id == mail.id).values(claimed_until=None, **values)
        )


def _html(body: str) -> str:
    from html import escape

    return "".join(f"<p>{escape(line)}</p>" if line else "" for line in body.split("\n"))
