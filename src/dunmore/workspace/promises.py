"""Promises to pay: a collector records that a customer will pay an amount by a date; the run
decides whether it was kept (`domain.promises`, `run.promises`), never a request.

Every function takes the acting user: a customer out of their scope is not found; a change is
audited in the caller's transaction. Limits come from the customer's dunning policy (`promises:`
section, `domain.policy.PromiseLimits`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import Role, User
from dunmore.domain.money import check_currency, format_minor, to_minor
from dunmore.domain.policy import PromiseLimits
from dunmore.errors import DunmoreError, NotFound, PromiseRefused
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.run.service import current_policy
from dunmore.workspace.models import ACTIVITIES, PROMISE_ITEMS, PROMISES
from dunmore.workspace.record_pages import covered_numbers, newest_first

STATUSES = ("pending", "kept", "partial", "broken", "cancelled")
FAILED = ("partial", "broken")
LOOK_BACK = timedelta(days=365)  # broken promises count against a customer for 12 months
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
PAGE = 50


@dataclass(frozen=True)
class PromiseView:
    """A promise as lists and pages show it (amounts in minor units of `currency`)."""

    id: int
    customer: str
    customer_name: str
    currency: str
    amount_minor: int
    made_on: date
    due_on: date
    grace_days: int
    status: str
    paid_minor: int
    decided_on: date | None
    reason: str | None
    invoices: tuple[str, ...]
    actor: str

    @property
    def amount(self) -> str:
        return format_minor(self.amount_minor, self.currency)

    @property
    def paid(self) -> str:
        return format_minor(self.paid_minor, self.currency)

    @property
    def until(self) -> date:
        """The last day of grace: the pause of its items ends after it."""
        return self.due_on + timedelta(days=self.grace_days)


def _customer(conn: Connection, user: User, code: str) -> Any:
    c = CUSTOMERS.c
    row = conn.execute(
        select(c.id, c.external_id, c.grade, c.tags).where(c.external_id == code, customer_scope(user))
    ).first()
    if row is None:
        raise NotFound(
            _m("no customer %(customer)s among yours: check the customer code", customer=repr(code))
        )
    return row


def limits_of(conn: Connection, grade: str | None, tags: str) -> PromiseLimits:
    """The promise limits of the customer's policy (the defaults when no policy is loaded yet)."""
    try:
        policies = current_policy(conn).policies
    except DunmoreError:
        return PromiseLimits()
    return policies.policy_for(grade, frozenset(t for t in tags.split(";") if t)).promises


def _open_currencies(conn: Connection, customer_id: int) -> list[str]:
    i = INVOICES.c
    query = select(i.currency).where(i.customer_id == customer_id, i.open_minor > 0).distinct()
    return sorted(conn.execute(query).scalars())


def _currency(conn: Connection, customer_id: int, code: str, currency: str | None) -> str:
    if currency is not None:
        return check_currency(currency.upper())
    found = _open_currencies(conn, customer_id)
    if len(found) != 1:
        raise PromiseRefused(
            _m(
                "customer %(customer)s has open items in %(count)s currencies: say which with --currency",
                customer=code,
                count=len(found),
            )
        )
    return found[0]


def _invoices(conn: Connection, customer_id: int, currency: str, numbers: Sequence[str]) -> list[int]:
    """The ids of the named invoices, each the customer's, open and in the promise's currency."""
    i = INVOICES.c
    rows = conn.execute(
        select(i.id, i.external_id, i.currency, i.open_minor).where(
            i.customer_id == customer_id, i.external_id.in_(list(numbers))
        )
    ).all()
    by_number = {row.external_id: row for row in rows}
    for number in numbers:
        row = by_number.get(number)
        if row is None or row.currency != currency or row.open_minor <= 0:
            raise PromiseRefused(
                _m(
                    "invoice %(invoice)s is not an open %(currency)s invoice of this customer: "
                    "name open invoices of the customer in the promise's currency",
                    invoice=repr(number),
                    currency=currency,
                )
            )
    return sorted({int(by_number[number].id) for number in numbers})


def _overdue_minor(conn: Connection, customer_id: int, currency: str, today: date) -> int:
    i = INVOICES.c
    query = select(func.coalesce(func.sum(i.open_minor), 0)).where(
        i.customer_id == customer_id, i.currency == currency, i.open_minor > 0, i.due_date < today
    )
    return int(conn.execute(query).scalar_one())


def _check_date(by: date, today: date, limits: PromiseLimits) -> None:
    latest = today + timedelta(days=limits.max_days_out)
    if by < today or by > latest:
        raise PromiseRefused(
            _m(
                "the promised date %(by)s must be between today (%(today)s) and %(latest)s, at most "
                "%(days)s days ahead (the policy's promises.max_days_out): agree an earlier date, or ask "
                "a manager to change the policy",
                by=by.isoformat(),
                today=today.isoformat(),
                latest=latest.isoformat(),
                days=limits.max_days_out,
            )
        )


def broken_recently(conn: Connection, customer_id: int, today: date) -> int:
    """How many promises of the customer broke (or were partly kept) in the last 12 months."""
    p = PROMISES.c
    query = select(func.count()).where(
        p.customer_id == customer_id, p.status.in_(FAILED), p.decided_on > today - LOOK_BACK
    )
    return int(conn.execute(query).scalar_one())


def _check_broken(conn: Connection, user: User, customer_id: int, today: date, limits: PromiseLimits) -> None:
    broken = broken_recently(conn, customer_id, today)
    if broken >= limits.max_broken and user.role not in MANAGERS:
        raise PromiseRefused(
            _m(
                "this customer broke %(broken)s promises in the last 12 months (the policy allows "
                "%(max)s, promises.max_broken): only a manager may record a new one",
                broken=broken,
                max=limits.max_broken,
            )
        )


def add(
    conn: Connection,
    *,
    user: User,
    customer: str,
    amount: Decimal,
    by: date,
    today: date,
    now: datetime,
    currency: str | None = None,
    invoices: Sequence[str] = (),
    contact_id: int | None = None,
    activity_id: int | None = None,
    note: str = "",
) -> PromiseView:
    """Record a promise to pay `amount` by `by` over `invoices` (none: the customer's whole overdue
    balance in the currency), within the limits of the customer's policy."""
    require(user, Permission.CUSTOMER_ACT)
    row = _customer(conn, user, customer)
    code = _currency(conn, row.id, customer, currency)
    amount_minor = to_minor(amount, code)
    if amount_minor <= 0:
        raise PromiseRefused(
            _m("a promise is for an amount above zero: give the amount the customer promised")
        )
    limits = limits_of(conn, row.grade, row.tags or "")
    _check_date(by, today, limits)
    _check_broken(conn, user, row.id, today, limits)
    invoice_ids = _invoices(conn, row.id, code, invoices) if invoices else []
    if not invoice_ids and _overdue_minor(conn, row.id, code, today) <= 0:
        raise PromiseRefused(
            _m(
                "customer %(customer)s has no overdue %(currency)s balance: name the invoices the promise "
                "covers",
                customer=customer,
                currency=code,
            )
        )
    if note.strip() and activity_id is None:
        activity_id = _note(conn, row.id, note.strip(), contact_id=contact_id, user=user, now=now)
    values = {
        "customer_id": row.id,
        "currency": code,
        "amount_minor": amount_minor,
        "made_on": today,
        "due_on": by,
        "grace_days": limits.grace_days,
        "status": "pending",
        "paid_minor": 0,
        "contact_id": contact_id,
        "activity_id": activity_id,
        "actor": user.login,
        "created_at": now,
    }
    promise_id = int(conn.execute(insert(PROMISES).values(values).returning(PROMISES.c.id)).scalar_one())
    if invoice_ids:
        conn.execute(
            insert(PROMISE_ITEMS), [{"promise_id": promise_id, "invoice_id": i} for i in invoice_ids]
        )
    after: dict[str, Any] = {
        "customer": customer,
        "currency": code,
        "amount": format_minor(amount_minor, code),
    }
    after |= {"due_on": by.isoformat(), "grace_days": limits.grace_days, "invoices": sorted(invoices)}
    audit.record(
        conn, at=now, actor=user.login, action="promise.add", object=f"promise:{promise_id}", after=after
    )
    return get(conn, user=user, promise_id=promise_id)


def _note(
    conn: Connection, customer_id: int, note: str, *, contact_id: int | None, user: User, now: datetime
) -> int:
    """The note said with the promise, kept in the customer's story as the activity it came from."""
    values = {
        "customer_id": customer_id,
        "contact_id": contact_id,
        "kind": "note",
        "at": now,
        "note": note,
        "actor": user.login,
        "created_at": now,
    }
    return int(conn.execute(insert(ACTIVITIES).values(values).returning(ACTIVITIES.c.id)).scalar_one())


def cancel(conn: Connection, *, user: User, promise_id: int, reason: str, now: datetime) -> PromiseView:
    """Cancel a pending promise (the customer withdrew it, it was recorded by mistake); the reason
    goes to the audit log."""
    require(user, Permission.CUSTOMER_ACT)
    promise = get(conn, user=user, promise_id=promise_id)
    text = reason.strip()
    if not text:
        raise PromiseRefused(_m('say why the promise is cancelled: --reason "…"'))
    if promise.status != "pending":
        raise PromiseRefused(
            _m(
                "promise %(id)s is %(status)s, not pending: only a pending promise can be cancelled",
                id=promise_id,
                status=promise.status,
            )
        )
    p = PROMISES.c
    values = {"status": "cancelled", "reason": "promise_cancelled", "decided_on": now.date()}
    conn.execute(update(PROMISES).where(p.id == promise_id, p.status == "pending").values(values))
    audit.record(
        conn,
        at=now,
        actor=user.login,
        action="promise.cancel",
        object=f"promise:{promise_id}",
        before={"status": "pending"},
        after={"status": "cancelled", "reason": text},
    )
    return get(conn, user=user, promise_id=promise_id)


def _views(
    conn: Connection, condition: Any, *, limit: int | None = None, after_id: int | None = None
) -> list[PromiseView]:
    rows = newest_first(conn, PROMISES, condition, limit=limit, after_id=after_id)
    numbers = covered_numbers(conn, PROMISE_ITEMS.c.promise_id, [row.id for row in rows])
    return [
        PromiseView(
            id=row.id,
            customer=row.customer,
            customer_name=row.customer_name,
            currency=row.currency,
            amount_minor=row.amount_minor,
            made_on=row.made_on,
            due_on=row.due_on,
            grace_days=row.grace_days,
            status=row.status,
            paid_minor=row.paid_minor,
            decided_on=row.decided_on,
            reason=row.reason,
            invoices=numbers.get(row.id, ()),
            actor=row.actor,
        )
        for row in rows
    ]


def get(conn: Connection, *, user: User, promise_id: int) -> PromiseView:
    """One promise the user may see (NotFound otherwise)."""
    found = _views(conn, and_(PROMISES.c.id == promise_id, customer_scope(user)))
    if not found:
        raise NotFound(_m("no promise %(id)s among yours: check the number", id=promise_id))
    return found[0]


def list_promises(
    conn: Connection,
    *,
    user: User,
    customer: str | None = None,
    status: str | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    after_id: int | None = None,
    limit: int = PAGE,
) -> list[PromiseView]:
    """The user's promises, newest first, a page at a time (`after_id`: the last id of the previous
    page), filtered by customer, status and due date range."""
    require(user, Permission.LEDGER_READ)
    p = PROMISES.c
    conditions = [customer_scope(user)]
    if customer is not None:
        conditions.append(CUSTOMERS.c.external_id == customer)
    if status is not None:
        conditions.append(p.status == status)
    if due_from is not None:
        conditions.append(p.due_on >= due_from)
    if due_to is not None:
        conditions.append(p.due_on <= due_to)
    return _views(conn, and_(*conditions), limit=max(1, min(limit, 500)), after_id=after_id)


@dataclass(frozen=True)
class RateRow:
    """The promises decided in a period for one customer, collector or portfolio: the kept rate is
    kept / decided, partially kept ones counted apart (they are not kept)."""

    key: str
    kept: int
    partial: int
    broken: int

    @property
    def decided(self) -> int:
        return self.kept + self.partial + self.broken

    @property
    def kept_rate(self) -> Decimal:
        return (Decimal(self.kept) / Decimal(self.decided)).quantize(Decimal("0.0001"))


RATE_KEYS = {
    "customer": CUSTOMERS.c.external_id,
    "collector": PROMISES.c.actor,
    "portfolio": CUSTOMERS.c.portfolio,
}


def rate(
    conn: Connection,
    *,
    user: User,
    by: str = "customer",
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[RateRow]:
    """The promise-kept rate of the promises decided (by the run) from `date_from` to `date_to`,
    per customer, collector (who recorded the promise) or portfolio, within the user's scope."""
    p = PROMISES.c
    key = func.coalesce(RATE_KEYS[by], "")
    conditions = [customer_scope(user), p.status.in_(("kept", "partial", "broken"))]
    if date_from is not None:
        conditions.append(p.decided_on >= date_from)
    if date_to is not None:
        conditions.append(p.decided_on <= date_to)
    query = (
        select(key, p.status, func.count())
        .join_from(PROMISES, CUSTOMERS, CUSTOMERS.c.id == p.customer_id)
        .where(and_(*conditions))
        .group_by(key, p.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for name, status, count in conn.execute(query):
        counts.setdefault(str(name), {})[str(status)] = int(count)
    return [
        RateRow(name, found.get("kept", 0), found.get("partial", 0), found.get("broken", 0))
        for name, found in sorted(counts.items())
    ]


def customer_promises(conn: Connection, *, user: User, customer: str, limit: int = PAGE) -> list[PromiseView]:
    """One customer's promises, newest first (NotFound when the customer is out of the user's reach)."""
    _customer(conn, user, customer)
    return list_promises(conn, user=user, customer=customer, limit=limit)
