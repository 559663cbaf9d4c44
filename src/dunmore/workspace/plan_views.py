"""Instalment plans as lists and pages show them: each plan with its covered invoices and its
instalments, what the payments so far gave each (in date order, `domain.plans.allocate`) while the
plan is open, or what the run found when it decided it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, and_, func, literal, select

from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.domain.money import format_minor
from dunmore.domain.plans import Instalment, allocate
from dunmore.ledger.models import ALLOCATIONS, CUSTOMERS
from dunmore.workspace.plan_models import PLAN_INSTALMENTS, PLAN_ITEMS, PLANS
from dunmore.workspace.record_pages import covered_numbers, newest_first

STATUSES = ("proposed", "waiting", "active", "kept", "broken", "cancelled")
OPEN = ("proposed", "waiting", "active")  # waiting: for the approval of its waivers
PAGE = 50


@dataclass(frozen=True)
class InstalmentView:
    """One instalment; `status`: pending | paid | missed (missed only once the run broke the plan)."""

    number: int
    due_on: date
    amount_minor: int
    paid_minor: int
    status: str


@dataclass(frozen=True)
class PlanView:
    """A plan as lists and pages show it (amounts in minor units of `currency`)."""

    id: int
    customer: str
    customer_name: str
    currency: str
    total_minor: int
    down_payment_minor: int
    grace_days: int
    start_on: date
    status: str
    decided_on: date | None
    reason: str | None
    created_by: str
    invoices: tuple[str, ...]
    instalments: tuple[InstalmentView, ...]

    @property
    def total(self) -> str:
        return format_minor(self.total_minor, self.currency)

    @property
    def paid_minor(self) -> int:
        return sum(one.paid_minor for one in self.instalments)

    @property
    def next_due(self) -> InstalmentView | None:
        """The first instalment not fully paid (None when all are)."""
        return next((one for one in self.instalments if one.status != "paid"), None)

    def money(self, minor: int) -> str:
        return format_minor(minor, self.currency)

    def as_dict(self) -> dict[str, Any]:
        """The plan as `--json` and the API say it (amounts as decimal strings)."""
        money = self.money
        return {
            "id": self.id,
            "customer": self.customer,
            "currency": self.currency,
            "total": money(self.total_minor),
            "down_payment": money(self.down_payment_minor),
            "grace_days": self.grace_days,
            "start_on": self.start_on.isoformat(),
            "status": self.status,
            "reason": self.reason,
            "decided_on": self.decided_on and self.decided_on.isoformat(),
            "created_by": self.created_by,
            "invoices": list(self.invoices),
            "paid": money(self.paid_minor),
            "instalments": [
                {
                    "number": one.number,
                    "due_on": one.due_on.isoformat(),
                    "amount": money(one.amount_minor),
                    "paid": money(one.paid_minor),
                    "status": one.status,
                }
                for one in self.instalments
            ],
        }


def _paid_so_far(conn: Connection, plan_ids: list[int]) -> dict[int, int]:
    """What payments allocated to each open plan's invoices from its start."""
    if not plan_ids:
        return {}
    p, pi, a = PLANS.c, PLAN_ITEMS.c, ALLOCATIONS.c
    query = (
        select(p.id, func.sum(a.amount_minor))
        .select_from(
            PLANS.join(PLAN_ITEMS, pi.plan_id == p.id).join(ALLOCATIONS, a.invoice_id == pi.invoice_id)
        )
        .where(p.id.in_(plan_ids), a.payment_id.is_not(None), a.date >= p.start_on)
        .group_by(p.id)
    )
    return {int(plan_id): int(paid or 0) for plan_id, paid in conn.execute(query)}


def _instalments(conn: Connection, rows: Sequence[Any]) -> dict[int, tuple[InstalmentView, ...]]:
    ids = [row.id for row in rows]
    if not ids:
        return {}
    n = PLAN_INSTALMENTS.c
    stored: dict[int, list[Any]] = defaultdict(list)
    for one in conn.execute(select(PLAN_INSTALMENTS).where(n.plan_id.in_(ids)).order_by(n.plan_id, n.due_on)):
        stored[one.plan_id].append(one)
    live = _paid_so_far(conn, [row.id for row in rows if row.status in OPEN])
    found: dict[int, tuple[InstalmentView, ...]] = {}
    for row in rows:
        ones = stored[row.id]
        if row.id in live or row.status in OPEN:
            got = allocate(
                [Instalment(o.number, o.due_on, o.amount_minor) for o in ones], live.get(row.id, 0)
            )
            found[row.id] = tuple(
                InstalmentView(
                    o.number, o.due_on, o.amount_minor, g, "paid" if g >= o.amount_minor else "pending"
                )
                for o, g in zip(ones, got, strict=True)
            )
        else:
            found[row.id] = tuple(
                InstalmentView(o.number, o.due_on, o.amount_minor, o.paid_minor, o.status) for o in ones
            )
    return found


def views(
    conn: Connection, condition: Any, *, limit: int | None = None, after_id: int | None = None
) -> list[PlanView]:
    """The plans that meet `condition` (already scoped by the caller), newest first."""
    rows = newest_first(conn, PLANS, condition, limit=limit, after_id=after_id)
    numbers = covered_numbers(conn, PLAN_ITEMS.c.plan_id, [row.id for row in rows])
    schedules = _instalments(conn, rows)
    return [
        PlanView(
            id=row.id,
            customer=row.customer,
            customer_name=row.customer_name,
            currency=row.currency,
            total_minor=row.total_minor,
            down_payment_minor=row.down_payment_minor,
            grace_days=row.grace_days,
            start_on=row.start_on,
            status=row.status,
            decided_on=row.decided_on,
            reason=row.reason,
            created_by=row.created_by,
            invoices=numbers.get(row.id, ()),
            instalments=schedules.get(row.id, ()),
        )
        for row in rows
    ]


def list_plans(
    conn: Connection,
    *,
    user: User,
    customer: str | None = None,
    status: str | None = None,
    after_id: int | None = None,
    limit: int = PAGE,
) -> list[PlanView]:
    """The user's plans, newest first, a page at a time (`after_id`: the last id of the previous
    page), filtered by customer and status."""
    require(user, Permission.LEDGER_READ)
    conditions = [customer_scope(user)]
    if customer is not None:
        conditions.append(CUSTOMERS.c.external_id == customer)
    if status is not None:
        conditions.append(PLANS.c.status == status)
    return views(conn, and_(*conditions), limit=max(1, min(limit, 500)), after_id=after_id)


def plan_events(customer_id: int) -> Select[Any]:
    """The customer's plans as timeline events, on the day each was agreed."""
    p = PLANS.c
    return select(
        p.start_on.label("at"),
        p.id.label("ref"),
        literal("agreed").label("status"),
        p.total_minor.label("amount_minor"),
        p.currency,
        p.created_by.label("actor"),
    ).where(p.customer_id == customer_id)


def plan_end_events(customer_id: int) -> Select[Any]:
    """The customer's plans as timeline events, on the day each was decided or cancelled."""
    p = PLANS.c
    return select(
        p.decided_on.label("at"),
        p.id.label("ref"),
        p.status,
        p.reason,
        p.total_minor.label("amount_minor"),
        p.currency,
    ).where(p.customer_id == customer_id, p.decided_on.is_not(None))
