"""The outbox for people: deliveries and dead letters within the customers a user reaches, their
proof, and retrying dead letters — what the deliveries page and the API call.

Every query adds `customer_scope(user)`: a delivery to a customer outside it is not found, never
"forbidden". The list is newest first and paginated by keyset on the delivery id in the database, so a
page costs the same at any depth. Retrying goes through `outbox.retry` / `outbox.retry_where`, the
same service `dunmore deliveries retry` uses, in the user's name, audited there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, select, true

from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.delivery import outbox
from dunmore.delivery.models import DEAD_LETTERS, DELIVERIES, DELIVERY_EVENTS
from dunmore.domain.policy import CHANNELS
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.models import NOTICES
from dunmore.store.db import as_utc

PAGE_MAX = 200
CODE_MAX = 100
RETRY_MAX = 1000  # ids named in one retry; a whole filter's dead letters go through `retry_matching`


class Shown(StrEnum):
    """Which deliveries a list shows: a status, or a few statuses people think of as one."""

    ALL = "all"
    WAITING = "waiting"  # queued: pending, or claimed by a worker
    SENT = "sent"
    DELIVERED = "delivered"  # sent, and the gateway reported it delivered
    DEAD_LETTERS = "dead_letters"  # failed or dead: what an operator looks at
    FAILED = "failed"  # a permanent error
    DEAD = "dead"  # transient errors until the attempts ran out
    CANCELLED = "cancelled"


def _shown(shown: Shown) -> ColumnElement[bool]:
    d = DELIVERIES.c
    conditions: dict[Shown, ColumnElement[bool]] = {
        Shown.ALL: true(),
        Shown.WAITING: d.status.in_(("pending", "sending")),
        Shown.SENT: d.status == "sent",
        # Only a sent delivery has a gateway status; asking for "sent" too would make the database
        # pick the status index, which holds nearly every row, and sort them.
        Shown.DELIVERED: d.provider_status == "delivered",
        Shown.DEAD_LETTERS: d.status.in_(DEAD_LETTERS),
        Shown.FAILED: d.status == "failed",
        Shown.DEAD: d.status == "dead",
        Shown.CANCELLED: d.status == "cancelled",
    }
    return conditions[shown]


@dataclass(frozen=True)
class Filter:
    """What a list shows: `customer` is a customer's code (exact, as in the ERP), `channel` one channel."""

    shown: Shown = Shown.ALL
    channel: str = ""
    customer: str = ""

    def __post_init__(self) -> None:
        if self.channel and self.channel not in CHANNELS:
            raise BadArgument(
                _m(
                    "no channel %(channel)s: use one of %(known)s",
                    channel=repr(self.channel[:20]),
                    known=", ".join(CHANNELS),
                )
            )
        if len(self.customer) > CODE_MAX:
            raise BadArgument(
                _m(
                    "a customer code has at most %(most)s characters, not %(count)s",
                    most=CODE_MAX,
                    count=len(self.customer),
                )
            )

    def condition(self) -> ColumnElement[bool]:
        d, c = DELIVERIES.c, CUSTOMERS.c
        wanted = [_shown(self.shown)]
        if self.channel:
            wanted.append(d.channel == self.channel)
        if self.customer.strip():
            wanted.append(c.external_id == self.customer.strip())
        return and_(*wanted)


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery as the list shows it; `recipient` is masked (see `mask_recipient`)."""

    id: int
    notice_id: int
    customer: str
    customer_name: str
    step: str
    channel: str
    status: str
    provider_status: str | None
    attempts: int
    recipient: str | None
    message_id: str | None
    provider_id: str | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None

    @property
    def dead_letter(self) -> bool:
        return self.status in DEAD_LETTERS


@dataclass(frozen=True)
class DeliveryPage:
    rows: tuple[DeliveryRow, ...]
    next_cursor: int | None  # pass as `after` for the next (older) page; None on the last page


@dataclass(frozen=True)
class Event:
    at: datetime
    attempt: int
    outcome: str
    reason: str | None
    detail: str | None


@dataclass(frozen=True)
class DeliveryProof:
    """One delivery with its proof, recipient in full, and every event (its status history)."""

    row: DeliveryRow
    recipient: str | None
    language: str | None
    reply: str | None
    print_batch: str | None
    tracking_number: str | None
    content_sha256: str | None
    events: tuple[Event, ...]


def mask_recipient(channel: str, recipient: str | None) -> str | None:
    """An address as a list shows it: enough to recognise, not to copy. `ap@debtor.com` → `a•@debtor.com`,
    `+8613800138000` → `+861••••••8000`; a letter's postal recipient (a business address) is kept."""
    if not recipient:
        return recipient
    if channel == "email" and "@" in recipient:
        local, _, domain = recipient.rpartition("@")
        return f"{local[:1]}•••@{domain}"
    if channel == "sms":
        keep = 4 if len(recipient) > 8 else 1
        return recipient[:4] + "•" * max(len(recipient) - 4 - keep, 1) + recipient[-keep:]
    return recipient


_COLUMNS = (
    "id", "notice_id", "channel", "status", "provider_status", "attempts", "recipient", "message_id",
    "provider_id", "last_error", "created_at", "next_attempt_at", "sent_at",
)  # fmt: skip


def _select(user: User, *extra: Any) -> Any:
    d, n, c = DELIVERIES.c, NOTICES.c, CUSTOMERS.c
    return (
        select(
            *(d[name] for name in _COLUMNS),
            c.external_id.label("customer"),
            c.name.label("customer_name"),
            n.step,
            *extra,
        )
        .join(NOTICES, n.id == d.notice_id)
        .join(CUSTOMERS, c.id == n.customer_id)
        .where(customer_scope(user))
    )


def _row(found: Any) -> DeliveryRow:
    values = {name: getattr(found, name) for name in DeliveryRow.__dataclass_fields__}
    for moment in ("created_at", "next_attempt_at", "sent_at"):
        values[moment] = as_utc(values[moment]) if values[moment] is not None else None
    values["recipient"] = mask_recipient(found.channel, found.recipient)
    return DeliveryRow(**values)


def list_deliveries(
    conn: Connection, *, user: User, which: Filter = Filter(), after: int | None = None, limit: int = 50
) -> DeliveryPage:
    """One page of the deliveries to the user's customers, newest first; `after` is the
    `next_cursor` of the page before."""
    require(user, Permission.DELIVERY_READ)
    if not 1 <= limit <= PAGE_MAX:
        raise BadArgument(_m("a page holds 1 to %(most)s rows, not %(limit)s", most=PAGE_MAX, limit=limit))
    d = DELIVERIES.c
    query = _select(user).where(which.condition())
    if after is not None:
        query = query.where(d.id < after)
    rows = [_row(found) for found in conn.execute(query.order_by(d.id.desc()).limit(limit + 1))]
    page = tuple(rows[:limit])
    return DeliveryPage(page, page[-1].id if len(rows) > limit else None)


def get_delivery(conn: Connection, *, user: User, delivery_id: int) -> DeliveryProof:
    """One delivery to a customer the user reaches, with its proof and events, else `NotFound`."""
    require(user, Permission.DELIVERY_READ)
    d, e = DELIVERIES.c, DELIVERY_EVENTS.c
    extra = (d.recipient.label("full_recipient"), d.language, d.reply, d.print_batch, d.tracking_number,
             d.content_sha256)  # fmt: skip
    found = conn.execute(_select(user, *extra).where(d.id == delivery_id)).first()
    if found is None:
        raise NotFound(
            _m(
                "no delivery %(delivery)s among the customers you can see: check the id in the list",
                delivery=delivery_id,
            )
        )
    events = conn.execute(
        select(e.at, e.attempt, e.outcome, e.reason, e.detail)
        .where(e.delivery_id == delivery_id)
        .order_by(e.id)
    )
    return DeliveryProof(
        row=_row(found),
        recipient=found.full_recipient,
        language=found.language,
        reply=found.reply,
        print_batch=found.print_batch,
        tracking_number=found.tracking_number,
        content_sha256=found.content_sha256,
        events=tuple(Event(as_utc(ev.at), ev.attempt, ev.outcome, ev.reason, ev.detail) for ev in events),
    )


def retry(conn: Connection, *, user: User, ids: list[int], now: datetime) -> int:
    """Put the named dead letters back in the queue, in the user's name (`outbox.retry`: refused
    whole when one is not a dead letter). A delivery outside the user's customers is not found."""
    require(user, Permission.DELIVERY_RETRY)
    if not 1 <= len(ids) <= RETRY_MAX:
        raise BadArgument(
            _m(
                "name 1 to %(most)s deliveries to retry, not %(count)s; or retry a whole filter",
                most=RETRY_MAX,
                count=len(ids),
            )
        )
    d, n, c = DELIVERIES.c, NOTICES.c, CUSTOMERS.c
    reached = conn.execute(
        select(d.id)
        .join(NOTICES, n.id == d.notice_id)
        .join(CUSTOMERS, c.id == n.customer_id)
        .where(d.id.in_(ids), customer_scope(user))
    ).scalars()
    if missing := sorted(set(ids) - set(reached)):
        raise NotFound(
            _m(
                "no delivery %(ids)s among the customers you can see: check the ids",
                ids=", ".join(map(str, missing)),
            )
        )
    return outbox.retry(conn, ids, now=now, actor=user.login)


def retry_matching(conn: Connection, *, user: User, which: Filter, now: datetime) -> int:
    """Put every dead letter of the filter, within the user's customers, back in the queue, set at a
    time (`outbox.retry_where`); returns how many (0 when none)."""
    require(user, Permission.DELIVERY_RETRY)
    return outbox.retry_where(conn, and_(which.condition(), customer_scope(user)), now=now, actor=user.login)
