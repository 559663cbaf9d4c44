"""Each contact person's wishes in the run's channel choice (docs/next-steps.md).

A notice goes to its customer's primary contact (or the first one: `delivery.notice_view`), so that
person's wishes decide, for each new pending delivery of a notice:
- `preferred_channel`: an e-mail goes by SMS or letter instead when the contact prefers one of them
  and the notice has no delivery on that channel yet (reason `preferred_channel`);
- `do_not_email`: an e-mail still left is cancelled (reason `do_not_email`);
- `do_not_call`: a call — and so the call task it would become — is cancelled (reason `do_not_call`).
Every change is an event of the delivery with its reason code. The compliance guard still judges
each delivery when the worker sends it (contact hours, caps, cease-contact): a wish never lets
through what the guard stops. Set-based: a bounded number of statements however many deliveries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS
from dunmore.i18n import _m
from dunmore.ledger.models import CONTACTS
from dunmore.run.models import NOTICES

SWITCHABLE: Final = ("sms", "letter")  # the written channels an e-mail may give way to
# Ids per UPDATE: under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters a statement may hold.
CHUNK: Final = 10_000


def choose(
    channel: str,
    *,
    preferred: str | None,
    do_not_call: bool,
    do_not_email: bool,
    notice_channels: frozenset[str],
) -> tuple[str | None, str | None]:
    """The rule for one delivery, as values: (its channel after the wishes — None: cancelled —, the
    reason code, None when nothing changes). `respect_contact_wishes` applies it set-based."""  # fmt: skip
    if channel == "email" and preferred in SWITCHABLE and preferred not in notice_channels:
        return preferred, "preferred_channel"
    if channel == "email" and do_not_email:
        return None, "do_not_email"
    if channel == "call" and do_not_call:
        return None, "do_not_call"
    return channel, None


def _wished() -> Any:
    """A contact person with any wish: the only ones that can change a delivery."""
    k = CONTACTS.c
    return or_(k.preferred_channel.is_not(None), k.do_not_call, k.do_not_email)


def _primary() -> Any:
    """PostgreSQL: the primary contact (or first) of each customer that has a contact with a wish, with
    its wishes — only those whose primary contact has one. A small set on most ledgers, computed once
    per statement (materialized) and joined by hash on fresh statistics (`refresh_statistics`): ranked
    inside the join instead, PostgreSQL re-sorted every customer's contacts for each delivery of a
    large run when its statistics were stale (a 1M-item run did not finish in 30 minutes)."""
    k = CONTACTS.c
    rank = func.row_number().over(partition_by=k.customer_id, order_by=(k.is_primary.desc(), k.id))
    ranked = (
        select(k.customer_id, k.preferred_channel, k.do_not_call, k.do_not_email, rank.label("rank"))
        .where(k.customer_id.in_(select(k.customer_id).where(_wished())))
        .subquery()
    )
    r = ranked.c
    wished = or_(r.preferred_channel.is_not(None), r.do_not_call, r.do_not_email)
    primary = select(ranked).where(r["rank"] == 1, wished)
    return primary.cte("wishes").prefix_with("MATERIALIZED", dialect="postgresql")


def _wishes_of(conn: Connection, customer_id: Any) -> tuple[Any, Any]:
    """What to join for the wishes of the primary contact of `customer_id` (a column of the
    statement's notices), and the join's condition. PostgreSQL: the set above, by customer. SQLite:
    the customer's primary contact looked up per delivery (its customer's contacts by their index, the
    first by `is_primary` and id) — its planner, with no statistics, took every equality for a few
    rows and walked the set of wishes as the outer loop, scanning the run's 345k deliveries once per
    wish (a 1M-item run stalled there for more than 30 minutes); a lookup per delivery leaves it no
    such plan."""
    if conn.dialect.name == "postgresql":
        wishes = _primary()
        return wishes, wishes.c.customer_id == customer_id
    k = CONTACTS.c
    first = (
        select(k.id)
        .where(k.customer_id == customer_id)
        .order_by(k.is_primary.desc(), k.id)
        .limit(1)
        .scalar_subquery()
    )
    contact = aliased(CONTACTS, name="wishes")
    w = contact.c
    return contact, and_(w.id == first, or_(w.preferred_channel.is_not(None), w.do_not_call, w.do_not_email))


def respect_contact_wishes(conn: Connection, which: Any, *, now: datetime) -> None:
    """Apply the contact's wishes to the pending deliveries that `which` (over deliveries and their
    notices) selects. Nothing to do, and nothing read but one row, when no contact has a wish."""
    if conn.execute(select(CONTACTS.c.id).where(_wished()).limit(1)).first() is None:
        return
    d, n = DELIVERIES.c, NOTICES.c
    wishes, joined = _wishes_of(conn, n.customer_id)
    base = (
        select(d.id, d.attempts, d.channel, wishes.c.preferred_channel)
        .join(NOTICES, n.id == d.notice_id)
        .join(wishes, joined)
        .where(d.status == "pending", which)
    )
    other = aliased(DELIVERIES)
    taken = exists().where(other.c.notice_id == d.notice_id, other.c.channel == wishes.c.preferred_channel)
    switch = base.where(d.channel == "email", wishes.c.preferred_channel.in_(SWITCHABLE), ~taken)
    switched = conn.execute(switch).all()
    for channel in SWITCHABLE:
        ids = [row.id for row in switched if row.preferred_channel == channel]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            conn.execute(update(DELIVERIES).where(d.id.in_(chunk)).values(channel=channel))
    said = str(_m("the contact prefers another channel"))
    events: list[tuple[int, int, str, str, str | None]] = [
        (row.id, row.attempts, "status", "preferred_channel", f"email → {row.preferred_channel}: {said}")
        for row in switched
    ]
    unwanted = or_(
        and_(d.channel == "call", wishes.c.do_not_call), and_(d.channel == "email", wishes.c.do_not_email)
    )
    cancelled = conn.execute(base.where(unwanted)).all()
    unreached = str(_m("the contact asked not to be reached this way"))
    for start in range(0, len(cancelled), CHUNK):
        ids = [row.id for row in cancelled[start : start + CHUNK]]
        conn.execute(update(DELIVERIES).where(d.id.in_(ids)).values(status="cancelled", last_error=unreached))
    events += [(row.id, row.attempts, "cancelled", f"do_not_{row.channel}", None) for row in cancelled]
    if events:
        keys = ("delivery_id", "attempt", "outcome", "reason", "detail")
        conn.execute(
            insert(DELIVERY_EVENTS), [dict(zip(keys, row, strict=True)) | {"at": now} for row in events]
        )
