"""The claim, lease and backoff rules every outbox table shares (`deliveries`, `webhook_deliveries`).

A table served here has `id`, `status`, `attempts`, `next_attempt_at`, `claimed_until` and
`claimed_by`. A claim takes due rows (`pending`, their time come) and abandoned ones (`sending` past
their lease) in one UPDATE, oldest first, counting the attempt; on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so that several workers never claim the same row. After a failed attempt,
`after_error` says what comes next: another try after an exponential backoff, or the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Table, and_, or_, select, update

from dunmore.delivery.channels.base import SendError


def claim(
    conn: Connection,
    table: Table,
    *,
    now: datetime,
    worker: str,
    lease: timedelta,
    limit: int,
    retake_all: bool,
    returning: Sequence[Any],
) -> Sequence[Row[Any]]:
    """Claim up to `limit` due rows of `table` for `worker` until `now + lease`; returns the
    `returning` columns of each. `retake_all` takes back every `sending` row whatever its lease (only
    for a worker that knows it is the only one)."""
    c = table.c
    due = and_(c.status == "pending", or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now))
    abandoned = c.status == "sending"
    if not retake_all:
        abandoned = and_(abandoned, c.claimed_until < now)
    chosen = select(c.id).where(or_(due, abandoned)).order_by(c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    return conn.execute(
        update(table)
        .where(c.id.in_(chosen.scalar_subquery()))
        .values(status="sending", claimed_until=now + lease, claimed_by=worker, attempts=c.attempts + 1)
        .returning(*returning)
    ).all()


def after_error(
    attempt: int, *, transient: bool, now: datetime, max_attempts: int, retry: timedelta
) -> tuple[str, str, datetime | None]:
    """What follows a failed attempt number `attempt` (1 for the first): (status, outcome, when to
    try again). A permanent error ends `failed`; a transient one is tried again after `retry`,
    doubled at each attempt, until `max_attempts` were made, then ends `dead`."""
    if not transient:
        return "failed", "permanent", None
    if attempt >= max_attempts:
        return "dead", "transient", None
    return "pending", "transient", now + retry * 2 ** (attempt - 1)


@dataclass
class Tally:
    """What one drain of a side outbox (staff alert mails, statement mails, portal texts) did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def settled(
    attempt: int,
    error: SendError | None,
    *,
    at: datetime,
    max_attempts: int,
    retry: timedelta,
    tally: Tally,
    sent: Mapping[str, Any],
) -> dict[str, Any]:
    """The columns a side outbox's row takes after one try, counted in `tally`: sent (with `sent`,
    what the gateway answered), or after `error` pending again, failed or dead (`after_error`)."""
    if error is None:
        tally.sent += 1
        return {"status": "sent", "sent_at": at, "last_error": None, **sent}
    status, _outcome, when = after_error(
        attempt, transient=error.transient, now=at, max_attempts=max_attempts, retry=retry
    )
    tally.retried += status == "pending"
    tally.failed += status != "pending"
    return {"status": status, "next_attempt_at": when, "last_error": error.detail}
