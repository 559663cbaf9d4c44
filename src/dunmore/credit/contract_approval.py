"""Approving a contract's schedule, and the invoices its lines become.

Maker–checker: the person who drafted a version cannot approve it; above the contract's currency's
threshold (settings `workspace.contract_approval_minor`) only a manager or an administrator may.
Approving a version supersedes the one approved before; each line of its schedule that is due
(its event recorded) becomes an invoice of the ledger, `CT-<number>-<line>`, issued on the day of its
event and due on the line's business day, so that the run duns it like any invoice. A line already
invoiced under an earlier version is brought to the new version's amount and dates. The ledger's
derived amounts and the customer's balance follow (`ledger.service.reallocate`, `ledger.balances`),
as after an import.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update

from dunmore.access import audit
from dunmore.access.models import USERS
from dunmore.access.permissions import ROLES, Permission, require
from dunmore.access.values import Role, User
from dunmore.credit.contract_models import CONTRACT_INVOICES, CONTRACT_VERSIONS
from dunmore.credit.contract_reads import contract_row, recorded_events, version_rows
from dunmore.credit.schedule import Line, schedule
from dunmore.credit.terms import parse_terms
from dunmore.domain.money import Money
from dunmore.errors import BadArgument, PermissionDenied
from dunmore.i18n import _m
from dunmore.ledger import balances
from dunmore.ledger.models import INVOICES
from dunmore.ledger.service import reallocate

INVOICE_PREFIX: Final = "CT-"
MANAGERS: Final = frozenset({Role.MANAGER.value, Role.ADMIN.value})


def invoice_number(number: str, line: int) -> str:
    return f"{INVOICE_PREFIX}{number}-{line}"


def _checker(conn: Connection, login: str, user: User | None) -> tuple[str, str]:
    """(login, role) of the person approving: the signed-in user, or the live user `login` names."""
    if user is not None:
        require(user, Permission.CONTRACT_MANAGE)
        return user.login, user.role.value
    found = conn.execute(
        select(USERS.c.login, USERS.c.role).where(USERS.c.login == login.strip().lower(), ~USERS.c.disabled)
    ).first()
    if found is None or Permission.CONTRACT_MANAGE not in ROLES[Role(found.role)].permissions:
        raise PermissionDenied(
            _m(
                "%(login)s is not a user who may approve a contract (contract.manage): name a live "
                "user's login with --by",
                login=repr(login[:100]),
            )
        )
    return str(found.login), str(found.role)


def approve(
    conn: Connection,
    *,
    number: str,
    checker: str,
    thresholds: Mapping[str, int],
    country: str,
    on: date,
    now: datetime,
    actor: str,
    user: User | None = None,
) -> list[str]:
    """Approve the contract's draft version; the invoices its due lines became (their numbers)."""
    name, role = _checker(conn, checker, user)
    row = contract_row(conn, number, user)
    draft = version_rows(conn, row.id)[-1]
    if draft.status != "draft":
        raise BadArgument(_m("contract %(number)s has no version waiting for approval", number=row.number))
    if name.lower() == str(draft.drafted_by).lower():
        raise PermissionDenied(_m("whoever drafted a contract's version cannot approve it: ask a colleague"))
    limit = thresholds.get(draft.currency)
    if limit is not None and draft.amount_minor > limit and role not in MANAGERS:
        raise PermissionDenied(
            _m(
                "%(amount)s is above %(limit)s: only a manager approves this contract",
                amount=str(Money(draft.amount_minor, draft.currency)),
                limit=str(Money(limit, draft.currency)),
            )
        )
    _refuse_dropped_lines(conn, row, draft, country)
    v = CONTRACT_VERSIONS.c
    conn.execute(
        update(CONTRACT_VERSIONS)
        .where(v.contract_id == row.id, v.status == "approved")
        .values(status="superseded")
    )
    conn.execute(
        update(CONTRACT_VERSIONS)
        .where(v.id == draft.id)
        .values(status="approved", approved_by=name, approved_at=now)
    )
    audit.record(
        conn,
        at=now,
        actor=actor,
        action="contract.approve",
        object=f"contract:{row.number}",
        before={"version": draft.version, "status": "draft"},
        after={"version": draft.version, "status": "approved", "by": name},
    )
    return issue_approved(conn, row, country=country, on=on)


def _lines(conn: Connection, contract_id: int, version: Any, country: str) -> tuple[Line, ...]:
    events = recorded_events(conn, contract_id, version.signed_on)
    return schedule(parse_terms(version.terms), version.amount_minor, events, country)


def _issued(conn: Connection, contract_id: int) -> dict[int, Any]:
    ci, i = CONTRACT_INVOICES.c, INVOICES.c
    query = select(ci.line, i.id, i.external_id, i.currency, i.issue_date, i.due_date, i.amount_minor).join(
        INVOICES, i.id == ci.invoice_id
    )
    return {r.line: r for r in conn.execute(query.where(ci.contract_id == contract_id))}


def _refuse_dropped_lines(conn: Connection, row: Any, draft: Any, country: str) -> None:
    """A line already invoiced stays a due line of the same currency: the ledger keeps its invoices."""
    lines = {line.seq: line for line in _lines(conn, row.id, draft, country)}
    for seq, invoice in _issued(conn, row.id).items():
        line = lines.get(seq)
        if (
            line is None
            or line.due_on is None
            or line.amount_minor <= 0
            or invoice.currency != draft.currency
        ):
            raise BadArgument(
                _m(
                    "version %(version)s drops or empties line %(line)s, already invoiced as %(invoice)s: "
                    "keep the line (a credit note of your ERP lowers an invoice)",
                    version=draft.version,
                    line=seq,
                    invoice=invoice.external_id,
                )
            )


def issue_approved(conn: Connection, row: Any, *, country: str, on: date) -> list[str]:
    """Make or bring up to date the invoices of the approved version's due lines; their numbers."""
    approved = [v for v in version_rows(conn, row.id) if v.status == "approved"]
    if not approved:
        return []
    version = approved[-1]
    issued = _issued(conn, row.id)
    touched: list[str] = []
    for line in _lines(conn, row.id, version, country):
        if line.due_on is None or line.event_on is None or line.amount_minor <= 0:
            continue
        values = {"issue_date": line.event_on, "due_date": line.due_on, "amount_minor": line.amount_minor}
        old = issued.get(line.seq)
        if old is None:
            touched.append(_insert(conn, row, version, line, values))
        elif (old.issue_date, old.due_date, old.amount_minor) != tuple(values.values()):
            conn.execute(update(INVOICES).where(INVOICES.c.id == old.id).values(**values))
            ci = CONTRACT_INVOICES.c
            conn.execute(
                update(CONTRACT_INVOICES)
                .where(ci.contract_id == row.id, ci.line == line.seq)
                .values(version=version.version)
            )
            touched.append(str(old.external_id))
    if touched:
        reallocate(conn, [row.customer_id])
        balances.refresh(conn, customer_ids=[row.customer_id], as_of=on)
    return touched


def _insert(conn: Connection, row: Any, version: Any, line: Line, values: dict[str, Any]) -> str:
    external_id = invoice_number(row.number, line.seq)
    if conn.execute(select(INVOICES.c.id).where(INVOICES.c.external_id == external_id)).first() is not None:
        raise BadArgument(
            _m(
                "an invoice %(invoice)s exists already (imported?): rename it in your ERP",
                invoice=external_id,
            )
        )
    invoice_id = conn.execute(
        insert(INVOICES)
        .values(
            external_id=external_id,
            customer_id=row.customer_id,
            currency=version.currency,
            open_minor=line.amount_minor,
            disputed_minor=0,
            on_hold=False,
            **values,
        )
        .returning(INVOICES.c.id)
    ).scalar_one()
    conn.execute(
        insert(CONTRACT_INVOICES).values(
            contract_id=row.id, line=line.seq, invoice_id=invoice_id, version=version.version
        )
    )
    return external_id
