"""Waivers: a fee or interest item a run charged, forgiven in whole or in part, with a reason.

The ledger already has the document that lowers what a customer owes without money: a credit note.
A waiver is one (`CN-WVR-<waiver id>`, an id form imports refuse) naming the item, so the ledger
service allocates it to that item and the balances follow. Above a threshold per currency (settings
`workspace.waiver_approval_minor`) the waiver waits for a manager, who may not be the person who
asked (maker ≠ checker); nothing is credited until then.

`user` is the person acting on the web or the API (scoped, like disputes), or None on the command
line, where `by` names the person (a claim, recorded beside the audit row's `cli:<os user>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Final

from sqlalchemy import Connection, func, insert, select, update

from dunmore.access import audit
from dunmore.access.models import USERS
from dunmore.access.permissions import ROLES, Permission, require
from dunmore.access.values import User
from dunmore.domain.money import Money
from dunmore.errors import AmountError, BadArgument, NotFound, PermissionDenied, refuse_nul
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.store.db import as_utc
from dunmore.workspace.disputes import credit_to, reach
from dunmore.workspace.models import WAIVERS

CREDIT_NOTE_PREFIX: Final = "CN-WVR-"
REASON_MAX: Final = 500
# Who decides a waiver: the roles that approve what a run charged (`run.approve`).
CHECKERS: Final = frozenset(
    role.value for role, rule in ROLES.items() if Permission.RUN_APPROVE in rule.permissions
)


@dataclass(frozen=True)
class WaiverView:
    id: int
    item: str
    customer: str
    amount: Money
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None


def _item(conn: Connection, external_id: str, user: User | None) -> Any:
    i, c = INVOICES.c, CUSTOMERS.c
    row = conn.execute(
        select(
            i.id,
            i.external_id,
            i.customer_id,
            i.currency,
            i.open_minor,
            i.kind,
            c.external_id.label("customer"),
        )
        .join(CUSTOMERS, c.id == i.customer_id)
        .where(i.external_id == external_id, reach(user))
    ).first()
    if row is None:
        raise NotFound(
            _m("no item %(item)s: name a fee or interest item of a run, e.g. FEE-12", item=repr(external_id))
        )
    if row.kind not in ("fee", "interest"):
        raise BadArgument(
            _m(
                "%(item)s is an invoice, not a fee or interest item: only what a run charged can be waived "
                "(a dispute resolved by a credit note lowers an invoice)",
                item=external_id,
            )
        )
    return row


def _waivable(conn: Connection, row: Any) -> int:
    """What is open on the item and not already asked for by a pending waiver."""
    w = WAIVERS.c
    pending = conn.execute(
        select(func.coalesce(func.sum(w.amount_minor), 0)).where(
            w.invoice_id == row.id, w.status == "pending"
        )
    ).scalar_one()
    return int(row.open_minor) - int(pending)


def request_waiver(
    conn: Connection,
    *,
    item: str,
    reason: str,
    on: date,
    now: datetime,
    actor: str,
    by: str,
    thresholds: Mapping[str, int],
    amount: Decimal | None = None,
    user: User | None = None,
    plan_id: int | None = None,
) -> WaiverView:
    """Waive `amount` (default: all that is open) of a fee or interest item: applied at once, or
    pending a manager's approval when above the currency's threshold. `plan_id`: asked with that
    instalment plan, and decided with it (`workspace.plan_waivers`)."""
    if user is not None:
        require(user, Permission.DISPUTE_SET)
    refuse_nul(item, reason, by)
    text = reason.strip()
    if not text or len(text) > REASON_MAX:
        raise BadArgument(_m("a waiver needs a reason of 1 to %(count)s characters", count=REASON_MAX))
    row = _item(conn, item, user)
    room = _waivable(conn, row)
    minor = room if amount is None else Money.of(amount, row.currency).minor
    if not 0 < minor <= room:
        raise AmountError(
            _m(
                "a waiver of %(item)s is above 0 and at most %(room)s (open and not already asked for), "
                "not %(amount)s",
                item=item,
                room=str(Money(max(room, 0), row.currency)),
                amount=str(Money(minor, row.currency)),
            )
        )
    limit = thresholds.get(row.currency)
    status = "pending" if limit is not None and minor > limit else "applied"
    waiver_id = int(
        conn.execute(
            insert(WAIVERS)
            .values(
                invoice_id=row.id,
                customer_id=row.customer_id,
                currency=row.currency,
                amount_minor=minor,
                reason=text,
                status=status,
                requested_by=by,
                requested_at=now,
                plan_id=plan_id,
            )
            .returning(WAIVERS.c.id)
        ).scalar_one()
    )
    if status == "applied":
        _apply(conn, waiver_id, row, minor, on=on)
    after = {
        "customer": row.customer,
        "waiver": waiver_id,
        "amount": str(Money(minor, row.currency).amount),
        "currency": row.currency,
        "reason": text,
        "status": status,
        "by": by,
    } | ({"plan": plan_id} if plan_id is not None else {})
    audit.record(conn, at=now, actor=actor, action="waiver.request", object=f"invoice:{item}", after=after)
    return WaiverView(waiver_id, item, row.customer, Money(minor, row.currency), text, status, by, now, None)


def _apply(conn: Connection, waiver_id: int, row: Any, minor: int, *, on: date) -> None:
    target = SimpleNamespace(customer_id=row.customer_id, currency=row.currency, invoice_id=row.id)
    credit_note_id = credit_to(conn, target, f"{CREDIT_NOTE_PREFIX}{waiver_id}", minor, on=on)
    conn.execute(update(WAIVERS).where(WAIVERS.c.id == waiver_id).values(credit_note_id=credit_note_id))


def _checker(conn: Connection, login: str, user: User | None) -> str:
    """The manager deciding: the signed-in user, or the live manager or administrator `login` names."""
    if user is not None:
        require(user, Permission.RUN_APPROVE)
        role, name = user.role.value, user.login
    else:
        found = conn.execute(
            select(USERS.c.login, USERS.c.role).where(
                USERS.c.login == login.strip().lower(), ~USERS.c.disabled
            )
        ).first()
        role, name = ("", login) if found is None else (str(found.role), str(found.login))
    if role not in CHECKERS:
        raise PermissionDenied(
            _m(
                "only a manager or an administrator approves or rejects a waiver, not %(login)s",
                login=repr(name),
            )
        )
    return str(name)


def decide_waiver(
    conn: Connection,
    *,
    waiver_id: int,
    approve: bool,
    checker: str,
    on: date,
    now: datetime,
    actor: str,
    user: User | None = None,
    with_plan: bool = False,
) -> WaiverView:
    """Approve (the amount is credited to the item) or reject a pending waiver; the checker is a
    manager other than the person who asked. A waiver asked with a plan is decided only with it
    (`with_plan`, from `workspace.plan_waivers`)."""
    refuse_nul(checker)
    name = _checker(conn, checker, user)
    w, i, c = WAIVERS.c, INVOICES.c, CUSTOMERS.c
    row = conn.execute(
        select(
            w.id,
            w.invoice_id,
            w.customer_id,
            w.currency,
            w.amount_minor,
            w.reason,
            w.status,
            w.requested_by,
            w.requested_at,
            w.plan_id,
            i.external_id.label("item"),
            i.open_minor,
            c.external_id.label("customer"),
        )
        .join(INVOICES, i.id == w.invoice_id)
        .join(CUSTOMERS, c.id == w.customer_id)
        .where(w.id == waiver_id, reach(user))
    ).first()
    if row is None:
        raise NotFound(_m("no waiver %(id)s: see `dunmore waive list`", id=str(waiver_id)))
    if row.status != "pending":
        raise BadArgument(
            _m(
                "waiver %(id)s is not waiting for approval: it is %(status)s",
                id=str(waiver_id),
                status=row.status,
            )
        )
    if row.plan_id is not None and not with_plan:
        raise BadArgument(
            _m(
                "waiver %(id)s was asked with plan %(plan)s: approve or reject the plan "
                "(`dunmore plan approve %(plan)s`)",
                id=str(waiver_id),
                plan=str(row.plan_id),
            )
        )
    if name.lower() == str(row.requested_by).lower():
        raise PermissionDenied(
            _m("the person who asked for a waiver cannot approve or reject it: ask another manager")
        )
    status = "applied" if approve else "rejected"
    if approve:
        if row.amount_minor > row.open_minor:
            raise AmountError(
                _m(
                    "%(item)s has only %(open)s open now: reject this waiver and ask for a smaller one",
                    item=row.item,
                    open=str(Money(row.open_minor, row.currency)),
                )
            )
        _apply(
            conn,
            waiver_id,
            SimpleNamespace(customer_id=row.customer_id, currency=row.currency, id=row.invoice_id),
            row.amount_minor,
            on=on,
        )
    conn.execute(
        update(WAIVERS).where(w.id == waiver_id).values(status=status, decided_by=name, decided_at=now)
    )
    audit.record(
        conn,
        at=now,
        actor=actor,
        action=f"waiver.{'approve' if approve else 'reject'}",
        object=f"waiver:{waiver_id}",
        before={"status": "pending"},
        after={"status": status, "by": name, "item": row.item},
    )
    return WaiverView(
        row.id,
        row.item,
        row.customer,
        Money(row.amount_minor, row.currency),
        row.reason,
        status,
        row.requested_by,
        as_utc(row.requested_at),
        name,
    )


def list_waivers(
    conn: Connection, *, status: str | None = None, user: User | None = None, customer: str | None = None
) -> list[WaiverView]:
    """The waivers the user reaches, newest first (at most 200)."""
    w, i, c = WAIVERS.c, INVOICES.c, CUSTOMERS.c
    query = (
        select(
            w.id,
            i.external_id.label("item"),
            c.external_id.label("customer"),
            w.currency,
            w.amount_minor,
            w.reason,
            w.status,
            w.requested_by,
            w.requested_at,
            w.decided_by,
        )
        .join(INVOICES, i.id == w.invoice_id)
        .join(CUSTOMERS, c.id == w.customer_id)
        .where(reach(user))
        .order_by(w.id.desc())
        .limit(200)
    )
    if status is not None:
        query = query.where(w.status == status)
    if customer is not None:
        query = query.where(c.external_id == customer)
    return [
        WaiverView(
            r.id,
            r.item,
            r.customer,
            Money(r.amount_minor, r.currency),
            r.reason,
            r.status,
            r.requested_by,
            as_utc(r.requested_at),
            r.decided_by,
        )
        for r in conn.execute(query)
    ]
