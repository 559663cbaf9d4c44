"""Disputes with a life: opened with a reason and an owner, resolved by a credit note, rejected or
withdrawn.

The engine keeps reading one column: an invoice's `disputed_minor` is kept equal to the sum of its
open disputes (plus any disputed amount an import set, which no row explains), so a run, its
explanation and the delivery guard need nothing new. Opening adds the amount (bounded by what is
still open on the invoice), resolving takes the whole dispute off it: what a credit note does not
cover goes back to dunning at the next run. A credit note is a ledger document like an imported one
(`CN-DSP-<dispute id>`, an id form imports refuse), allocated to the invoice by the ledger service,
so balances and allocations stay what the documents imply.

Every function takes `user`: the person acting, whose scope (`customer_scope`) bounds what they
reach — a dispute or invoice outside it is "not found" — or None for the command line, which whoever
can open the database runs. Every change is audited in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, insert, select, true, update

from dunmore.access import audit
from dunmore.access.models import USERS
from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.delivery import outbox
from dunmore.domain.money import Money
from dunmore.errors import AmountError, BadArgument, NotFound, refuse_nul
from dunmore.i18n import _m
from dunmore.ledger import balances
from dunmore.ledger.models import CREDIT_NOTES, CUSTOMERS, INVOICES
from dunmore.ledger.service import reallocate
from dunmore.store.db import as_utc
from dunmore.webhooks import emit as webhooks
from dunmore.workspace.alerts import raise_alert, recipients_of
from dunmore.workspace.models import DISPUTES

REASONS: Final = ("quality", "quantity", "price", "not-received", "already-paid", "other")
# The outcome as typed (`credit-note`) → as stored (`credit_note`).
OUTCOMES: Final = {"credit-note": "credit_note", "rejected": "rejected", "withdrawn": "withdrawn"}
CREDIT_NOTE_PREFIX: Final = "CN-DSP-"
NOTE_MAX: Final = 2000


@dataclass(frozen=True)
class Opened:
    dispute_id: int
    invoice: str
    customer: str
    amount: Money
    deliveries_cancelled: int


@dataclass(frozen=True)
class Resolved:
    dispute_id: int
    invoice: str
    outcome: str
    credited: Money
    back_to_dunning: Money
    credit_note: str | None


def reach(user: User | None) -> Any:
    """The customers `user` reaches; every customer for the operator (`None`: the command line)."""
    return true() if user is None else customer_scope(user)


def _invoice(conn: Connection, external_id: str, user: User | None) -> Any:
    i, c = INVOICES.c, CUSTOMERS.c
    row = conn.execute(
        select(
            i.id,
            i.external_id,
            i.customer_id,
            i.currency,
            i.open_minor,
            i.disputed_minor,
            i.kind,
            c.external_id.label("customer"),
            c.owner,
        )
        .join(CUSTOMERS, c.id == i.customer_id)
        .where(i.external_id == external_id, reach(user))
    ).first()
    if row is None:
        raise NotFound(
            _m(
                "no invoice %(invoice)s: use the invoice number of your ERP, as imported",
                invoice=repr(external_id),
            )
        )
    return row


def customer_of(conn: Connection, *, invoice: str, user: User | None) -> str:
    """The code of the customer an invoice (or a run's item) belongs to, within the user's reach;
    "" when there is none (the service then says "not found")."""
    if "\x00" in invoice:
        return ""
    i, c = INVOICES.c, CUSTOMERS.c
    query = select(c.external_id).join(INVOICES, i.customer_id == c.id).where(i.external_id == invoice)
    found = conn.execute(query.where(reach(user))).scalar()
    return "" if found is None else str(found)


def _owner(conn: Connection, owner: str | None, default: str | None) -> str | None:
    """The dispute's owner: a live user's login when given, else the customer's owner."""
    if owner is None:
        return default.lower() if default else None
    login = owner.strip().lower()
    found = conn.execute(select(USERS.c.login).where(USERS.c.login == login, ~USERS.c.disabled)).scalar()
    if found is None:
        raise NotFound(
            _m("no active user %(login)s to own the dispute: see `dunmore users list`", login=repr(owner))
        )
    return str(found)


def _checked_note(note: str) -> str:
    refuse_nul(note)
    if len(note) > NOTE_MAX:
        raise BadArgument(_m("a note is at most %(count)s characters: shorten it", count=NOTE_MAX))
    return note.strip()


def _positive_minor(amount: Decimal, currency: str) -> int:
    minor = Money.of(amount, currency).minor
    if minor <= 0:
        raise AmountError(_m("an amount is above 0, not %(amount)s", amount=str(amount)))
    return minor


def open_dispute(
    conn: Connection,
    *,
    invoice: str,
    amount: Decimal,
    reason: str,
    now: datetime,
    actor: str,
    note: str = "",
    owner: str | None = None,
    user: User | None = None,
) -> Opened:
    """Open a dispute of `amount` of the invoice: the amount leaves every sum of the next run, the
    group's pending deliveries are cancelled, the owner and the managers are alerted."""
    if user is not None:
        require(user, Permission.DISPUTE_SET)
    if reason not in REASONS:
        raise BadArgument(
            _m(
                "unknown reason %(reason)s: use one of %(reasons)s",
                reason=repr(reason),
                reasons=", ".join(REASONS),
            )
        )
    refuse_nul(invoice, note, owner)
    row = _invoice(conn, invoice, user)
    minor = _positive_minor(amount, row.currency)
    room = row.open_minor - row.disputed_minor
    if minor > room:
        raise AmountError(
            _m(
                "%(amount)s is more than the %(room)s of invoice %(invoice)s that is open and not yet "
                "disputed: dispute at most that",
                amount=str(Money(minor, row.currency)),
                room=str(Money(max(room, 0), row.currency)),
                invoice=invoice,
            )
        )
    return _open(
        conn,
        row,
        minor,
        reason=reason,
        note=_checked_note(note),
        owner=_owner(conn, owner, row.owner),
        now=now,
        actor=actor,
    )


def _open(
    conn: Connection,
    row: Any,
    minor: int,
    *,
    reason: str,
    note: str,
    owner: str | None,
    now: datetime,
    actor: str,
) -> Opened:
    dispute_id = int(
        conn.execute(
            insert(DISPUTES)
            .values(
                invoice_id=row.id,
                customer_id=row.customer_id,
                currency=row.currency,
                amount_minor=minor,
                reason=reason,
                note=note,
                status="open",
                owner=owner,
                opened_by=actor,
                opened_at=now,
            )
            .returning(DISPUTES.c.id)
        ).scalar_one()
    )
    _set_disputed(conn, row.id, row.disputed_minor + minor)
    detail = f"invoice {row.external_id} disputed ({Money(minor, row.currency).amount}) after the notice"
    count = outbox.cancel_held(conn, now=now, customers=[row.customer_id], reason="dispute", detail=detail)
    amount = Money(minor, row.currency)
    after = {
        "customer": row.customer,
        "dispute": dispute_id,
        "amount": str(amount.amount),
        "currency": row.currency,
        "reason": reason,
        "owner": owner,
        "deliveries_cancelled": count,
    }
    audit.record(
        conn,
        at=now,
        actor=actor,
        action="dispute.open",
        object=f"invoice:{row.external_id}",
        before={"disputed": str(Money(row.disputed_minor, row.currency).amount)},
        after=after,
    )
    data = {
        "invoice": row.external_id,
        "customer": row.customer,
        "currency": row.currency,
        "dispute": dispute_id,
        "reason": reason,
        "disputed": str(Money(row.disputed_minor + minor, row.currency).amount),
        "deliveries_cancelled": count,
    }
    webhooks.emit(conn, "dispute.opened", lambda: [data], now=now)
    recipients = set(recipients_of(conn, row.customer_id)) | ({owner} if owner else set())
    params = {
        "dispute": dispute_id,
        "invoice": row.external_id,
        "customer": row.customer,
        "amount": str(amount.amount),
        "currency": row.currency,
        "reason": reason,
    }
    raise_alert(
        conn,
        kind="dispute_opened",
        key=f"dispute-opened:{dispute_id}",
        customer_id=row.customer_id,
        params=params,
        at=now,
        recipients=_live(conn, recipients),
    )
    return Opened(dispute_id, row.external_id, row.customer, amount, count)


def _live(conn: Connection, logins: set[str]) -> list[str]:
    query = select(USERS.c.login).where(USERS.c.login.in_(sorted(logins)), ~USERS.c.disabled)
    return sorted(conn.execute(query).scalars())


def _set_disputed(conn: Connection, invoice_id: int, minor: int) -> None:
    conn.execute(update(INVOICES).where(INVOICES.c.id == invoice_id).values(disputed_minor=max(minor, 0)))


def _dispute(conn: Connection, dispute_id: int, user: User | None) -> Any:
    d, i, c = DISPUTES.c, INVOICES.c, CUSTOMERS.c
    row = conn.execute(
        select(
            d.id,
            d.invoice_id,
            d.customer_id,
            d.currency,
            d.amount_minor,
            d.status,
            d.note,
            i.external_id.label("invoice"),
            i.open_minor,
            i.disputed_minor,
            c.external_id.label("customer"),
        )
        .join(INVOICES, i.id == d.invoice_id)
        .join(CUSTOMERS, c.id == d.customer_id)
        .where(d.id == dispute_id, reach(user))
    ).first()
    if row is None:
        raise NotFound(
            _m("no dispute %(id)s: see the disputes with `dunmore disputes list`", id=str(dispute_id))
        )
    return row


def resolve_dispute(
    conn: Connection,
    *,
    dispute_id: int,
    outcome: str,
    on: date,
    now: datetime,
    actor: str,
    amount: Decimal | None = None,
    note: str = "",
    user: User | None = None,
) -> Resolved:
    """Close an open dispute. `credit-note` credits `amount` (default: all of it) to the invoice in
    the ledger; whatever is not credited, and the whole amount when `rejected` or `withdrawn`, goes
    back to dunning at the next run. `on` is the business date of the credit note."""
    if user is not None:
        require(user, Permission.DISPUTE_SET)
    if outcome not in OUTCOMES:
        raise BadArgument(
            _m(
                "unknown outcome %(outcome)s: use one of %(outcomes)s",
                outcome=repr(outcome),
                outcomes=", ".join(OUTCOMES),
            )
        )
    row = _dispute(conn, dispute_id, user)
    if row.status != "open":
        raise BadArgument(
            _m(
                "dispute %(id)s is already resolved: open a new one if the customer disputes again",
                id=str(dispute_id),
            )
        )
    credited = _credited(row, outcome, amount)
    _set_disputed(conn, row.invoice_id, row.disputed_minor - row.amount_minor)
    credit_note, credit_note_id = None, None
    if credited:
        credit_note = f"{CREDIT_NOTE_PREFIX}{dispute_id}"
        credit_note_id = credit_to(conn, row, credit_note, credited, on=on)
    text = _checked_note(note)
    stored = row.note + ("\n" if row.note and text else "") + text
    conn.execute(
        update(DISPUTES)
        .where(DISPUTES.c.id == dispute_id)
        .values(
            status="resolved",
            outcome=OUTCOMES[outcome],
            resolved_minor=credited,
            credit_note_id=credit_note_id,
            resolved_by=actor,
            resolved_at=now,
            note=stored,
        )
    )
    done = Resolved(
        dispute_id,
        row.invoice,
        OUTCOMES[outcome],
        Money(credited, row.currency),
        Money(row.amount_minor - credited, row.currency),
        credit_note,
    )
    _announce(conn, row, done, note=text, now=now, actor=actor)
    return done


def _credited(row: Any, outcome: str, amount: Decimal | None) -> int:
    """The minor units the resolution credits: only a credit note does, at most the dispute and what
    is still open on the invoice."""
    if outcome != "credit-note":
        if amount is not None:
            raise BadArgument(_m("only a credit-note resolution takes an amount: leave --amount out"))
        return 0
    most = min(row.amount_minor, row.open_minor)
    minor = most if amount is None else _positive_minor(amount, row.currency)
    if minor > most or most == 0:
        raise AmountError(
            _m(
                "a credit note for dispute %(id)s is at most %(most)s (the disputed amount still open), "
                "not %(amount)s",
                id=str(row.id),
                most=str(Money(most, row.currency)),
                amount=str(Money(minor, row.currency)),
            )
        )
    return minor


def credit_to(conn: Connection, row: Any, external_id: str, minor: int, *, on: date) -> int:
    """A credit note of `minor` naming the invoice (`row.invoice_id`), dated `on`, then the ledger's
    derived amounts and the customer's balance brought up to date; the credit note's id."""
    found = int(
        conn.execute(
            insert(CREDIT_NOTES)
            .values(
                external_id=external_id,
                customer_id=row.customer_id,
                date=on,
                currency=row.currency,
                amount_minor=minor,
                invoice_id=row.invoice_id,
                unapplied_minor=minor,
            )
            .returning(CREDIT_NOTES.c.id)
        ).scalar_one()
    )
    reallocate(conn, [row.customer_id])
    balances.refresh(conn, customer_ids=[row.customer_id], as_of=on)
    return found


def _announce(conn: Connection, row: Any, done: Resolved, *, note: str, now: datetime, actor: str) -> None:
    after = {
        "customer": row.customer,
        "invoice": row.invoice,
        "outcome": done.outcome,
        "credited": str(done.credited.amount),
        "back_to_dunning": str(done.back_to_dunning.amount),
        "currency": row.currency,
        "credit_note": done.credit_note,
        "note": note,
    }
    audit.record(
        conn,
        at=now,
        actor=actor,
        action="dispute.resolve",
        object=f"dispute:{row.id}",
        before={"status": "open", "amount": str(Money(row.amount_minor, row.currency).amount)},
        after=after,
    )
    data = {k: v for k, v in after.items() if k != "note"} | {"dispute": row.id}
    webhooks.emit(conn, "dispute.resolved", lambda: [data], now=now)


def set_disputed_total(
    conn: Connection, *, invoice: str, amount: Decimal, now: datetime, actor: str
) -> tuple[int, list[int]]:
    """`dunmore dispute INVOICE AMOUNT`, kept: set the invoice's disputed total to `amount`.

    The rows follow: a rise opens a dispute of reason `other` for the difference; a fall withdraws
    open disputes, newest first, and when that takes off too much, opens one of reason `other` for
    the part still disputed. The column itself, the cancelled deliveries, the audit row and the
    `dispute.opened` webhook are what `delivery.stops.dispute` always did. Returns how many
    deliveries were cancelled and the ids of the disputes opened."""
    from dunmore.delivery import stops

    row = _invoice(conn, invoice, None)
    target = Money.of(amount, row.currency).minor
    tracked = _open_rows(conn, row.id)
    total = sum(minor for _, minor in tracked)
    untracked = max(row.disputed_minor - total, 0)
    count = stops.dispute(conn, invoice=invoice, amount=amount, now=now, actor=actor)
    wanted = target - untracked  # what the rows should sum to
    opened: list[int] = []
    for dispute_id, minor in reversed(tracked):
        if total <= max(wanted, 0):
            break
        _close(conn, dispute_id, now=now, actor=actor)
        total -= minor
    if wanted > total:
        opened.append(_insert_other(conn, row, wanted - total, now=now, actor=actor))
    return count, opened


def _open_rows(conn: Connection, invoice_id: int) -> list[tuple[int, int]]:
    d = DISPUTES.c
    query = select(d.id, d.amount_minor).where(d.invoice_id == invoice_id, d.status == "open").order_by(d.id)
    return [(int(i), int(m)) for i, m in conn.execute(query)]


def _close(conn: Connection, dispute_id: int, *, now: datetime, actor: str) -> None:
    conn.execute(
        update(DISPUTES)
        .where(DISPUTES.c.id == dispute_id)
        .values(status="resolved", outcome="withdrawn", resolved_minor=0, resolved_by=actor, resolved_at=now)
    )


def _insert_other(conn: Connection, row: Any, minor: int, *, now: datetime, actor: str) -> int:
    owner = row.owner.lower() if row.owner else None
    return int(
        conn.execute(
            insert(DISPUTES)
            .values(
                invoice_id=row.id,
                customer_id=row.customer_id,
                currency=row.currency,
                amount_minor=minor,
                reason="other",
                note="",
                status="open",
                owner=owner,
                opened_by=actor,
                opened_at=now,
            )
            .returning(DISPUTES.c.id)
        ).scalar_one()
    )


@dataclass(frozen=True)
class DisputeView:
    """One dispute as the list, the page and the API show it; `age_days` counts from its opening to
    the business date asked for (or to its resolution), `overdue` says it passed the SLA open."""

    id: int
    invoice: str
    customer: str
    customer_name: str
    amount: Money
    reason: str
    status: str
    outcome: str | None
    credited: Money | None
    owner: str | None
    note: str
    opened_by: str
    opened_at: datetime
    resolved_at: datetime | None
    age_days: int
    overdue: bool


PAGE_MAX: Final = 200


def list_disputes(
    conn: Connection,
    *,
    as_of: date,
    sla_days: int,
    user: User | None = None,
    status: str | None = None,
    owner: str | None = None,
    customer: str | None = None,
    before_id: int | None = None,
    dispute_id: int | None = None,
    limit: int = 50,
) -> list[DisputeView]:
    """The disputes the user reaches, newest first, `limit` of them from before `before_id` (a
    keyset page: the next page starts before the last id shown)."""
    refuse_nul(owner, customer)
    d, i, c = DISPUTES.c, INVOICES.c, CUSTOMERS.c
    query = (
        select(
            d.id,
            i.external_id.label("invoice"),
            c.external_id.label("customer"),
            c.name,
            d.currency,
            d.amount_minor,
            d.reason,
            d.status,
            d.outcome,
            d.resolved_minor,
            d.owner,
            d.note,
            d.opened_by,
            d.opened_at,
            d.resolved_at,
        )
        .join(INVOICES, i.id == d.invoice_id)
        .join(CUSTOMERS, c.id == d.customer_id)
        .where(reach(user))
        .order_by(d.id.desc())
        .limit(max(1, min(limit, PAGE_MAX)))
    )
    if status is not None:
        query = query.where(d.status == status)
    if owner:
        query = query.where(d.owner == owner.strip().lower())
    if customer:
        query = query.where(c.external_id == customer)
    if before_id is not None:
        query = query.where(d.id < before_id)
    if dispute_id is not None:
        query = query.where(d.id == dispute_id)
    return [_view(row, as_of, sla_days) for row in conn.execute(query)]


def _view(row: Any, as_of: date, sla_days: int) -> DisputeView:
    opened, resolved = as_utc(row.opened_at), None if row.resolved_at is None else as_utc(row.resolved_at)
    until = as_of if resolved is None else resolved.date()
    age = max((until - opened.date()).days, 0)
    credited = None if row.resolved_minor is None else Money(row.resolved_minor, row.currency)
    return DisputeView(
        row.id,
        row.invoice,
        row.customer,
        row.name,
        Money(row.amount_minor, row.currency),
        row.reason,
        row.status,
        row.outcome,
        credited,
        row.owner,
        row.note,
        row.opened_by,
        opened,
        resolved,
        age,
        row.status == "open" and age > sla_days,
    )
