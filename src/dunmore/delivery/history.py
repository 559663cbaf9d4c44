"""A customer's notices, newest first, each with its deliveries and their proof (channel, recipient,
status, when, the provider's id): what the customer page shows. Two queries whatever the count; the
caller has checked that the user reaches the customer (`ledger.browse.get_customer`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, select

from dunmore.delivery.models import DELIVERIES
from dunmore.run.models import NOTICE_ITEMS, NOTICES
from dunmore.store.db import as_utc


@dataclass(frozen=True)
class DeliveryProof:
    channel: str
    recipient: str | None
    status: str
    at: datetime  # when sent, else when queued
    provider_id: str | None
    provider_status: str | None
    tracking_number: str | None
    last_error: str | None


@dataclass(frozen=True)
class NoticeRecord:
    id: int
    as_of: date
    kind: str  # reminder | level
    step: str
    level: int | None
    currency: str
    amount_minor: int  # the open amounts the notice listed
    fee_minor: int | None
    status: str
    deliveries: tuple[DeliveryProof, ...]


def customer_notices(
    conn: Connection, *, customer_id: int, limit: int = 30
) -> tuple[tuple[NoticeRecord, ...], bool]:
    """The customer's latest `limit` notices with their deliveries, and whether there are more."""
    n, ni, d = NOTICES.c, NOTICE_ITEMS.c, DELIVERIES.c
    amount = select(func.coalesce(func.sum(ni.open_minor), 0)).where(ni.notice_id == n.id).scalar_subquery()
    query = select(n.id, n.as_of, n.kind, n.step, n.level, n.currency, amount.label("amount"), n.fee_minor,
                   n.status).where(n.customer_id == customer_id)  # fmt: skip
    rows = conn.execute(query.order_by(n.as_of.desc(), n.id.desc()).limit(limit + 1)).all()
    shown = rows[:limit]
    proofs: dict[int, list[DeliveryProof]] = defaultdict(list)
    wanted = select(d.notice_id, d.channel, d.recipient, d.status, func.coalesce(d.sent_at, d.created_at),
                    d.provider_id, d.provider_status, d.tracking_number, d.last_error)  # fmt: skip
    for row in conn.execute(wanted.where(d.notice_id.in_([r.id for r in shown])).order_by(d.id)):
        proofs[row[0]].append(DeliveryProof(row[1], row[2], row[3], as_utc(row[4]), *row[5:]))
    records = tuple(
        NoticeRecord(
            r.id,
            r.as_of,
            r.kind,
            r.step,
            r.level,
            r.currency,
            int(r.amount),
            r.fee_minor,
            r.status,
            tuple(proofs[r.id]),
        )
        for r in shown
    )
    return records, len(rows) > limit
