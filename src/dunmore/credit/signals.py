"""External risk signals (外部风险信号): a lawsuit, a negative news item, insolvency proceedings or
another sign the AR team learns of outside the ledger.

Recording one writes it to `credit_signals` and to the audit log on the customer (so it is on the
customer's timeline), and raises the early warning to the customer's owner and every manager (the
workspace's alerts, kind `signal_<kind>`, keyed by the signal). A signal of insolvency proceedings
also puts the customer on credit hold at once (rule `signal`), released by a manager as any credit
hold is (`credit.limits.release`). The caller owns the transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import Connection, insert, select

from dunmore.access import audit
from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.credit.admission_models import CREDIT_SIGNALS
from dunmore.credit.grades_models import CREDIT_HOLDS
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.alerts import raise_alert

KINDS: Final = ("lawsuit", "negative-news", "insolvency", "other")
HOLDING: Final = frozenset({"insolvency"})  # kinds that set a credit hold at once
NOTE_MAX: Final = 1000
PAST_MAX: Final = timedelta(days=3660)  # a signal of more than ten years ago is a typo


@dataclass(frozen=True)
class Recorded:
    id: int
    customer: str
    kind: str
    alerts: int
    hold_set: bool


def alert_kind(kind: str) -> str:
    """The alert kind of a signal kind: `signal_lawsuit`, `signal_negative_news`, …"""
    return "signal_" + kind.replace("-", "_")


def record(
    conn: Connection,
    *,
    customer: str,
    kind: str,
    happened_on: date,
    note: str,
    by: str,
    actor: str,
    today: date,
    now: datetime,
    user: User | None = None,
) -> Recorded:
    """Record a risk signal: audited, alerted to the owner and the managers, a hold for insolvency."""
    if user is not None:
        require(user, Permission.CUSTOMER_ACT)
        by = user.login
    if kind not in KINDS:
        raise BadArgument(
            _m("a signal is one of %(kinds)s, not %(kind)s", kinds=", ".join(KINDS), kind=repr(kind[:40]))
        )
    if not today - PAST_MAX <= happened_on <= today:
        raise BadArgument(
            _m("a signal happened on or before today, not on %(day)s", day=happened_on.isoformat())
        )
    note = note.strip()
    if len(note) > NOTE_MAX or "\x00" in note:
        raise BadArgument(_m("a note has at most %(most)s characters", most=NOTE_MAX))
    by = by.strip()[:100] or actor
    c = CUSTOMERS.c
    query = select(c.id, c.external_id).where(c.external_id == customer)
    row = conn.execute(query if user is None else query.where(customer_scope(user))).first()
    if row is None:
        raise NotFound(
            _m("no customer %(customer)s among yours: check the customer code", customer=repr(customer))
        )
    s = CREDIT_SIGNALS.c
    values = {"customer_id": row.id, "kind": kind, "happened_on": happened_on, "note": note}
    signal_id = int(
        conn.execute(
            insert(CREDIT_SIGNALS).values(values | {"recorded_by": by, "recorded_at": now}).returning(s.id)
        ).scalar_one()
    )
    after = {"signal": signal_id, "kind": kind, "on": happened_on.isoformat(), "note": note, "by": by}
    audit.record(
        conn, at=now, actor=actor, action="customer.risk_signal", object=f"customer:{customer}", after=after
    )
    params = {"happened_on": happened_on.isoformat(), "note": note[:200]}
    alerts = raise_alert(
        conn, kind=alert_kind(kind), key=f"signal:{signal_id}", customer_id=row.id, params=params, at=now
    )
    held = kind in HOLDING
    if held:
        detail = {"kind": kind, "signal": signal_id}
        row_id = audit.record(
            conn,
            at=now,
            actor=actor,
            action="customer.credit_hold",
            object=f"customer:{customer}",
            after={"rule": "signal", **detail},
        ).id
        conn.execute(
            insert(CREDIT_HOLDS).values(
                customer_id=row.id,
                rule="signal",
                detail=json.dumps(detail),
                set_on=today,
                set_at=now,
                audit_id=row_id,
            )
        )
    return Recorded(signal_id, customer, kind, alerts, held)
