"""Credit limits and credit holds: may a new order of an amount ship to a customer?

- **Limit**: the customer's own (`customers.credit_limit`, in its `credit_currency`) where set for
  the currency asked, else its grade's in the scorecard (a customer never graded has grade N's);
  a currency the scorecard lists no limit for has none.
- **Exposure**: the customer's open receivables in the currency plus its uninvoiced open orders (the
  `orders` import, `credit.orders`).
- A customer whose credit application as a new customer is not approved has grade N's limit
  (`credit.admission`).
- **Credit hold**: set by grading (`apply_hold_rules`) for the scorecard's hold grades, or for anything
  open and overdue more than its `holds.overdue_days`; released by a manager with a reason. A manager's
  release lasts `RELEASE_LASTS`: the rules do not set the customer's hold again before. A credit hold
  refuses new credit only; the customer is still dunned (the dunning hold is `customers.on_hold`).

Both holds and releases are written to the audit log on the customer, so they appear on its timeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, insert, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.credit import admission
from dunmore.credit.admission_models import OPEN_ORDERS
from dunmore.credit.grades import REASON_MAX, current_scorecard, customer_row
from dunmore.credit.grades_models import CREDIT_HOLDS
from dunmore.credit.scorecard import GRADES, NEW, Scorecard
from dunmore.domain.money import check_currency, to_minor
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS, INVOICES

RELEASE_LASTS = timedelta(days=30)
OK, OVER_LIMIT, ON_HOLD = "ok", "over_limit", "on_hold"


@dataclass(frozen=True)
class HoldView:
    rule: str  # grade | overdue
    detail: dict[str, Any]
    set_on: date


@dataclass(frozen=True)
class CreditVerdict:
    """The answer of a credit check (amounts in minor units of `currency`)."""

    status: str  # ok | over_limit | on_hold
    customer: str
    grade: str
    currency: str
    amount_minor: int
    exposure_minor: int
    limit_minor: int | None  # None: no limit in this currency
    limit_source: str  # customer | grade | none
    over_minor: int  # by how much the order would pass the limit (0 when within)
    holds: tuple[HoldView, ...]


def active_holds(conn: Connection, customer_id: int) -> tuple[HoldView, ...]:
    h = CREDIT_HOLDS.c
    rows = conn.execute(
        select(h.rule, h.detail, h.set_on)
        .where(h.customer_id == customer_id, h.released_at.is_(None))
        .order_by(h.id)
    ).all()
    return tuple(HoldView(r.rule, json.loads(r.detail), r.set_on) for r in rows)


def check(
    conn: Connection, *, user: User, customer: str, amount: Decimal, currency: str | None
) -> CreditVerdict:
    """Whether a new order of `amount` may ship to the customer: on hold, over its limit, or ok."""
    require(user, Permission.LEDGER_READ)
    row = customer_row(conn, user, customer)
    currency = _currency(conn, row, currency)
    if amount <= 0:
        raise BadArgument(_m("an order's amount is above 0, not %(amount)s", amount=str(amount)))
    minor = to_minor(amount, currency)
    grade = row.grade if row.grade in (*GRADES, NEW) and admission.is_admitted(conn, row.id) else NEW
    limit, source = _limit(row, current_scorecard(conn).scorecard, grade, currency)
    exposure = _exposure(conn, row.id, currency)
    over = 0 if limit is None else max(0, exposure + minor - limit)
    holds = active_holds(conn, row.id)
    status = ON_HOLD if holds else OVER_LIMIT if over else OK
    return CreditVerdict(status, customer, grade, currency, minor, exposure, limit, source, over, holds)


def _currency(conn: Connection, row: Any, currency: str | None) -> str:
    if currency is not None:
        return check_currency(currency.upper())
    if row.credit_currency:
        return str(row.credit_currency)
    i = INVOICES.c
    found = sorted(conn.execute(select(i.currency).where(i.customer_id == row.id).distinct()).scalars())
    if len(found) != 1:
        raise BadArgument(
            _m(
                "customer %(customer)s has no one currency: say which with --currency",
                customer=row.external_id,
            )
        )
    return str(found[0])


def _limit(row: Any, scorecard: Scorecard, grade: str, currency: str) -> tuple[int | None, str]:
    if row.credit_limit_minor is not None and row.credit_currency == currency:
        return int(row.credit_limit_minor), "customer"
    limit = scorecard.terms(grade).limits.get(currency)
    return limit, "none" if limit is None else "grade"


def _exposure(conn: Connection, customer_id: int, currency: str) -> int:
    i = INVOICES.c
    query = select(func.coalesce(func.sum(i.open_minor), 0)).where(
        i.customer_id == customer_id, i.currency == currency
    )
    o = OPEN_ORDERS.c
    orders = select(func.coalesce(func.sum(o.amount_minor), 0)).where(
        o.customer_id == customer_id, o.currency == currency
    )
    return int(conn.execute(query).scalar_one()) + int(conn.execute(orders).scalar_one())


# --- holds -----------------------------------------------------------------------------------------


def apply_hold_rules(
    conn: Connection,
    graded: pl.DataFrame,
    scorecard: Scorecard,
    *,
    as_of: date,
    now: datetime,
    actor: str = "grading",
) -> int:
    """Set a credit hold on each customer the rules name that has none (nor a release within
    `RELEASE_LASTS`); audited as `customer.credit_hold`. How many were set."""
    wanted: dict[int, tuple[str, dict[str, Any]]] = {}
    for days, customer_id in _long_overdue(conn, scorecard.hold_overdue_days, as_of):
        wanted[customer_id] = ("overdue", {"days": days})
    in_grade = graded.filter(pl.col("in_force").is_in(sorted(scorecard.hold_grades)))
    for customer_id, grade in in_grade.select("customer_id", "in_force").iter_rows():
        wanted[int(customer_id)] = ("grade", {"grade": grade})
    for customer_id in _held_or_released(conn, as_of) & set(wanted):
        del wanted[customer_id]
    if not wanted:
        return 0
    codes = _codes(conn, list(wanted))
    rows = [
        {"customer_id": c, "rule": rule, "detail": json.dumps(detail), "set_on": as_of, "set_at": now}
        for c, (rule, detail) in sorted(wanted.items())
    ]
    conn.execute(insert(CREDIT_HOLDS), rows)
    events = [
        audit.Event(
            now, actor, "customer.credit_hold", f"customer:{codes[c]}", None, {"rule": rule, **detail}
        )
        for c, (rule, detail) in sorted(wanted.items())
    ]
    audit.record_many(conn, events)
    return len(rows)


def _long_overdue(conn: Connection, days: int | None, as_of: date) -> list[tuple[int, int]]:
    if days is None:
        return []
    i = INVOICES.c
    query = (
        select(i.customer_id, func.min(i.due_date))
        .where(i.open_minor > 0, i.due_date < as_of - timedelta(days=days))
        .group_by(i.customer_id)
    )
    return [((as_of - due).days, int(customer)) for customer, due in conn.execute(query)]


def _held_or_released(conn: Connection, as_of: date) -> set[int]:
    h = CREDIT_HOLDS.c
    since = datetime.combine(as_of - RELEASE_LASTS, time(0), tzinfo=UTC)
    query = select(h.customer_id).where(h.released_at.is_(None) | (h.released_at >= since)).distinct()
    return {int(c) for c in conn.execute(query).scalars()}


def _codes(conn: Connection, ids: list[int]) -> dict[int, str]:
    c = CUSTOMERS.c
    found: dict[int, str] = {}
    for start in range(0, len(ids), 5000):
        query = select(c.id, c.external_id).where(c.id.in_(ids[start : start + 5000]))
        found.update((int(i), str(code)) for i, code in conn.execute(query))
    return found


def release(conn: Connection, *, user: User, customer: str, reason: str, now: datetime) -> int:
    """A manager lifts the customer's credit holds, with a reason; audited as `customer.credit_release`."""
    require(user, Permission.CREDIT_MANAGE)
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise BadArgument(_m("give a reason of 1 to %(most)s characters", most=REASON_MAX))
    row = customer_row(conn, user, customer)
    h = CREDIT_HOLDS.c
    released = conn.execute(
        update(CREDIT_HOLDS)
        .where(h.customer_id == row.id, h.released_at.is_(None))
        .values(released_by=user.login, released_at=now, release_reason=reason)
    ).rowcount
    if not released:
        raise NotFound(_m("customer %(customer)s is not on credit hold", customer=customer))
    audit.record(
        conn,
        at=now,
        actor=user.login,
        action="customer.credit_release",
        object=f"customer:{customer}",
        after={"reason": reason, "released": released},
    )
    return int(released)
