"""The outbox in the store: claim deliveries, record what happened, mark their end.

Claim → send → mark. A claim sets `sending`, a lease (`claimed_until`) and counts the attempt, in a
transaction of its own; the mark that follows the send is another. A worker that dies in between
leaves its claims `sending`: once the lease has run out (at once, for the one worker SQLite allows)
they are claimed again and resent with the same idempotency key, so the only duplicates possible are
sends the receiving side had accepted just before the worker died. On PostgreSQL claims use
`FOR UPDATE SKIP LOCKED`, so several workers never claim the same row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from dunmore.access import audit
from dunmore.delivery import queue
from dunmore.delivery.channels.sms import SmsState, states_before
from dunmore.delivery.models import DEAD_LETTERS, DELIVERIES, DELIVERY_EVENTS, TASKS
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.run.models import NOTICE_ITEMS, NOTICES, RUNS
from dunmore.store.db import as_utc
from dunmore.webhooks import emit as webhooks


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    notice_id: int
    channel: str
    attempt: int  # 1 for the first attempt


@dataclass(frozen=True, slots=True)
class Sent:
    """What a successful send leaves as proof."""

    recipient: str
    language: str
    message_id: str
    content: bytes
    reply: str
    provider_id: str | None = None
    print_batch: str | None = None


def claim(
    conn: Connection, *, now: datetime, worker: str, lease: timedelta, limit: int, retake_all: bool = False
) -> list[Claimed]:
    """Claim up to `limit` deliveries that are due, oldest first; `retake_all` takes back every
    `sending` row whatever its lease (only for a worker that knows it is the only one)."""
    d = DELIVERIES.c
    rows = queue.claim(
        conn, DELIVERIES, now=now, worker=worker, lease=lease, limit=limit, retake_all=retake_all,
        returning=(d.id, d.notice_id, d.channel, d.attempts),
    )  # fmt: skip
    claimed = sorted(
        (Claimed(row.id, row.notice_id, row.channel, row.attempts) for row in rows), key=lambda c: c.id
    )
    _events(conn, [(c.id, c.attempt, "claimed", None, f"by {worker}") for c in claimed], now)
    return claimed


def _events(
    conn: Connection, rows: Sequence[tuple[int, int, str, str | None, str | None]], now: datetime
) -> None:
    if rows:
        keys = ("delivery_id", "attempt", "outcome", "reason", "detail")
        conn.execute(
            insert(DELIVERY_EVENTS), [dict(zip(keys, row, strict=True)) | {"at": now} for row in rows]
        )


def mark_sent(conn: Connection, claimed: Claimed, sent: Sent, *, now: datetime) -> None:
    _set(conn, claimed, _sent_values(sent, now))
    _events(conn, [(claimed.id, claimed.attempt, "sent", None, sent.reply)], now)
    webhooks.delivery_ended(conn, claimed.id, status="sent", now=now)


def _sent_values(sent: Sent, now: datetime) -> dict[str, object]:
    return {
        "status": "sent",
        "recipient": sent.recipient,
        "language": sent.language,
        "message_id": sent.message_id,
        "content": sent.content,
        "content_sha256": hashlib.sha256(sent.content).hexdigest(),
        "reply": sent.reply,
        "provider_id": sent.provider_id,
        "print_batch": sent.print_batch,
        "sent_at": now,
        "claimed_until": None,
        "last_error": None,
    }


@cache
def _mark_sent_statement(columns: tuple[str, ...]) -> Select[tuple[Any, ...]]:
    """`mark_sent` as one PostgreSQL statement setting `columns` (those of `_sent_values`; see
    `mark_sent_at_once`), built once: the UPDATE, its `sent` event and the look-up of subscribers to
    `delivery.sent` in CTEs, and `synchronous_commit` off for the transaction the statement is."""
    d, e = DELIVERIES.c, DELIVERY_EVENTS.c
    subscribed = webhooks.subscribed("delivery.sent")
    marked = (
        update(DELIVERIES)
        .where(d.id == bindparam("delivery_id"), ~subscribed)
        .values({name: bindparam(f"v_{name}", type_=d[name].type) for name in columns})
        .returning(d.id)
        .cte("marked")
    )
    event = (
        insert(DELIVERY_EVENTS)
        .from_select(
            ["delivery_id", "attempt", "outcome", "detail", "at"],
            select(
                marked.c.id,
                bindparam("attempt", type_=e.attempt.type),
                literal("sent", e.outcome.type),
                bindparam("v_reply", type_=e.detail.type),
                bindparam("v_sent_at", type_=e.at.type),
            ),
        )
        .cte("event")
    )
    return select(
        func.set_config("synchronous_commit", "off", True),
        select(func.count()).select_from(marked).scalar_subquery(),
    ).add_cte(event)


def mark_sent_at_once(conn: Connection, claimed: Claimed, sent: Sent, *, now: datetime) -> bool:
    """PostgreSQL: `mark_sent` in one statement, for `conn` in autocommit, where a statement is a
    transaction of its own; returns False, having changed nothing, when someone subscribed to
    `delivery.sent` (call `mark_sent` in a transaction then, which stores the webhook event too).

    One round trip instead of six (BEGIN, SET LOCAL, UPDATE, INSERT, the subscribers' SELECT,
    COMMIT), and the same commit: the delivery sent and its event, or neither, not flushed to disk
    before the answer (`synchronous_commit` off for this transaction only, as `transaction(durable=
    False)` sets it; docs/design/delivery.md, "Sending speed")."""
    sent_values = _sent_values(sent, now)
    values = {f"v_{name}": value for name, value in sent_values.items()}
    values |= {"delivery_id": claimed.id, "attempt": claimed.attempt}
    row = conn.execute(_mark_sent_statement(tuple(sent_values)), values).one()
    return bool(row[1])


def mark_error(
    conn: Connection,
    claimed: Claimed,
    detail: str,
    *,
    transient: bool,
    now: datetime,
    max_attempts: int,
    retry: timedelta,
) -> str:
    """After a failed send: try again later with exponential backoff, or end as `failed`/`dead`.
    Returns the new status."""
    status, outcome, later = queue.after_error(
        claimed.attempt, transient=transient, now=now, max_attempts=max_attempts, retry=retry
    )
    _set(
        conn,
        claimed,
        {"status": status, "next_attempt_at": later, "claimed_until": None, "last_error": detail},
    )
    _events(conn, [(claimed.id, claimed.attempt, outcome, None, detail)], now)
    if status in DEAD_LETTERS:
        webhooks.delivery_ended(conn, claimed.id, status=status, now=now)
    return status


def _until(detail: str, until: datetime) -> str:
    """A deferral's detail, in English as stored; the pages read it back in the reader's language."""
    return str(_m("%(detail)s; until %(until)s UTC", detail=detail, until=until.strftime("%Y-%m-%d %H:%M")))


def defer(
    conn: Connection, claimed: Claimed, *, until: datetime, reason: str, detail: str, now: datetime
) -> None:
    """The guard says not yet: back to pending until `until`; a deferral is not an attempt."""
    until = max(until, now + timedelta(seconds=1))  # never due again within the same instant
    values = {
        "status": "pending",
        "next_attempt_at": until,
        "claimed_until": None,
        "attempts": claimed.attempt - 1,
    }
    _set(conn, claimed, values)
    _events(
        conn,
        [(claimed.id, claimed.attempt, "deferred", reason, _until(detail, until))],
        now,
    )


def release(conn: Connection, claims: Sequence[Claimed], *, worker: str, now: datetime) -> int:
    """Give claims back unsent (a worker stopping between messages): pending again and due at once,
    the attempt not counted; returns how many. Only claims still this worker's are touched."""
    if not claims:
        return 0
    d = DELIVERIES.c
    ids = [claimed.id for claimed in claims]
    released = conn.execute(
        update(DELIVERIES)
        .where(d.id.in_(ids), d.status == "sending", d.claimed_by == worker)
        .values(status="pending", claimed_until=None, attempts=d.attempts - 1)
        .returning(d.id)
    ).scalars()
    back = set(released)
    detail = str(_m("released unsent by %(worker)s, which is stopping", worker=worker))
    _events(conn, [(c.id, c.attempt, "released", None, detail) for c in claims if c.id in back], now)
    return len(back)


def cancel(conn: Connection, claimed: Claimed, *, reason: str, detail: str, now: datetime) -> None:
    _set(conn, claimed, {"status": "cancelled", "claimed_until": None, "last_error": detail})
    _events(conn, [(claimed.id, claimed.attempt, "cancelled", reason, detail)], now)


def _set(conn: Connection, claimed: Claimed, values: Mapping[str, object]) -> None:
    conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == claimed.id).values(values))


_HELD = str(_m("the customer or an item of the notice is on hold, or an item was disputed after the notice"))


def cancel_held(
    conn: Connection,
    *,
    now: datetime,
    customers: Collection[int] | None = None,
    reason: str = "hold_or_dispute",
    detail: str = _HELD,
) -> int:
    """Cancel every pending delivery whose group is now held or newly disputed (of `customers` only,
    when given); returns how many.

    A hold on the customer or on an item of the notice, or a dispute on an item that grew after the
    notice took effect (its run's commit, or its approval), makes what the notice says wrong.
    """
    d, n, i, v, c, r = DELIVERIES.c, NOTICES.c, NOTICE_ITEMS.c, INVOICES.c, CUSTOMERS.c, RUNS.c
    issued = func.coalesce(n.decided_at, r.committed_at)
    item_changed = (
        exists()
        .where(i.notice_id == n.id, v.id == i.item_id)
        .where(or_(v.on_hold, and_(v.disputed_at.is_not(None), v.disputed_at > issued)))
    )
    # From the pending deliveries (few) to their notices, never from every notice ever written.
    query = (
        select(d.id, d.attempts)
        .join(NOTICES, n.id == d.notice_id)
        .join(RUNS, r.id == n.run_id)
        .join(CUSTOMERS, c.id == n.customer_id)
        .where(d.status == "pending", or_(c.on_hold, item_changed))
    )
    if customers is not None:
        query = query.where(n.customer_id.in_(list(customers)))
    return _cancel_all(conn, conn.execute(query).all(), reason=reason, detail=detail, now=now)


def cancel_ceased(
    conn: Connection, *, now: datetime, customers: Collection[int], keep: Collection[str], detail: str
) -> int:
    """Cancel the pending deliveries of customers who asked not to be contacted, but on the channels
    in `keep` (letters, by default); returns how many."""
    d, n = DELIVERIES.c, NOTICES.c
    query = (
        select(d.id, d.attempts)
        .join(NOTICES, n.id == d.notice_id)
        .where(d.status == "pending", n.customer_id.in_(list(customers)), d.channel.not_in(list(keep)))
    )
    return _cancel_all(conn, conn.execute(query).all(), reason="cease_contact", detail=detail, now=now)


def _cancel_all(conn: Connection, victims: Sequence[Any], *, reason: str, detail: str, now: datetime) -> int:
    if not victims:
        return 0
    ids = [row.id for row in victims]
    conn.execute(
        update(DELIVERIES).where(DELIVERIES.c.id.in_(ids)).values(status="cancelled", last_error=detail)
    )
    _events(conn, [(row.id, row.attempts, "cancelled", reason, detail) for row in victims], now)
    return len(ids)


def queued_channels(conn: Connection) -> set[str]:
    """The channels of the deliveries still to be sent (pending, or claimed by a worker)."""
    d = DELIVERIES.c
    queued = select(d.channel).where(d.status.in_(("pending", "sending"))).distinct()
    return set(conn.execute(queued).scalars())


def recent_sends(
    conn: Connection, customers: Collection[int], *, since: datetime
) -> dict[tuple[int, str], list[datetime]]:
    """Sends per (customer, channel) since `since`, for the frequency caps."""
    d, n = DELIVERIES.c, NOTICES.c
    query = (
        select(n.customer_id, d.channel, d.sent_at)
        .join(NOTICES, n.id == d.notice_id)
        .where(d.status == "sent", d.sent_at > since, n.customer_id.in_(list(customers)))
    )
    sends: dict[tuple[int, str], list[datetime]] = {}
    for customer_id, channel, sent_at in conn.execute(query):
        sends.setdefault((customer_id, channel), []).append(as_utc(sent_at))
    return sends


def create_task(
    conn: Connection, claimed: Claimed, *, customer_id: int, title: str, brief: str, now: datetime
) -> int:
    """The task a call, visit or legal-review delivery is; created once per delivery however often
    the worker tries (the delivery id is unique among tasks)."""
    existing = conn.execute(select(TASKS.c.id).where(TASKS.c.delivery_id == claimed.id)).scalar()
    if existing is not None:
        return int(existing)
    from dunmore.workspace.tasks import plan  # the workspace decides who works it and by when

    due_on, assignee = plan(conn, notice_id=claimed.notice_id, customer_id=customer_id)
    title = next_step_title(conn, claimed.id, title)
    row = {
        "delivery_id": claimed.id, "notice_id": claimed.notice_id, "customer_id": customer_id,
        "kind": claimed.channel if claimed.channel in ("call", "visit") else "task",
        "title": title[:300], "brief": brief, "status": "open", "created_at": now,
        "due_on": due_on, "assignee": assignee,
    }  # fmt: skip
    return int(conn.execute(insert(TASKS).values(row).returning(TASKS.c.id)).scalar_one())


def next_step_title(conn: Connection, delivery_id: int, title: str) -> str:
    """A task a next step of the run asked for says which step first (docs/next-steps.md)."""
    step = conn.execute(select(DELIVERIES.c.next_step).where(DELIVERIES.c.id == delivery_id)).scalar()
    said = NEXT_STEP_TITLES.get(step or "")
    return title if said is None else f"{said}: {title}"


NEXT_STEP_TITLES = {
    "confirm_receipt": str(_m("Call to confirm receipt")),
    "propose_promise": str(_m("Propose a promise to pay")),
    "propose_plan": str(_m("Propose an instalment plan")),
    "call": str(_m("Call after the customer's answer")),
    "resend_invoice": str(_m("Re-send the invoice")),
    "find_contact": str(_m("Find a new contact")),
    "review_escalation": str(_m("Review the escalation")),
}


_RETRIED = str(_m("put back in the queue by an operator"))


def retry(conn: Connection, ids: Collection[int], *, now: datetime, actor: str) -> int:
    """Put dead letters (failed or dead deliveries) back in the queue; returns how many. One audit row
    (`delivery.retry` on `outbox`) names them all, as id ranges, however many they are."""
    d = DELIVERIES.c
    rows = conn.execute(select(d.id, d.status).where(d.id.in_(list(ids)))).all()
    if missing := sorted(set(ids) - {row.id for row in rows}):
        raise NotFound(
            _m("no delivery %(ids)s: `dunmore deliveries list` shows them", ids=", ".join(map(str, missing)))
        )
    if live := [row.id for row in rows if row.status not in DEAD_LETTERS]:
        raise BadArgument(
            _m(
                "deliveries %(ids)s are not failed or dead: only dead letters can be retried",
                ids=", ".join(map(str, live)),
            )
        )
    return _requeue(conn, d.id.in_(list(ids)), now=now, actor=actor)


def retry_where(conn: Connection, condition: ColumnElement[bool], *, now: datetime, actor: str) -> int:
    """Put back in the queue every dead letter that `condition` (over deliveries, their notices and
    customers) admits, e.g. a page's filter within a user's scope; returns how many. Set at a time: a
    bounded number of statements however many they are, and the same one audit row as `retry`."""
    d, n, c = DELIVERIES.c, NOTICES.c, CUSTOMERS.c
    chosen = (
        select(d.id)
        .join(NOTICES, n.id == d.notice_id)
        .join(CUSTOMERS, c.id == n.customer_id)
        .where(d.status.in_(DEAD_LETTERS), condition)
    )
    return _requeue(conn, d.id.in_(chosen.correlate(None).scalar_subquery()), now=now, actor=actor)


def _requeue(conn: Connection, which: ColumnElement[bool], *, now: datetime, actor: str) -> int:
    """Requeue the dead letters among the deliveries `which` admits: their events first (each keeps
    the attempts it had), then one UPDATE, then the audit row."""
    d, e = DELIVERIES.c, DELIVERY_EVENTS.c
    dead = and_(which, d.status.in_(DEAD_LETTERS))
    rows = conn.execute(select(d.id, d.status).where(dead).order_by(d.id)).all()
    if not rows:
        return 0
    retried = (
        literal(v, t) for v, t in (("retried", e.outcome.type), (_RETRIED, e.detail.type), (now, e.at.type))
    )
    conn.execute(
        insert(DELIVERY_EVENTS).from_select(
            ["delivery_id", "attempt", "outcome", "detail", "at"],
            select(d.id, d.attempts, *retried).where(dead),
        )
    )
    conn.execute(update(DELIVERIES).where(dead).values(status="pending", next_attempt_at=None, attempts=0))
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    after = {"status": "pending", "deliveries": audit.id_ranges(row.id for row in rows), "count": len(rows)}
    audit.record(conn, at=now, actor=actor, action="delivery.retry", object="outbox",
                 before={"statuses": statuses}, after=after)  # fmt: skip
    return len(rows)


def dead_letters(conn: Connection) -> list[int]:
    d = DELIVERIES.c
    return [row.id for row in conn.execute(select(d.id).where(d.status.in_(DEAD_LETTERS)).order_by(d.id))]


def listing(conn: Connection, *, status: str | None, customer: str | None, limit: int) -> list[Any]:
    """Deliveries, newest first, with their notice and customer, for `dunmore deliveries list`."""
    d, n, c = DELIVERIES.c, NOTICES.c, CUSTOMERS.c
    query = (
        select(
            d.id, d.notice_id, c.external_id.label("customer"), n.step, d.channel, d.status, d.attempts,
            d.recipient, d.next_attempt_at, d.sent_at, d.last_error,
        )
        .join(NOTICES, n.id == d.notice_id)
        .join(CUSTOMERS, c.id == n.customer_id)
        .order_by(d.id.desc())
        .limit(limit)
    )  # fmt: skip
    if status is not None:
        query = query.where(d.status == status)
    if customer is not None:
        query = query.where(c.external_id == customer)
    return list(conn.execute(query))


def track(conn: Connection, delivery_id: int, number: str, *, now: datetime, actor: str) -> None:
    """Record a posted letter's tracking number (audited as `delivery.track` on `delivery:<id>`)."""
    d = DELIVERIES.c
    row = conn.execute(
        select(d.channel, d.status, d.attempts, d.notice_id, d.tracking_number).where(d.id == delivery_id)
    ).first()
    if row is None:
        raise NotFound(_m("no delivery %(ids)s: `dunmore deliveries list` shows them", ids=delivery_id))
    if row.channel != "letter" or row.status != "sent":
        raise BadArgument(
            _m(
                "delivery %(delivery)s is a %(status)s %(channel)s: only printed letters are posted",
                delivery=delivery_id,
                status=row.status,
                channel=row.channel,
            )
        )
    conn.execute(update(DELIVERIES).where(d.id == delivery_id).values(tracking_number=number.strip()))
    _events(
        conn, [(delivery_id, row.attempts, "tracked", None, f"postal tracking number {number.strip()}")], now
    )
    audit.record(conn, at=now, actor=actor, action="delivery.track", object=f"delivery:{delivery_id}",
                 before={"tracking_number": row.tracking_number},
                 after={"tracking_number": number.strip(), "notice": row.notice_id})  # fmt: skip


def record_status(conn: Connection, provider_id: str, status: SmsState, detail: str, *, now: datetime) -> int:
    """A gateway's status callback (delivered, failed…) on the delivery it names; returns its id.

    Every callback becomes an event; the delivery's `provider_status` only moves forward in
    `SMS_STATE_ORDER`, so a late "sent" never hides a "delivered". The move is one conditional
    UPDATE, so two callbacks racing on one delivery cannot move it back either.
    """
    d = DELIVERIES.c
    row = conn.execute(select(d.id, d.attempts).where(d.provider_id == provider_id)).first()
    if row is None:
        raise NotFound(
            _m("no delivery was sent with gateway message id %(message)s", message=repr(provider_id))
        )
    earlier = or_(d.provider_status.is_(None), d.provider_status.in_(states_before(status)))
    moved = conn.execute(
        update(DELIVERIES).where(d.id == row.id, earlier).values(provider_status=status)
    ).rowcount
    if not moved:
        current = conn.execute(select(d.provider_status).where(d.id == row.id)).scalar_one()
        detail = str(
            _m(
                "%(detail)s; status stays %(status)s (a callback never moves a status back)",
                detail=detail,
                status=current,
            )
        )
    _events(conn, [(row.id, row.attempts, "status", status, detail)], now)
    return int(row.id)


def batch_contents(conn: Connection, batch: str) -> list[bytes]:
    """The PDFs of a print batch, in delivery order."""
    d = DELIVERIES.c
    query = select(d.content).where(d.print_batch == batch, d.status == "sent").order_by(d.id)
    return [bytes(content) for (content,) in conn.execute(query) if content is not None]


_PROOF_COLUMNS = (
    "id", "channel", "status", "attempts", "recipient", "language", "message_id", "reply", "provider_id",
    "provider_status", "print_batch", "tracking_number", "content_sha256", "sent_at", "last_error",
)  # fmt: skip


def proof(conn: Connection, notice_id: int) -> dict[str, Any]:
    """A notice with, per delivery, its proof and every event, for `dunmore notice show`."""
    n, c, d, e = NOTICES.c, CUSTOMERS.c, DELIVERIES.c, DELIVERY_EVENTS.c
    notice = conn.execute(
        select(n.id, n.run_id, n.as_of, c.external_id.label("customer"), n.currency, n.kind, n.step, n.status)
        .join(CUSTOMERS, c.id == n.customer_id)
        .where(n.id == notice_id)
    ).first()
    if notice is None:
        raise NotFound(
            _m("no notice %(notice)s: `dunmore run --as-of DATE` lists a run's notices", notice=notice_id)
        )
    deliveries = [
        dict(row._mapping)
        for row in conn.execute(
            select(*(d[name] for name in _PROOF_COLUMNS)).where(d.notice_id == notice_id).order_by(d.id)
        )
    ]
    events = conn.execute(
        select(e.delivery_id, e.at, e.attempt, e.outcome, e.reason, e.detail)
        .where(e.delivery_id.in_([row["id"] for row in deliveries]))
        .order_by(e.id)
    ).all()
    for delivery in deliveries:
        delivery["events"] = [dict(ev._mapping) for ev in events if ev.delivery_id == delivery["id"]]
    return {"notice": dict(notice._mapping), "deliveries": deliveries}
