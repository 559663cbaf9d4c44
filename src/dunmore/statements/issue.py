"""Issuing statements of account and reminding of the unanswered ones: the writes of the AR team.

`issue` computes each customer's statement per currency for a period from the ledger as of a date,
stores it as a new immutable version (content, SHA-256, HTML, PDF in the customer's language) and
queues its e-mail; `remind` sends the one reminder of a statement left unanswered half its window and
lapses those whose window ended. Both take the acting user: customers out of their scope are not
reached; every statement issued, reminded or lapsed is audited in the caller's transaction.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, func, insert, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.delivery.languages import LANGUAGES
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.progress import Progress, quiet
from dunmore.settings import Settings
from dunmore.statements import mail
from dunmore.statements.compute import Statement, compute
from dunmore.statements.ledger_read import read_ledger
from dunmore.statements.models import STATEMENTS
from dunmore.statements.render import Heading, canonical, content_of, statement_html, statement_pdf

OPEN = ("sent", "viewed")  # waiting for the customer's answer
MAX_CUSTOMERS = 10_000  # one --customers list


@dataclass(frozen=True)
class Issued:
    """One statement version issued: which, and whether its e-mail was queued."""

    statement_id: int
    customer: str
    currency: str
    version: int
    closing_minor: int
    sha256: str
    mailed: bool
    texted: bool = False  # no e-mail address: the portal link by SMS instead


def period_of(month: str | None, start: date | None, end: date | None) -> tuple[date, date]:
    """The period named by a month (`2026-11`) or by its first and last days."""
    if month is not None:
        if start is not None or end is not None:
            raise BadArgument(_m("give a month (--period) or its days (--from, --to), not both"))
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise BadArgument(
                _m("%(period)s is not a month: give one like 2026-11", period=repr(month))
            ) from None
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
    if start is None or end is None:
        raise BadArgument(_m("give the period: --period 2026-11, or --from and --to"))
    if end < start or (end - start).days > 366:
        raise BadArgument(
            _m(
                "a period runs forward and at most a year: from %(start)s to %(end)s",
                start=start.isoformat(),
                end=end.isoformat(),
            )
        )
    return start, end


def _customers(conn: Connection, user: User, codes: Sequence[str] | None) -> list[Any]:
    c = CUSTOMERS.c
    query = (
        select(c.id, c.external_id, c.name, c.language).where(customer_scope(user)).order_by(c.external_id)
    )
    if codes is None:
        return list(conn.execute(query))
    if len(codes) > MAX_CUSTOMERS:
        raise BadArgument(_m("name at most %(max)s customers at a time", max=MAX_CUSTOMERS))
    rows = list(conn.execute(query.where(c.external_id.in_(sorted(set(codes))))))
    missing = sorted(set(codes) - {row.external_id for row in rows})
    if missing:
        raise NotFound(
            _m("no customer %(customer)s among yours: check the customer code", customer=repr(missing[0]))
        )
    return rows


def _worth_issuing(statement: Statement) -> bool:
    """A currency the customer did nothing in and owes nothing in gets no statement."""
    return bool(statement.lines or statement.opening_minor or statement.open_items)


def _next_version(conn: Connection, customer_id: int, statement: Statement) -> int:
    s = STATEMENTS.c
    query = select(func.coalesce(func.max(s.version), 0)).where(
        s.customer_id == customer_id,
        s.currency == statement.currency,
        s.period_from == statement.period_from,
        s.period_to == statement.period_to,
    )
    return int(conn.execute(query).scalar_one()) + 1


def issue(
    conn: Connection,
    *,
    user: User,
    period: tuple[date, date],
    as_of: date,
    now: datetime,
    creditor: Any,
    confirm_days: int = 14,
    customers: Sequence[str] | None = None,
    progress: Progress = quiet,
    settings: Settings | None = None,
) -> list[Issued]:
    """Issue the period's statements of the customers (None: every customer in the user's scope),
    computed from the ledger as of `as_of`, and queue each one's e-mail, reporting per customer."""
    require(user, Permission.CUSTOMER_ACT)
    if as_of < period[1]:
        raise BadArgument(
            _m(
                "a statement is issued after its period: --as-of %(as_of)s is before %(end)s",
                as_of=as_of.isoformat(),
                end=period[1].isoformat(),
            )
        )
    if not 1 <= confirm_days <= 365:
        raise BadArgument(_m("the days to confirm are 1 to 365, not %(days)s", days=confirm_days))
    rows = _customers(conn, user, customers)
    issued: list[Issued] = []
    for done, row in enumerate(rows, start=1):
        for currency, (documents, applied) in read_ledger(conn, row.id).items():
            statement = compute(currency, documents, applied, period_from=period[0], period_to=period[1])
            if _worth_issuing(statement):
                issued.append(
                    _store(
                        conn,
                        row,
                        statement,
                        as_of=as_of,
                        now=now,
                        creditor=creditor,
                        confirm_days=confirm_days,
                        actor=user.login,
                        settings=settings,
                    )
                )
        progress("statements", done, len(rows))
    return issued


def _store(
    conn: Connection,
    customer: Any,
    statement: Statement,
    *,
    as_of: date,
    now: datetime,
    creditor: Any,
    confirm_days: int,
    actor: str,
    settings: Settings | None = None,
) -> Issued:
    language = customer.language if customer.language in LANGUAGES else "zh-CN"
    version = _next_version(conn, customer.id, statement)
    heading = Heading(
        customer.external_id,
        customer.name,
        version,
        as_of,
        as_of + timedelta(days=confirm_days),
        creditor.name,
        tuple(creditor.address),
    )
    content = content_of(statement, heading)
    text, sha256 = canonical(content)
    html = statement_html(content, sha256, language=language)
    values = {
        "customer_id": customer.id,
        "currency": statement.currency,
        "period_from": statement.period_from,
        "period_to": statement.period_to,
        "version": version,
        "language": language,
        "opening_minor": statement.opening_minor,
        "closing_minor": statement.closing_minor,
        "content": text,
        "content_sha256": sha256,
        "html": html,
        "pdf": statement_pdf(html),
        "issued_on": as_of,
        "issued_at": now,
        "issued_by": actor,
        "confirm_by": heading.confirm_by,
        "status": "sent",
    }
    statement_id = int(
        conn.execute(insert(STATEMENTS).values(values).returning(STATEMENTS.c.id)).scalar_one()
    )
    row = conn.execute(select(STATEMENTS).where(STATEMENTS.c.id == statement_id)).one()
    mailed = mail.queue_mail(conn, row, kind="statement", customer_name=customer.name, at=now)
    texted = not mailed and mail.queue_text(
        conn, row, kind="statement", customer_code=customer.external_id, at=now, settings=settings
    )
    audit.record(
        conn,
        at=now,
        actor=actor,
        action="statement.issue",
        object=f"statement:{statement_id}",
        after={
            "customer": customer.external_id,
            "currency": statement.currency,
            "version": version,
            "period": f"{statement.period_from.isoformat()}/{statement.period_to.isoformat()}",
            "sha256": sha256,
            "mailed": mailed,
            "texted": texted,
        },
    )
    return Issued(
        statement_id,
        customer.external_id,
        statement.currency,
        version,
        statement.closing_minor,
        sha256,
        mailed,
        texted,
    )


@dataclass(frozen=True)
class Reminded:
    reminded: int
    lapsed: int


def remind_day(issued_on: date, confirm_by: date) -> date:
    """The day an unanswered statement is reminded of: when half its window has passed."""
    return issued_on + timedelta(days=(confirm_by - issued_on).days // 2)


def remind(
    conn: Connection, *, user: User, as_of: date, now: datetime, settings: Settings | None = None
) -> Reminded:
    """Send the one reminder of each statement still unanswered half-way through its window (never of
    a version a newer one replaced), and lapse those whose window ended before `as_of` unanswered."""
    require(user, Permission.CUSTOMER_ACT)
    s, c = STATEMENTS.c, CUSTOMERS.c
    newer = STATEMENTS.alias("newer")
    replaced = exists().where(
        newer.c.customer_id == s.customer_id,
        newer.c.currency == s.currency,
        newer.c.period_from == s.period_from,
        newer.c.period_to == s.period_to,
        newer.c.version > s.version,
    )
    waiting = conn.execute(
        select(
            STATEMENTS,
            c.name.label("customer_name"),
            c.external_id.label("customer_code"),
            replaced.label("replaced"),
        )
        .join(CUSTOMERS, c.id == s.customer_id)
        .where(s.status.in_(OPEN), customer_scope(user))
        .order_by(s.id)
    ).all()
    reminded = lapsed = 0
    for row in waiting:
        if row.confirm_by < as_of:
            conn.execute(update(STATEMENTS).where(s.id == row.id, s.status.in_(OPEN)).values(status="lapsed"))
            audit.record(
                conn,
                at=now,
                actor=user.login,
                action="statement.lapse",
                object=f"statement:{row.id}",
                before={"status": row.status},
                after={"status": "lapsed"},
            )
            lapsed += 1
        elif (
            not row.replaced
            and row.reminded_on is None
            and as_of >= remind_day(row.issued_on, row.confirm_by)
        ):
            mailed = mail.queue_mail(conn, row, kind="reminder", customer_name=row.customer_name, at=now)
            texted = not mailed and mail.queue_text(
                conn, row, kind="reminder", customer_code=row.customer_code, at=now, settings=settings
            )
            conn.execute(update(STATEMENTS).where(s.id == row.id).values(reminded_on=as_of))
            audit.record(
                conn,
                at=now,
                actor=user.login,
                action="statement.remind",
                object=f"statement:{row.id}",
                after={"mailed": mailed, "texted": texted, "confirm_by": row.confirm_by.isoformat()},
            )
            reminded += 1
    return Reminded(reminded, lapsed)
