"""Instalment plans: a collector agrees with a customer to pay chosen open invoices in instalments;
the run decides whether the plan is kept or broken (`domain.plans`, `run.plans`), never a request.

Every function takes the acting user: a customer out of their scope is not found; a change is
audited in the caller's transaction. The grace days come from the customer's policy (the
`promises:` section's `grace_days`, the same grace as a promise's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.domain.money import format_minor, to_minor
from dunmore.domain.plans import Instalment, check_schedule, even_schedule
from dunmore.errors import NotFound, PlanRefused
from dunmore.i18n import Text, _m
from dunmore.ledger.models import INVOICES
from dunmore.workspace.plan_models import PLAN_INSTALMENTS, PLAN_ITEMS, PLANS
from dunmore.workspace.plan_views import OPEN, PlanView, list_plans, views
from dunmore.workspace.plan_waivers import WAIVABLE, waive_covered
from dunmore.workspace.promises import _currency, _customer, limits_of

PROBLEMS: dict[str, Text] = {
    "no_instalments": _m("a plan needs at least one instalment: give --instalments"),
    "too_many_instalments": _m("a plan has at most 120 instalments"),
    "amount_not_positive": _m("every instalment must be above zero: fewer instalments, or larger amounts"),
    "dates_not_increasing": _m(
        "the instalments' dates must increase: give them in date order, one per day at most"
    ),
    "sum_differs": _m("the instalments must add up to the covered open amount: check the amounts"),
}


def _covered(conn: Connection, customer_id: int, currency: str, numbers: Sequence[str]) -> list[Any]:
    """The covered invoices (id, number, open amount): the named ones, each the customer's, open, in
    the currency and in no other active plan; none named: every open invoice in the currency."""
    i = INVOICES.c
    query = select(i.id, i.external_id, i.currency, i.open_minor, i.kind).where(i.customer_id == customer_id)
    query = (
        query.where(i.external_id.in_(list(numbers)))
        if numbers
        else query.where(i.currency == currency, i.open_minor > 0)
    )
    rows = {row.external_id: row for row in conn.execute(query)}
    for number in numbers:
        row = rows.get(number)
        if row is None or row.currency != currency or row.open_minor <= 0:
            raise PlanRefused(
                _m(
                    "invoice %(invoice)s is not an open %(currency)s invoice of this customer: name open "
                    "invoices of the customer in the plan's currency",
                    invoice=repr(number),
                    currency=currency,
                )
            )
    if not rows:
        raise PlanRefused(_m("this customer has no open %(currency)s invoice to plan", currency=currency))
    p, pi = PLANS.c, PLAN_ITEMS.c
    ids = [row.id for row in rows.values()]
    taken = select(func.count()).select_from(PLAN_ITEMS.join(PLANS, p.id == pi.plan_id))
    taken = taken.where(pi.invoice_id.in_(ids), p.status.in_(OPEN))
    if conn.execute(taken).scalar_one():
        raise PlanRefused(
            _m("an invoice of these is already in a plan: cancel that plan first, or name other invoices")
        )
    return sorted(rows.values(), key=lambda row: row.id)


def _to_waive(covered: Sequence[Any], reason: str, *, proposed: bool) -> list[Any]:
    """The covered fee and interest items to waive with the plan (none when no reason is given)."""
    if not reason.strip():
        return []
    if proposed:
        raise PlanRefused(_m("fees and interest are waived when a plan is agreed, not when it is proposed"))
    found = [item for item in covered if item.kind in WAIVABLE]
    if not found:
        raise PlanRefused(_m("the plan covers no fee or interest item: there is nothing to waive"))
    return found


def _schedule(
    *,
    today: date,
    total: int,
    currency: str,
    country: str,
    count: int | None,
    first: date | None,
    every_months: int,
    down_payment: int,
    down_on: date | None,
    typed: Sequence[tuple[date, Decimal]],
) -> list[Instalment]:
    """The typed instalments (with the down payment first, due on `down_on`, default today), else an
    even schedule from `first`."""
    if typed:
        made = [
            Instalment(n, on, to_minor(amount, currency)) for n, (on, amount) in enumerate(typed, start=1)
        ]
        if down_payment:
            made.insert(0, Instalment(0, down_on or today, down_payment))
        return made
    if not count or first is None:
        raise PlanRefused(
            _m("say how many instalments and the first date (--instalments, --first), or type them")
        )
    return list(
        even_schedule(
            total_minor=total,
            count=count,
            first=first,
            country=country,
            every_months=every_months,
            down_payment_minor=down_payment,
            down_on=down_on,
        )
    )


def add(
    conn: Connection,
    *,
    user: User,
    customer: str,
    today: date,
    now: datetime,
    country: str,
    instalments: int | None = None,
    first: date | None = None,
    every_months: int = 1,
    invoices: Sequence[str] = (),
    down_payment: Decimal | None = None,
    down_on: date | None = None,
    typed: Sequence[tuple[date, Decimal]] = (),
    currency: str | None = None,
    proposed: bool = False,
    note: str = "",
    waive: str = "",
    by: str | None = None,
    thresholds: Mapping[str, int] | None = None,
) -> PlanView:
    """Agree a plan over `invoices` (none: every open invoice in the currency): `instalments` even
    instalments from `first` on business days of `country` (or the `typed` ones), after an optional
    down payment; they must add up to the covered open amount. Active at once unless `proposed`.

    `waive` (a reason): the covered fee and interest items are waived in full and the instalments add
    up to the rest (`workspace.plan_waivers`); a waiver above its currency's threshold (`thresholds`)
    makes the plan wait for a manager's approval. `by` names who asks (default: the user)."""
    require(user, Permission.CUSTOMER_ACT)
    row = _customer(conn, user, customer)
    code = _currency(conn, row.id, customer, currency)
    covered = _covered(conn, row.id, code, invoices)
    waived = _to_waive(covered, waive, proposed=proposed)
    total = sum(int(item.open_minor) for item in covered) - sum(int(item.open_minor) for item in waived)
    down = to_minor(down_payment, code) if down_payment is not None else 0
    schedule = _schedule(
        today=today,
        total=total,
        currency=code,
        country=country,
        count=instalments,
        first=first,
        every_months=every_months,
        down_payment=down,
        down_on=down_on,
        typed=typed,
    )
    problems = check_schedule(schedule, total_minor=total)
    if problems:
        raise PlanRefused(PROBLEMS[problems[0]])
    if schedule[0].due_on < today:
        raise PlanRefused(
            _m(
                "the first instalment's date %(on)s is before today: agree a later date",
                on=schedule[0].due_on.isoformat(),
            )
        )
    grace = limits_of(conn, row.grade, row.tags or "").grace_days
    values = {
        "customer_id": row.id,
        "currency": code,
        "total_minor": total,
        "down_payment_minor": down,
        "grace_days": grace,
        "start_on": today,
        "status": "proposed" if proposed else "active",
        "note": note.strip(),
        "created_by": user.login,
        "created_at": now,
    }
    plan_id = int(conn.execute(insert(PLANS).values(values).returning(PLANS.c.id)).scalar_one())
    conn.execute(insert(PLAN_ITEMS), [{"plan_id": plan_id, "invoice_id": item.id} for item in covered])
    asked = waive_covered(
        conn,
        plan_id=plan_id,
        items=waived,
        reason=waive,
        on=today,
        now=now,
        by=by or user.login,
        thresholds=thresholds or {},
        user=user,
    )
    if any(one.status == "pending" for one in asked):
        values["status"] = "waiting"
        conn.execute(update(PLANS).where(PLANS.c.id == plan_id).values(status="waiting"))
    conn.execute(
        insert(PLAN_INSTALMENTS),
        [
            {
                "plan_id": plan_id,
                "number": one.number,
                "due_on": one.due_on,
                "amount_minor": one.amount_minor,
                "paid_minor": 0,
                "status": "pending",
            }
            for one in schedule
        ],
    )
    after = {
        "customer": customer,
        "currency": code,
        "total": format_minor(total, code),
        "status": values["status"],
        "invoices": sorted(item.external_id for item in covered),
        "instalments": [[one.due_on.isoformat(), format_minor(one.amount_minor, code)] for one in schedule],
    } | ({"waivers": [one.id for one in asked]} if asked else {})
    audit.record(conn, at=now, actor=user.login, action="plan.add", object=f"plan:{plan_id}", after=after)
    return get(conn, user=user, plan_id=plan_id)


def _change(
    conn: Connection,
    *,
    user: User,
    plan_id: int,
    now: datetime,
    to: str,
    allowed: tuple[str, ...],
    reason: str = "",
) -> PlanView:
    require(user, Permission.CUSTOMER_ACT)
    plan = get(conn, user=user, plan_id=plan_id)
    if plan.status not in allowed:
        raise PlanRefused(
            _m("plan %(id)s is %(status)s: this cannot be done to it now", id=plan_id, status=plan.status)
        )
    values: dict[str, Any] = {"status": to}
    if to == "cancelled":
        values |= {"reason": "plan_cancelled", "decided_on": now.date()}
    p = PLANS.c
    conn.execute(update(PLANS).where(p.id == plan_id, p.status == plan.status).values(values))
    if plan.status == "proposed":  # asked for in the portal: the customer is told the answer
        from dunmore.portal.answers import tell_plan_answer

        answer = "accepted" if to == "active" else "refused"
        tell_plan_answer(conn, plan=plan, answer=answer, now=now, reason=reason)
    after = {"status": to} | ({"reason": reason} if reason else {})
    audit.record(
        conn,
        at=now,
        actor=user.login,
        action=f"plan.{'cancel' if to == 'cancelled' else 'activate'}",
        object=f"plan:{plan_id}",
        before={"status": plan.status},
        after=after,
    )
    return get(conn, user=user, plan_id=plan_id)


def activate(conn: Connection, *, user: User, plan_id: int, now: datetime) -> PlanView:
    """The customer agreed a proposed plan: from now on the run reads it."""
    return _change(conn, user=user, plan_id=plan_id, now=now, to="active", allowed=("proposed",))


def cancel(conn: Connection, *, user: User, plan_id: int, reason: str, now: datetime) -> PlanView:
    """Cancel a proposed or active plan (withdrawn, agreed by mistake): its invoices escalate again
    at the next run. The reason goes to the audit log."""
    if not reason.strip():
        raise PlanRefused(_m('say why the plan is cancelled: --reason "…"'))
    return _change(
        conn,
        user=user,
        plan_id=plan_id,
        now=now,
        to="cancelled",
        allowed=("proposed", "active"),
        reason=reason.strip(),
    )


def get(conn: Connection, *, user: User, plan_id: int) -> PlanView:
    """One plan the user may see (NotFound otherwise), with its instalments."""
    require(user, Permission.LEDGER_READ)
    found = views(conn, (PLANS.c.id == plan_id) & customer_scope(user))
    if not found:
        raise NotFound(_m("no plan %(id)s among yours: check the number", id=plan_id))
    return found[0]


def customer_plans(conn: Connection, *, user: User, customer: str, limit: int = 50) -> list[PlanView]:
    """One customer's plans, newest first (NotFound when the customer is out of the user's reach)."""
    _customer(conn, user, customer)
    return list_plans(conn, user=user, customer=customer, limit=limit)


__all__ = ["PlanView", "activate", "add", "cancel", "customer_plans", "get", "list_plans"]
