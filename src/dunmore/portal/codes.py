"""One-time codes: anything binding the customer does in the portal first asks for one.

A code is six digits, sent by e-mail to the customer's primary contact on file through the staff
mail outbox (`alert_mails`: transactional, not a dunning notice, so the guard's caps do not apply),
or, when no contact has an e-mail address, by SMS to the first mobile number on file (`portal_texts`,
sent by the worker through the SMS gateway, outside the caps too).
It is kept only as an HMAC under the web secret, opens for ten minutes, serves once (a replay is
refused), and five wrong entries on a link withdraw the link (`locked`); every refusal is audited
and the owner alerted of a lock-out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, insert, select, update

from dunmore import i18n
from dunmore.access import audit
from dunmore.errors import DunmoreError
from dunmore.i18n import _m
from dunmore.ledger.models import CONTACTS
from dunmore.portal import links, texts
from dunmore.portal.links import Access
from dunmore.portal.models import PORTAL_CODES
from dunmore.store.db import as_utc
from dunmore.workspace.alerts import raise_alert
from dunmore.workspace.mail_models import ALERT_MAILS

LIFETIME = timedelta(minutes=10)
MAX_WRONG = 5
DIGITS = 6


class CodeRefused(DunmoreError):
    """A one-time code that does not unlock: wrong, expired, replayed, missing or locked out."""

    code = "code_refused"
    exit_code = 5


def _hmac(key: str, code_id: int, code: str) -> str:
    return hmac.new(key.encode(), f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def contact_address(conn: Connection, customer_id: int) -> str | None:
    """The e-mail the code goes to: the primary contact's, else the first contact's that has one."""
    k = CONTACTS.c
    query = (
        select(k.email)
        .where(k.customer_id == customer_id, k.email.is_not(None), k.email != "", ~k.do_not_email)
        .order_by(k.is_primary.desc(), k.id)
        .limit(1)
    )
    return conn.execute(query).scalar()


def contact_phone(conn: Connection, customer_id: int) -> str | None:
    """The mobile number a code goes to when there is no e-mail address: the primary contact's
    first, among contacts who did not ask not to be called."""
    k = CONTACTS.c
    query = (
        select(k.phone)
        .where(k.customer_id == customer_id, k.phone.is_not(None), k.phone != "", ~k.do_not_call)
        .order_by(k.is_primary.desc(), k.id)
    )
    return next((number for phone in conn.execute(query).scalars() if (number := texts.mobile(phone))), None)


def masked(address: str) -> str:
    """An address as the page may show it: `z***@example.cn` (a phone number: `138****5678`)."""
    if "@" not in address:
        return texts.masked(address)
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


def contact_on_file(conn: Connection, customer_id: int) -> str | None:
    """Where a code goes: the e-mail address, else the mobile number; None when neither."""
    return contact_address(conn, customer_id) or contact_phone(conn, customer_id)


def send_code(conn: Connection, *, access: Access, key: str, now: datetime) -> str:
    """Queue a fresh code to the customer's contact on file; the masked address it goes to."""
    address = contact_on_file(conn, access.customer_id)
    if address is None:
        raise CodeRefused(_m("we have no e-mail address for you: please call us"), code="no_contact")
    code = "".join(secrets.choice("0123456789") for _ in range(DIGITS))
    values = {
        "customer_id": access.customer_id,
        "link_sha256": access.link_sha256,
        "code_hmac": "",
        "address": address,
        "created_at": now,
        "expires_at": now + LIFETIME,
        "attempts": 0,
    }
    code_id = int(conn.execute(insert(PORTAL_CODES).values(values).returning(PORTAL_CODES.c.id)).scalar_one())
    conn.execute(
        update(PORTAL_CODES).where(PORTAL_CODES.c.id == code_id).values(code_hmac=_hmac(key, code_id, code))
    )
    _mail(conn, access, address, code, code_id, now)
    audit.record(
        conn,
        at=now,
        actor=access.actor,
        action="portal.code",
        object=f"customer:{access.customer}",
        after={"to": masked(address)},
    )
    return masked(address)


def _mail(conn: Connection, access: Access, address: str, code: str, code_id: int, now: datetime) -> None:
    language = access.language if access.language in i18n.LANGUAGES else "zh-CN"
    if "@" not in address:  # a mobile number: the code by SMS
        text = i18n.translate(
            language,
            "Your confirmation code is %(code)s. It is valid for 10 minutes. Do not share it.",
            code=code,
        )
        texts.queue_text(conn, key=f"portal-code:{code_id}", customer_id=access.customer_id, phone=address,
                         language=language, text=text, at=now)  # fmt: skip
        return
    subject = i18n.translate(language, "Your confirmation code: %(code)s", code=code)
    body = i18n.translate(
        language,
        "Your confirmation code is %(code)s. It is valid for 10 minutes. Do not share it.",
        code=code,
    )
    conn.execute(
        insert(ALERT_MAILS).values(
            key=f"portal-code:{code_id}",
            recipient=access.actor,
            address=address,
            language=language,
            subject=subject,
            body=body + "\n",
            status="pending",
            created_at=now,
            attempts=0,
        )
    )


def _wrong_so_far(conn: Connection, link: str) -> int:
    query = select(func.coalesce(func.sum(PORTAL_CODES.c.attempts), 0)).where(
        PORTAL_CODES.c.link_sha256 == link
    )
    return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class Verdict:
    """A code entered: the id of the code it unlocks, or why it does not (wrong, expired, replayed)."""

    code_id: int | None
    why: str = ""


def verify(conn: Connection, *, access: Access, key: str, code: str, now: datetime) -> Verdict:
    """Check an entered code without spending it; a wrong one is counted (the fifth withdraws the
    link) and audited. The caller commits this before acting, so a refusal is kept."""
    c = PORTAL_CODES.c
    rows = conn.execute(
        select(c.id, c.code_hmac, c.expires_at, c.used_at)
        .where(c.link_sha256 == access.link_sha256)
        .order_by(c.id.desc())
        .limit(20)
    ).all()
    entered = code.strip()[: DIGITS * 2]
    match = next((r for r in rows if hmac.compare_digest(r.code_hmac, _hmac(key, r.id, entered))), None)
    if match is not None and match.used_at is None and as_utc(match.expires_at) > now:
        return Verdict(int(match.id))
    why = "wrong" if match is None else ("replayed" if match.used_at is not None else "expired")
    _count_wrong(conn, access, rows[0].id if rows else None, why, now)
    return Verdict(None, why)


def _count_wrong(conn: Connection, access: Access, code_id: int | None, why: str, now: datetime) -> None:
    if code_id is not None:
        conn.execute(
            update(PORTAL_CODES)
            .where(PORTAL_CODES.c.id == code_id)
            .values(attempts=PORTAL_CODES.c.attempts + 1)
        )
    links.record_refusal(conn, why=f"code_{why}", now=now, customer=access.customer)
    if _wrong_so_far(conn, access.link_sha256) >= MAX_WRONG:
        _lock(conn, access, now)


def _lock(conn: Connection, access: Access, now: datetime) -> None:
    links.revoke(
        conn,
        customer=access.customer,
        now=now,
        actor=access.actor,
        reason="locked",
        token=None,
        link=access.link_sha256,
    )
    raise_alert(
        conn,
        kind="portal_locked",
        key=f"portal-locked:{access.link_sha256[:16]}",
        customer_id=access.customer_id,
        params={},
        at=now,
    )


def spend(conn: Connection, *, code_id: int, now: datetime) -> None:
    """Mark a verified code used, in the action's transaction: a second use (a replay, or the same
    code sent twice at once) is refused and the action rolls back."""
    c = PORTAL_CODES.c
    done = conn.execute(update(PORTAL_CODES).where(c.id == code_id, c.used_at.is_(None)).values(used_at=now))
    if done.rowcount != 1:
        raise CodeRefused(_m("this code is not valid: ask for a new one"), code="replayed")
