"""Text messages to a customer's mobile phone that are not dunning notices (the portal's one-time
codes): queued in the caller's transaction (`portal_texts`), sent by the delivery worker through the
SMS gateway under the claim, lease and backoff rules of every outbox (`delivery.queue`), one attempt
per transaction. Not a notice, so the guard's caps and windows do not apply: a code is wanted now.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, Engine, and_, insert, update

from dunmore.delivery import queue
from dunmore.delivery.channels.base import SendError
from dunmore.portal.models import PORTAL_TEXTS
from dunmore.store.db import transaction

if TYPE_CHECKING:
    from dunmore.delivery.channels.sms import SmsGateway

LEASE: Final = timedelta(minutes=5)
MAX_ATTEMPTS: Final = 5
RETRY: Final = timedelta(seconds=30)
# Numbers a text message reaches: mobile numbers of mainland China, Taiwan and Hong Kong, each with
# the country code it is written with or without.
MOBILES: Final = (
    (re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$"), "+86"),
    (re.compile(r"^(?:\+886|0)(9\d{8})$"), "+886"),
    (re.compile(r"^\+?852([5-9]\d{7})$"), "+852"),
)


Texted = queue.Tally


def mobile(phone: str | None) -> str | None:
    """The number in E.164 form as the gateway takes it, when `phone` is a mobile number; None else
    (a landline, a number of another country, anything else)."""
    number = re.sub(r"[\s\-().]", "", phone or "")
    for pattern, country in MOBILES:
        if found := pattern.match(number):
            return country + found.group(1)
    return None


def masked(phone: str) -> str:
    """A number as a page may show it: `+86138****5678`."""
    return f"{phone[:-8]}****{phone[-4:]}"


def queue_text(
    conn: Connection, *, key: str, customer_id: int, phone: str, language: str, text: str, at: datetime
) -> None:
    values = {
        "key": key,
        "customer_id": customer_id,
        "phone": phone,
        "language": language,
        "text": text,
        "status": "pending",
        "created_at": at,
        "attempts": 0,
    }
    conn.execute(insert(PORTAL_TEXTS).values(values))


def send_batch(
    engine: Engine,
    *,
    gateway: SmsGateway,
    now: Callable[[], datetime],
    worker: str,
    limit: int,
    tally: Texted,
    retake_all: bool = False,
) -> int:
    """Claim and send one batch of due texts (`dunmore worker` calls this beside the notices); how
    many were claimed."""
    with transaction(engine) as conn:
        claimed = queue.claim(conn, PORTAL_TEXTS, now=now(), worker=worker, lease=LEASE, limit=limit,
                              retake_all=retake_all, returning=list(PORTAL_TEXTS.c))  # fmt: skip
    for text in claimed:
        _send_one(engine, gateway, text, now(), tally)
    return len(claimed)


def _send_one(engine: Engine, gateway: SmsGateway, text: Any, at: datetime, tally: Texted) -> None:
    try:
        receipt = gateway.send(to=text.phone, text=text.text, reference=text.key)
    except SendError as exc:
        values = queue.settled(text.attempts, exc, at=at, max_attempts=MAX_ATTEMPTS, retry=RETRY,
                               tally=tally, sent={})  # fmt: skip
    else:
        values = queue.settled(text.attempts, None, at=at, max_attempts=MAX_ATTEMPTS, retry=RETRY,
                               tally=tally, sent={"provider_id": receipt.provider_id})  # fmt: skip
    with transaction(engine) as conn:
        t = PORTAL_TEXTS.c
        conn.execute(
            update(PORTAL_TEXTS)
            .where(and_(t.id == text.id, t.status == "sending"))
            .values(claimed_until=None, **values)
        )
