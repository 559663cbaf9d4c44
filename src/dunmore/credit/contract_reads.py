"""Contracts as people read them: one contract with its versions, events, schedule and files, or a list.

A person reaches the contracts of the customers they reach (`access.permissions.customer_scope`);
the command line (`user` None) reaches every one. The schedule shown is the latest version's,
generated afresh from its terms and the events recorded so far (`credit.schedule`), each line with
the invoice it became once approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select, true

from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.credit.contract_models import (
    CONTRACT_ATTACHMENTS,
    CONTRACT_EVENTS,
    CONTRACT_INVOICES,
    CONTRACT_VERSIONS,
    CONTRACTS,
)
from dunmore.credit.schedule import Line, schedule
from dunmore.credit.terms import Event, parse_terms
from dunmore.domain.money import format_minor
from dunmore.errors import NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.store.db import as_utc

LIST_MAX = 500
STATUSES = ("draft", "approved", "superseded")


def reach(user: User | None) -> Any:
    """The customers `user` reaches; every customer for the operator (`None`: the command line)."""
    if user is None:
        return true()
    require(user, Permission.LEDGER_READ)
    return customer_scope(user)


@dataclass(frozen=True)
class VersionView:
    """What one version of the contract says, and where it stands."""

    version: int
    title: str
    signed_on: date
    ends_on: date | None
    currency: str
    amount_minor: int
    terms: str
    interest_terms: str | None
    fee_terms: str | None
    status: str
    drafted_by: str
    drafted_at: datetime
    approved_by: str | None
    approved_at: datetime | None

    @property
    def amount(self) -> str:
        return format_minor(self.amount_minor, self.currency)


@dataclass(frozen=True)
class LineView:
    """A schedule line and the invoice it became (None until its version is approved and it is due)."""

    line: Line
    currency: str
    invoice: str | None
    open_minor: int | None

    @property
    def amount(self) -> str:
        return format_minor(self.line.amount_minor, self.currency)

    @property
    def remainder(self) -> str:
        return format_minor(self.line.remainder_minor, self.currency)


@dataclass(frozen=True)
class FileView:
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    added_by: str


@dataclass(frozen=True)
class ContractView:
    id: int
    number: str
    customer: str
    customer_name: str
    versions: tuple[VersionView, ...]  # oldest first
    events: dict[Event, date]
    lines: tuple[LineView, ...]  # of the latest version
    files: tuple[FileView, ...]

    @property
    def latest(self) -> VersionView:
        return self.versions[-1]

    @property
    def approved(self) -> VersionView | None:
        found = [v for v in self.versions if v.status == "approved"]
        return found[-1] if found else None


def contract_row(conn: Connection, number: str, user: User | None) -> Any:
    """The contract (with its customer's code) if the user reaches it, else `NotFound`."""
    k, c = CONTRACTS.c, CUSTOMERS.c
    row = conn.execute(
        select(k.id, k.number, k.customer_id, c.external_id.label("customer"), c.name.label("customer_name"))
        .join(CUSTOMERS, c.id == k.customer_id)
        .where(k.number == number.strip(), reach(user))
    ).first()
    if row is None:
        raise NotFound(_m("no contract %(number)s: see `dunmore contract list`", number=repr(number[:60])))
    return row


def version_rows(conn: Connection, contract_id: int) -> list[Any]:
    v = CONTRACT_VERSIONS.c
    return list(
        conn.execute(select(CONTRACT_VERSIONS).where(v.contract_id == contract_id).order_by(v.version))
    )


def recorded_events(conn: Connection, contract_id: int, signed_on: date) -> dict[Event, date]:
    """Signing (the version's date) and the events recorded for the contract."""
    e = CONTRACT_EVENTS.c
    rows = conn.execute(select(e.event, e.happened_on).where(e.contract_id == contract_id))
    return {Event.SIGNING: signed_on} | {Event(row.event): row.happened_on for row in rows}


def _version(row: Any) -> VersionView:
    return VersionView(
        version=row.version,
        title=row.title,
        signed_on=row.signed_on,
        ends_on=row.ends_on,
        currency=row.currency,
        amount_minor=row.amount_minor,
        terms=row.terms,
        interest_terms=row.interest_terms,
        fee_terms=row.fee_terms,
        status=row.status,
        drafted_by=row.drafted_by,
        drafted_at=as_utc(row.drafted_at),
        approved_by=row.approved_by,
        approved_at=as_utc(row.approved_at) if row.approved_at is not None else None,
    )


def _invoices(conn: Connection, contract_id: int) -> dict[int, Any]:
    ci, i = CONTRACT_INVOICES.c, INVOICES.c
    query = (
        select(ci.line, i.external_id, i.open_minor)
        .join(INVOICES, i.id == ci.invoice_id)
        .where(ci.contract_id == contract_id)
    )
    return {row.line: row for row in conn.execute(query)}


def _files(conn: Connection, contract_id: int) -> tuple[FileView, ...]:
    a = CONTRACT_ATTACHMENTS.c
    query = select(a.id, a.filename, a.media_type, a.size, a.sha256, a.added_by).where(
        a.contract_id == contract_id
    )
    return tuple(FileView(*row) for row in conn.execute(query.order_by(a.id)))


def show(conn: Connection, *, number: str, country: str, user: User | None = None) -> ContractView:
    """One contract the user reaches, with the schedule of its latest version."""
    row = contract_row(conn, number, user)
    versions = tuple(_version(v) for v in version_rows(conn, row.id))
    latest = versions[-1]
    events = recorded_events(conn, row.id, latest.signed_on)
    issued = _invoices(conn, row.id)
    lines = tuple(
        LineView(
            line,
            latest.currency,
            issued[line.seq].external_id if line.seq in issued else None,
            issued[line.seq].open_minor if line.seq in issued else None,
        )
        for line in schedule(parse_terms(latest.terms), latest.amount_minor, events, country)
    )
    return ContractView(
        row.id, row.number, row.customer, row.customer_name, versions, events, lines, _files(conn, row.id)
    )


@dataclass(frozen=True)
class ContractSummary:
    number: str
    customer: str
    title: str
    currency: str
    amount_minor: int
    version: int
    status: str

    @property
    def amount(self) -> str:
        return format_minor(self.amount_minor, self.currency)


def list_contracts(
    conn: Connection, *, user: User | None = None, customer: str | None = None, status: str | None = None
) -> list[ContractSummary]:
    """The contracts the user reaches (their latest version), newest first, at most `LIST_MAX`."""
    k, v, c = CONTRACTS.c, CONTRACT_VERSIONS.c, CUSTOMERS.c
    latest = select(v.contract_id, func.max(v.version).label("version")).group_by(v.contract_id).subquery()
    conditions = [reach(user)]
    if customer is not None:
        conditions.append(c.external_id == customer)
    if status is not None:
        conditions.append(v.status == status)
    query = (
        select(k.number, c.external_id, v.title, v.currency, v.amount_minor, v.version, v.status)
        .join(CUSTOMERS, c.id == k.customer_id)
        .join(latest, latest.c.contract_id == k.id)
        .join(CONTRACT_VERSIONS, and_(v.contract_id == k.id, v.version == latest.c.version))
        .where(and_(*conditions))
        .order_by(k.id.desc())
        .limit(LIST_MAX)
    )
    return [ContractSummary(*row) for row in conn.execute(query)]


def file_content(
    conn: Connection, *, number: str, file_id: int, user: User | None = None
) -> tuple[FileView, bytes]:
    """One signed file of a contract the user reaches, with its bytes (`NotFound` otherwise)."""
    row = contract_row(conn, number, user)
    a = CONTRACT_ATTACHMENTS.c
    found = conn.execute(
        select(a.id, a.filename, a.media_type, a.size, a.sha256, a.added_by, a.content).where(
            a.contract_id == row.id, a.id == file_id
        )
    ).first()
    if found is None:
        raise NotFound(_m("contract %(number)s has no file %(id)s", number=row.number, id=file_id))
    return FileView(*found[:6]), bytes(found.content)
