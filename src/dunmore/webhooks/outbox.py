"""The webhook outbox in the store: claim due deliveries with what posting them needs, and mark
what happened. The claim and backoff rules are the notice outbox's (`dunmore.delivery.queue`)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from dunmore.delivery import queue
from dunmore.store.db import as_utc
from dunmore.webhooks.events import Event
from dunmore.webhooks.models import WEBHOOK_DELIVERIES, WEBHOOK_EVENTS, WEBHOOK_SUBSCRIPTIONS
from dunmore.webhooks.post import Answer


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed webhook delivery with its event and where it goes."""

    delivery_id: int
    attempt: int  # 1 for the first
    url: str
    secret: str
    event: Event


def claim(
    conn: Connection, *, now: datetime, worker: str, lease: timedelta, limit: int, retake_all: bool = False
) -> list[Job]:
    """Claim up to `limit` due webhook deliveries, oldest first, with their events."""
    w = WEBHOOK_DELIVERIES.c
    rows = queue.claim(
        conn, WEBHOOK_DELIVERIES, now=now, worker=worker, lease=lease, limit=limit, retake_all=retake_all,
        returning=(w.id,),
    )  # fmt: skip
    return jobs(conn, [row.id for row in rows])


def jobs(conn: Connection, ids: Collection[int]) -> list[Job]:
    """The deliveries `ids` with their event and subscription, in id order: one query."""
    if not ids:
        return []
    w, e, s = WEBHOOK_DELIVERIES.c, WEBHOOK_EVENTS.c, WEBHOOK_SUBSCRIPTIONS.c
    query = (
        select(w.id, w.attempts, s.url, s.secret, e.id.label("event_id"), e.type, e.created_at, e.data)
        .join(WEBHOOK_EVENTS, e.id == w.event_id)
        .join(WEBHOOK_SUBSCRIPTIONS, s.id == w.subscription_id)
        .where(w.id.in_(list(ids)))
        .order_by(w.id)
    )
    return [
        Job(row.id, row.attempts, row.url, row.secret,
            Event(row.event_id, row.type, as_utc(row.created_at), json.loads(row.data)))
        for row in conn.execute(query)
    ]  # fmt: skip


def mark_sent(conn: Connection, job: Job, answer: Answer, *, now: datetime) -> None:
    values = {"status": "sent", "sent_at": now, "claimed_until": None, "last_error": None}
    _set(conn, job, values | {"response_status": answer.status, "reply": answer.reply})


def mark_error(
    conn: Connection, job: Job, answer: Answer, *, now: datetime, max_attempts: int, retry: timedelta,
    final: bool = False,
) -> str:  # fmt: skip
    """After an attempt not answered 2xx: again after a backoff, or `dead` once the attempts ran out;
    `final` (a test ping) ends it `failed` at once. Returns the new status."""
    status, _, later = queue.after_error(
        job.attempt, transient=not final, now=now, max_attempts=max_attempts, retry=retry
    )
    values = {"status": status, "next_attempt_at": later, "claimed_until": None, "last_error": str(answer)}
    _set(conn, job, values | {"response_status": answer.status, "reply": answer.reply})
    return status


def _set(conn: Connection, job: Job, values: dict[str, object]) -> None:
    conn.execute(update(WEBHOOK_DELIVERIES).where(WEBHOOK_DELIVERIES.c.id == job.delivery_id).values(values))
