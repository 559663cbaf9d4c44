"""Credit admission (授信审批): a credit application for a new customer or for a higher limit.

The AR team gathers the facts (company registry data, years in business, registered capital,
references, an external credit report's score — imported as data, no outside service is called —
and financial statements as attachments kept with their SHA-256), proposes a limit and payment
terms, and a manager decides. Maker–checker: whoever drafted an application cannot approve or reject
it, and only a person with `credit.manage` decides. Approving sets the customer's own credit limit
(`customers.credit_limit_minor` and `credit_currency`), which `credit check` uses from then on.

Until a customer's application for credit as a new customer is approved it has grade N, the
scorecard's "no history" grade, whatever its history or imported grade says (`not_admitted`; read
by grading and by the credit check). Every step is written to the audit log on the customer, so it
appears on its timeline. The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, func, insert, select, update

from dunmore.access import audit
from dunmore.access.models import USERS
from dunmore.access.permissions import ROLES, Permission, customer_scope, require
from dunmore.access.values import Role, User
from dunmore.credit.admission_models import CREDIT_APPLICATION_FILES, CREDIT_APPLICATIONS
from dunmore.credit.terms import parse_terms
from dunmore.domain.money import to_minor
from dunmore.errors import BadArgument, NotFound, PermissionDenied
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.workspace.activities import Upload, _checked_file

NEW, INCREASE = "new", "increase"
DRAFT, APPROVED, REJECTED = "draft", "approved", "rejected"
STATUSES: Final = (DRAFT, APPROVED, REJECTED)
TEXT_MAX: Final = {"registry_data": 500, "references": 1000, "note": 1000, "report_agency": 100}
SCORE_MAX: Final = 1000
YEARS_MAX: Final = 300
FILES_MAX: Final = 20
PAGE_MAX: Final = 500


@dataclass(frozen=True)
class Facts:
    """What the AR team gathered about the applicant (every field optional)."""

    registry_data: str = ""  # registration number, legal representative, address, as read
    years_in_business: int | None = None
    registered_capital: Decimal | None = None  # in the application's currency
    references: str = ""
    report_agency: str | None = None
    report_score: int | None = None  # the external credit report's score, as it states it
    note: str = ""


@dataclass(frozen=True)
class FileView:
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    added_by: str


@dataclass(frozen=True)
class ApplicationView:
    id: int
    customer: str
    name: str
    kind: str
    status: str
    currency: str
    limit_minor: int
    terms: str
    facts: dict[str, Any]
    drafted_by: str
    drafted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    files: tuple[FileView, ...]


def _person(user: User | None, by: str, permission: Permission) -> str:
    """Who acts: the signed-in user (holding `permission`), else the login `--by` names."""
    if user is not None:
        require(user, permission)
        return user.login
    name = by.strip().lower()
    if not name or len(name) > 100 or "\x00" in name:
        raise BadArgument(_m("say who acts: --by LOGIN (at most 100 characters)"))
    return name


def _customer(conn: Connection, code: str, user: User | None) -> Any:
    c = CUSTOMERS.c
    query = select(c.id, c.external_id, c.credit_limit_minor, c.credit_currency).where(c.external_id == code)
    row = conn.execute(query if user is None else query.where(customer_scope(user))).first()
    if row is None:
        raise NotFound(
            _m("no customer %(customer)s among yours: check the customer code", customer=repr(code))
        )
    return row


def _facts(facts: Facts, currency: str) -> dict[str, Any]:
    """The facts as stored columns, each checked and bounded."""
    values: dict[str, Any] = {}
    for field, most in TEXT_MAX.items():
        text = (getattr(facts, field) or "").strip()
        if len(text) > most or "\x00" in text:
            raise BadArgument(_m("%(field)s: at most %(most)s characters", field=field, most=most))
        values[field] = text if text or field != "report_agency" else None
    if facts.years_in_business is not None and not 0 <= facts.years_in_business <= YEARS_MAX:
        raise BadArgument(_m("years in business are 0 to %(most)s", most=YEARS_MAX))
    if facts.report_score is not None and not 0 <= facts.report_score <= SCORE_MAX:
        raise BadArgument(_m("a credit report's score is 0 to %(most)s", most=SCORE_MAX))
    capital = facts.registered_capital
    if capital is not None and capital < 0:
        raise BadArgument(_m("registered capital is not negative"))
    values["years_in_business"] = facts.years_in_business
    values["report_score"] = facts.report_score
    values["registered_capital_minor"] = None if capital is None else to_minor(capital, currency)
    return values


def _kind(conn: Connection, row: Any) -> str:
    """`increase` for a customer that has credit already (an approved application, its own limit or
    invoices on credit); `new` otherwise."""
    a, i = CREDIT_APPLICATIONS.c, INVOICES.c
    approved = select(a.id).where(a.customer_id == row.id, a.status == APPROVED).limit(1)
    invoiced = select(i.id).where(i.customer_id == row.id).limit(1)
    if row.credit_limit_minor is not None or conn.execute(approved).first() or conn.execute(invoiced).first():
        return INCREASE
    return NEW


def apply(
    conn: Connection,
    *,
    customer: str,
    limit: Decimal,
    currency: str | None,
    terms: str,
    facts: Facts,
    by: str,
    actor: str,
    now: datetime,
    kind: str | None = None,
    user: User | None = None,
) -> int:
    """Draft a credit application for the customer; its number. One draft per customer at a time."""
    maker = _person(user, by, Permission.CUSTOMER_ACT)
    from dunmore.credit.limits import _currency

    row = _customer(conn, customer, user)
    currency = _currency(conn, row, currency)
    if limit <= 0:
        raise BadArgument(_m("a proposed credit limit is above 0, not %(amount)s", amount=str(limit)))
    parse_terms(terms)
    if kind is not None and kind not in (NEW, INCREASE):
        raise BadArgument(
            _m("an application is for a new customer or an increase, not %(kind)s", kind=repr(kind))
        )
    a = CREDIT_APPLICATIONS.c
    if conn.execute(select(a.id).where(a.customer_id == row.id, a.status == DRAFT)).first() is not None:
        raise BadArgument(
            _m("customer %(customer)s has an application waiting for a decision", customer=customer)
        )
    values = _facts(facts, currency) | {
        "customer_id": row.id,
        "kind": kind or _kind(conn, row),
        "status": DRAFT,
        "currency": currency,
        "limit_minor": to_minor(limit, currency),
        "terms": " ".join(terms.split()),
        "drafted_by": maker,
        "drafted_at": now,
    }
    number = int(conn.execute(insert(CREDIT_APPLICATIONS).values(values).returning(a.id)).scalar_one())
    after = {"application": number, "kind": values["kind"], "limit": str(limit), "currency": currency}
    _audit(
        conn,
        now,
        actor,
        "credit_application.draft",
        customer,
        after | {"terms": values["terms"], "by": maker},
    )
    return number


def _audit(
    conn: Connection, now: datetime, actor: str, action: str, customer: str, after: dict[str, Any]
) -> None:
    audit.record(conn, at=now, actor=actor, action=action, object=f"customer:{customer}", after=after)


def _checker(conn: Connection, user: User | None, by: str) -> str:
    """The person deciding: the signed-in user with `credit.manage`, or the live user `--by` names
    whose role holds it."""
    if user is not None:
        require(user, Permission.CREDIT_MANAGE)
        return user.login
    login = by.strip().lower()
    found = conn.execute(
        select(USERS.c.login, USERS.c.role).where(USERS.c.login == login, ~USERS.c.disabled)
    ).first()
    if found is None or Permission.CREDIT_MANAGE not in ROLES[Role(found.role)].permissions:
        raise PermissionDenied(
            _m(
                "%(login)s is not a user who may decide a credit application (credit.manage): name a "
                "manager's login with --by",
                login=repr(by[:100]),
            )
        )
    return str(found.login)


def _draft(conn: Connection, number: int, user: User | None) -> Any:
    a, c = CREDIT_APPLICATIONS.c, CUSTOMERS.c
    query = (
        select(CREDIT_APPLICATIONS, c.external_id.label("customer"))
        .join(CUSTOMERS, c.id == a.customer_id)
        .where(a.id == number)
    )
    row = conn.execute(query if user is None else query.where(customer_scope(user))).first()
    if row is None:
        raise NotFound(_m("no credit application %(number)s among yours", number=number))
    if row.status != DRAFT:
        raise BadArgument(
            _m("credit application %(number)s is %(status)s already", number=number, status=row.status)
        )
    return row


def decide(
    conn: Connection,
    *,
    number: int,
    approve: bool,
    reason: str,
    by: str,
    actor: str,
    now: datetime,
    user: User | None = None,
) -> str:
    """Approve (setting the customer's credit limit) or reject a draft application; its customer."""
    checker = _checker(conn, user, by)
    row = _draft(conn, number, user)
    if checker == str(row.drafted_by).lower():
        raise PermissionDenied(_m("whoever drafted a credit application cannot decide it: ask a manager"))
    reason = reason.strip()
    if len(reason) > 500 or (not approve and not reason):
        raise BadArgument(_m("give a reason of 1 to %(most)s characters", most=500))
    status = APPROVED if approve else REJECTED
    a = CREDIT_APPLICATIONS.c
    conn.execute(
        update(CREDIT_APPLICATIONS)
        .where(a.id == row.id)
        .values(status=status, decided_by=checker, decided_at=now, reason=reason or None)
    )
    if approve:
        conn.execute(
            update(CUSTOMERS)
            .where(CUSTOMERS.c.id == row.customer_id)
            .values(credit_limit_minor=row.limit_minor, credit_currency=row.currency)
        )
    after = {"application": row.id, "status": status, "by": checker, "reason": reason}
    if approve:
        after |= {"limit_minor": int(row.limit_minor), "currency": row.currency, "terms": row.terms}
    _audit(conn, now, actor, f"credit_application.{'approve' if approve else 'reject'}", row.customer, after)
    return str(row.customer)


def attach(
    conn: Connection,
    *,
    number: int,
    upload: Upload,
    by: str,
    actor: str,
    now: datetime,
    user: User | None = None,
) -> FileView:
    """Keep a financial statement or another paper with a draft application, with its SHA-256; size
    and type checked as the workspace's attachments are (at most 10 MiB; PDF, PNG, JPEG or WebP)."""
    maker = _person(user, by, Permission.CUSTOMER_ACT)
    row = _draft(conn, number, user)
    f = CREDIT_APPLICATION_FILES.c
    if conn.execute(select(func.count()).where(f.application_id == row.id)).scalar_one() >= FILES_MAX:
        raise BadArgument(_m("at most %(most)s files per application", most=FILES_MAX))
    file = _checked_file(upload)
    values = {"application_id": row.id, "filename": file.filename, "media_type": file.media_type}
    values |= {"size": len(file.content), "sha256": file.sha256, "content": file.content}
    file_id = conn.execute(
        insert(CREDIT_APPLICATION_FILES).values(values | {"added_by": maker, "added_at": now}).returning(f.id)
    ).scalar_one()
    after = {"application": row.id, "file": file.filename, "sha256": file.sha256, "size": len(file.content)}
    _audit(conn, now, actor, "credit_application.attach", row.customer, after | {"by": maker})
    return FileView(int(file_id), file.filename, file.media_type, len(file.content), file.sha256, maker)


def applications(
    conn: Connection,
    *,
    status: str | None = None,
    customer: str | None = None,
    number: int | None = None,
    user: User | None = None,
) -> list[ApplicationView]:
    """The applications the user reaches, newest first, with their files (without bytes)."""
    if user is not None:
        require(user, Permission.LEDGER_READ)
    if status is not None and status not in STATUSES:
        raise BadArgument(_m("a status is draft, approved or rejected, not %(status)s", status=repr(status)))
    a, c = CREDIT_APPLICATIONS.c, CUSTOMERS.c
    query = select(CREDIT_APPLICATIONS, c.external_id.label("customer"), c.name).join(
        CUSTOMERS, c.id == a.customer_id
    )
    if user is not None:
        query = query.where(customer_scope(user))
    if status is not None:
        query = query.where(a.status == status)
    if customer is not None:
        query = query.where(c.external_id == customer)
    if number is not None:
        query = query.where(a.id == number)
    rows = conn.execute(query.order_by(a.id.desc()).limit(PAGE_MAX)).all()
    files = _files(conn, [r.id for r in rows])
    return [_view(r, files.get(r.id, ())) for r in rows]


def application(conn: Connection, *, number: int, user: User | None = None) -> ApplicationView:
    found = applications(conn, number=number, user=user)
    if not found:
        raise NotFound(_m("no credit application %(number)s among yours", number=number))
    return found[0]


def _files(conn: Connection, ids: list[int]) -> dict[int, tuple[FileView, ...]]:
    f = CREDIT_APPLICATION_FILES.c
    found: dict[int, list[FileView]] = {}
    if ids:
        query = select(f.application_id, f.id, f.filename, f.media_type, f.size, f.sha256, f.added_by)
        for r in conn.execute(query.where(f.application_id.in_(ids)).order_by(f.id)):
            found.setdefault(r.application_id, []).append(
                FileView(r.id, r.filename, r.media_type, r.size, r.sha256, r.added_by)
            )
    return {k: tuple(v) for k, v in found.items()}


def _view(r: Any, files: tuple[FileView, ...]) -> ApplicationView:
    facts = {name: getattr(r, name) for name in (*TEXT_MAX, "years_in_business", "report_score")}
    facts["registered_capital_minor"] = r.registered_capital_minor
    return ApplicationView(
        r.id, r.customer, r.name, r.kind, r.status, r.currency, r.limit_minor, r.terms, facts,
        r.drafted_by, r.drafted_at, r.decided_by, r.decided_at, r.reason, files,
    )  # fmt: skip


def not_admitted(conn: Connection) -> set[int]:
    """Customers whose application as a new customer is not approved (yet): they have grade N."""
    a = CREDIT_APPLICATIONS.c
    approved = select(a.customer_id).where(a.status == APPROVED)
    query = select(a.customer_id).where(a.kind == NEW, a.customer_id.not_in(approved)).distinct()
    return {int(c) for c in conn.execute(query).scalars()}


def is_admitted(conn: Connection, customer_id: int) -> bool:
    a = CREDIT_APPLICATIONS.c
    kinds = {
        (str(kind), str(status))
        for kind, status in conn.execute(select(a.kind, a.status).where(a.customer_id == customer_id))
    }
    return not any(kind == NEW for kind, _ in kinds) or any(status == APPROVED for _, status in kinds)
