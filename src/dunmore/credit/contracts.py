"""Contracts: record one, change it (a new version), record its events, keep its signed files.

A version is drafted by one person and approved by another (`credit.contract_approval`); only then
do its schedule's lines become invoices of the ledger. Every change is audited in the caller's
transaction. `user` is the person on the web (scoped, `contract.manage`), or None on the command
line, where `by` names the person drafting (a claim, beside the audit row's `cli:<os user>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.credit import contract_approval, contract_fee
from dunmore.credit.contract_models import CONTRACT_ATTACHMENTS, CONTRACT_EVENTS, CONTRACT_VERSIONS, CONTRACTS
from dunmore.credit.contract_reads import FileView, contract_row, recorded_events, version_rows
from dunmore.credit.terms import Event, parse_terms
from dunmore.domain.money import Money, check_currency
from dunmore.errors import AmountError, BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.activities import Upload, _checked_file

NUMBER: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
INTEREST: Final = re.compile(r"^(\d{1,2}(?:\.\d{1,4})?)\s*%\s*per\s*(day|month|year)$")
TITLE_MAX: Final = 200
FEE_MAX: Final = 200
RECORDED: Final = (Event.DELIVERY, Event.ACCEPTANCE)
# Dates outside these are typos; the latest leaves room for the terms' longest offsets.
FIRST_DAY: Final = date(1900, 1, 1)
LAST_DAY: Final = date(2999, 12, 31)


def _day(day: date | None, what: str) -> date | None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise BadArgument(
            _m(
                "%(what)s %(day)s is not between 1900 and 2999: check it for a typo",
                what=what,
                day=day.isoformat(),
            )
        )
    return day


@dataclass(frozen=True)
class Says:
    """What a version of a contract says, as entered (amount in major units of `currency`)."""

    title: str
    signed_on: date
    amount: Decimal
    currency: str
    terms: str
    ends_on: date | None = None
    interest_terms: str | None = None
    fee_terms: str | None = None


def checked(says: Says) -> dict[str, Any]:
    """The version's columns, every field checked; `BadArgument`/`AmountError` say what to fix."""
    title = " ".join(says.title.split())
    if not 0 < len(title) <= TITLE_MAX or "\x00" in title:
        raise BadArgument(_m("a contract's title has 1 to %(most)s characters", most=TITLE_MAX))
    currency = check_currency(says.currency.strip().upper())
    minor = Money.of(says.amount, currency).minor
    if minor <= 0:
        raise AmountError(_m("a contract's amount is above zero, not %(amount)s", amount=str(says.amount)))
    _day(says.signed_on, "signed")
    _day(says.ends_on, "ends")
    if says.ends_on is not None and says.ends_on < says.signed_on:
        raise BadArgument(
            _m(
                "the contract ends (%(end)s) before it is signed (%(start)s)",
                end=says.ends_on,
                start=says.signed_on,
            )
        )
    return {
        "title": title,
        "signed_on": says.signed_on,
        "ends_on": says.ends_on,
        "currency": currency,
        "amount_minor": minor,
        "terms": parse_terms(says.terms).text,
        "interest_terms": interest_clause(says.interest_terms),
        "fee_terms": fee_clause(says.fee_terms, currency),
    }


def interest_clause(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    found = INTEREST.match(" ".join(text.strip().lower().split()))
    if found is None:
        raise BadArgument(
            _m(
                "interest terms %(text)s: write a rate and a period, e.g. `0.05%% per day`",
                text=repr(text[:60]),
            )
        )
    return f"{Decimal(found[1]).normalize():f}% per {found[2]}"


def fee_clause(text: str | None, currency: str | None = None) -> str | None:
    """`AMOUNT per notice` (`credit.contract_fee`), with the currency's places once it is known."""
    if text is None or not text.strip():
        return None
    found = contract_fee.TERMS.match(" ".join(text.strip().lower().split())[:FEE_MAX])
    if found is None:
        raise BadArgument(
            _m(
                "fee terms %(text)s: write an amount per notice, e.g. `200.00 per notice`",
                text=repr(text[:60]),
            )
        )
    return contract_fee.canonical(Decimal(found[1]), currency)


def _customer_id(conn: Connection, code: str, user: User | None) -> int:
    c = CUSTOMERS.c
    condition = customer_scope(user) if user is not None else c.id.isnot(None)
    found = conn.execute(select(c.id).where(c.external_id == code.strip(), condition)).scalar()
    if found is None:
        raise NotFound(
            _m("no customer %(customer)s among yours: check the customer code", customer=repr(code[:60]))
        )
    return int(found)


def _maker(user: User | None, by: str) -> str:
    if user is not None:
        require(user, Permission.CONTRACT_MANAGE)
        return user.login
    name = by.strip()
    if not name or len(name) > 100 or "\x00" in name:
        raise BadArgument(_m("say who drafts the contract: --by LOGIN (at most 100 characters)"))
    return name


def add_contract(
    conn: Connection,
    *,
    customer: str,
    number: str,
    says: Says,
    by: str,
    actor: str,
    now: datetime,
    user: User | None = None,
) -> str:
    """Record a contract of `customer`: version 1, a draft waiting for approval. Its number."""
    maker = _maker(user, by)
    if not NUMBER.match(number):
        raise BadArgument(
            _m(
                "contract number %(number)s: 1 to 40 letters, digits and . _ -, starting with a letter "
                "or digit",
                number=repr(number[:60]),
            )
        )
    customer_id = _customer_id(conn, customer, user)
    if conn.execute(select(CONTRACTS.c.id).where(CONTRACTS.c.number == number)).first() is not None:
        raise BadArgument(
            _m("contract %(number)s exists: change it with `dunmore contract change`", number=number)
        )
    values = checked(says)
    contract_id = conn.execute(
        insert(CONTRACTS)
        .values(customer_id=customer_id, number=number, created_by=maker, created_at=now)
        .returning(CONTRACTS.c.id)
    ).scalar_one()
    _draft(conn, contract_id, 1, values, maker, now)
    audit.record(
        conn,
        at=now,
        actor=actor,
        action="contract.add",
        object=f"contract:{number}",
        after=_audited(values) | {"customer": customer, "version": 1, "by": maker},
    )
    return number


def _draft(
    conn: Connection, contract_id: int, version: int, values: dict[str, Any], maker: str, now: datetime
) -> None:
    conn.execute(
        insert(CONTRACT_VERSIONS).values(
            contract_id=contract_id,
            version=version,
            status="draft",
            drafted_by=maker,
            drafted_at=now,
            **values,
        )
    )


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items() if k != "amount_minor"}
    return shown | {"amount": str(Money(values["amount_minor"], values["currency"]).amount)}


def change_contract(
    conn: Connection, *, number: str, says: Says, by: str, actor: str, now: datetime, user: User | None = None
) -> int:
    """A new version of the contract, a draft that needs approval again (an older draft is
    superseded by it); the approved version stays in force until then. The new version's number."""
    maker = _maker(user, by)
    row = contract_row(conn, number, user)
    values = checked(says)
    versions = version_rows(conn, row.id)
    v = CONTRACT_VERSIONS.c
    conn.execute(
        update(CONTRACT_VERSIONS)
        .where(v.contract_id == row.id, v.status == "draft")
        .values(status="superseded")
    )
    version = int(versions[-1].version) + 1
    _draft(conn, row.id, version, values, maker, now)
    audit.record(
        conn,
        at=now,
        actor=actor,
        action="contract.change",
        object=f"contract:{row.number}",
        before={"version": versions[-1].version},
        after=_audited(values) | {"version": version, "by": maker},
    )
    return version


def record_event(
    conn: Connection,
    *,
    number: str,
    event: str,
    on: date,
    by: str,
    actor: str,
    now: datetime,
    country: str,
    user: User | None = None,
) -> list[str]:
    """Record the day delivery or acceptance happened: the parts of the terms waiting for it fall
    due from it; under an approved version they become invoices at once (their numbers returned)."""
    maker = _maker(user, by)
    if event not in {e.value for e in RECORDED}:
        raise BadArgument(
            _m(
                "event %(event)s: record delivery or acceptance (signing is the contract's date)",
                event=repr(event[:30]),
            )
        )
    _day(on, event)
    row = contract_row(conn, number, user)
    latest = version_rows(conn, row.id)[-1]
    known = recorded_events(conn, row.id, latest.signed_on)
    if Event(event) in known:
        raise BadArgument(
            _m(
                "%(event)s of contract %(number)s was recorded on %(on)s already",
                event=event,
                number=row.number,
                on=known[Event(event)],
            )
        )
    if on < latest.signed_on:
        raise BadArgument(
            _m(
                "%(event)s on %(on)s is before the contract was signed (%(signed)s)",
                event=event,
                on=on,
                signed=latest.signed_on,
            )
        )
    conn.execute(
        insert(CONTRACT_EVENTS).values(
            contract_id=row.id, event=event, happened_on=on, recorded_by=maker, recorded_at=now
        )
    )
    audit.record(
        conn,
        at=now,
        actor=actor,
        action="contract.event",
        object=f"contract:{row.number}",
        after={"event": event, "on": on.isoformat(), "by": maker},
    )
    return contract_approval.issue_approved(conn, row, country=country, on=on)


def attach(
    conn: Connection,
    *,
    number: str,
    upload: Upload,
    by: str,
    actor: str,
    now: datetime,
    user: User | None = None,
) -> FileView:
    """Keep a signed contract (PDF) or its scan with its SHA-256; size and type checked as the
    workspace's attachments are (at most 10 MiB; PDF, PNG, JPEG or WebP, told by the content)."""
    maker = _maker(user, by)
    row = contract_row(conn, number, user)
    file = _checked_file(upload)
    file_id = conn.execute(
        insert(CONTRACT_ATTACHMENTS)
        .values(
            contract_id=row.id,
            filename=file.filename,
            media_type=file.media_type,
            size=len(file.content),
            sha256=file.sha256,
            content=file.content,
            added_by=maker,
            added_at=now,
        )
        .returning(CONTRACT_ATTACHMENTS.c.id)
    ).scalar_one()
    audit.record(
        conn,
        at=now,
        actor=actor,
        action="contract.attach",
        object=f"contract:{row.number}",
        after={"file": file.filename, "sha256": file.sha256, "size": len(file.content), "by": maker},
    )
    return FileView(int(file_id), file.filename, file.media_type, len(file.content), file.sha256, maker)
