"""Emit an event in the caller's transaction: stored once, and one pending webhook delivery per
active subscriber of its type, set-at-a-time.

Nothing is stored, and the event's data is not even built, when nobody subscribed to the type: the
cost of an event nobody wants is one indexed look-up. Services call `emit` (or one of the helpers
below) beside the change itself, so an event exists exactly when its change was committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Exists, exists, insert, literal, select

from dunmore.access.audit import canonical_json
from dunmore.delivery.models import DELIVERIES
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.models import NOTICES
from dunmore.webhooks.events import EVENT_TYPES
from dunmore.webhooks.models import (
    WEBHOOK_DELIVERIES,
    WEBHOOK_EVENTS,
    WEBHOOK_SUBSCRIPTION_EVENTS,
    WEBHOOK_SUBSCRIPTIONS,
)

Payloads = Callable[[], Sequence[Mapping[str, Any]]]


def _wanting(event_type: str) -> tuple[ColumnElement[bool], ...]:
    """The conditions on a subscription's event row and its subscription: active, wants `event_type`."""
    e, s = WEBHOOK_SUBSCRIPTION_EVENTS.c, WEBHOOK_SUBSCRIPTIONS.c
    return (e.event_type == event_type, s.id == e.subscription_id, s.active)


def subscribers(conn: Connection, event_type: str) -> list[int]:
    """The active subscriptions that want `event_type`, by id."""
    e = WEBHOOK_SUBSCRIPTION_EVENTS.c
    query = select(e.subscription_id).where(*_wanting(event_type)).order_by(e.subscription_id)
    return list(conn.execute(query).scalars())


def subscribed(event_type: str) -> Exists:
    """Whether an active subscription wants `event_type`, as a condition for a statement of the
    caller's (the outbox's one-statement mark)."""
    return exists().where(*_wanting(event_type))


def emit(conn: Connection, event_type: str, payloads: Payloads, *, now: datetime) -> int:
    """Store one `event_type` event per mapping `payloads()` returns (JSON values: text, numbers,
    booleans, lists, mappings) and queue it for every subscriber; returns how many events.

    Three statements whatever the number of events: the look-up, one insert of the events (the
    driver sends it in batches), one INSERT … SELECT of their deliveries."""
    if event_type not in EVENT_TYPES:  # pragma: no cover - a programming error, caught by the tests
        raise ValueError(f"unknown webhook event type {event_type!r}: add it to EVENT_TYPES")
    targets = subscribers(conn, event_type)
    if not targets:
        return 0
    return len(store(conn, event_type, payloads(), targets, now=now, status="pending"))


def store(
    conn: Connection,
    event_type: str,
    data: Sequence[Mapping[str, Any]],
    targets: Sequence[int],
    *,
    now: datetime,
    status: str,
    **claim: Any,
) -> list[int]:
    """Insert the events and a delivery of each to each of `targets` in `status`; returns the events'
    ids. (`emit` queues them `pending`; a test ping is `sending` at once, claimed by the command:
    `claim` are those columns.)"""
    if not data:
        return []
    rows = [{"type": event_type, "created_at": now, "data": canonical_json(dict(item))} for item in data]
    e, w, s = WEBHOOK_EVENTS.c, WEBHOOK_DELIVERIES.c, WEBHOOK_SUBSCRIPTIONS.c
    # Every event goes to the same subscribers, so which id is which event's does not matter: without
    # asking for the ids in order, both drivers insert in batches (SQLite would go row by row).
    ids = sorted(conn.execute(insert(WEBHOOK_EVENTS).returning(e.id), rows).scalars())
    # The deliveries in one statement, no row through Python. Between the lowest and the highest of
    # these ids, another transaction's events may have committed (ids interleave on PostgreSQL): those
    # came with their deliveries in the same commit, so "no delivery yet" leaves them out.
    fixed = {"status": status, "created_at": now, **claim}
    query = (
        select(e.id, s.id, *(literal(value, w[name].type) for name, value in fixed.items()))
        .select_from(WEBHOOK_EVENTS.join(WEBHOOK_SUBSCRIPTIONS, s.id.in_(list(targets))))
        .where(e.id.between(ids[0], ids[-1]), e.type == event_type, ~exists().where(w.event_id == e.id))
        .order_by(e.id, s.id)
    )
    conn.execute(insert(WEBHOOK_DELIVERIES).from_select(["event_id", "subscription_id", *fixed], query))
    return ids


def delivery_ended(conn: Connection, delivery_id: int, *, status: str, now: datetime) -> int:
    """`delivery.sent` when a notice's delivery was sent, `delivery.failed` when it failed for good
    or went dead. The data names the notice, its customer (ERP id) and the channel, never the
    debtor's address or the message."""
    event_type = "delivery.sent" if status == "sent" else "delivery.failed"
    d, n, c = DELIVERIES.c, NOTICES.c, CUSTOMERS.c

    def data() -> list[dict[str, Any]]:
        row = conn.execute(
            select(
                d.id, d.notice_id, n.run_id, c.external_id, n.step, d.channel, d.status, d.attempts,
                d.message_id, d.last_error,
            )
            .join(NOTICES, n.id == d.notice_id)
            .join(CUSTOMERS, c.id == n.customer_id)
            .where(d.id == delivery_id)
        ).one()  # fmt: skip
        return [
            {
                "delivery_id": row.id, "notice_id": row.notice_id, "run_id": row.run_id,
                "customer": row.external_id, "step": row.step, "channel": row.channel,
                "status": row.status, "attempts": row.attempts,
                **({"message_id": row.message_id} if status == "sent" else {"error": row.last_error}),
            }
        ]  # fmt: skip

    return emit(conn, event_type, data, now=now)
