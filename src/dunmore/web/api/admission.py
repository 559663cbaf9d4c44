"""API routes of credit admission and risk signals: the credit applications the user reaches, a
new one drafted from another system, and an external risk signal recorded from another system.
Parse, call `credit.admission` / `credit.signals`, answer a schema. Deciding an application is a
manager's (`credit.manage`), here, on its page or with `dunmore credit approve|reject`: never the
person who drafted it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.credit import admission, signals
from dunmore.store.db import ID_MAX, as_utc
from dunmore.web.api import errors
from dunmore.web.api.schemas import AMOUNT
from dunmore.web.auth import ApiUser, Conn, Site

router = APIRouter(tags=["credit"])
REFUSED: errors.Responses = errors.BAD_REQUEST | errors.FORBIDDEN | errors.NOT_FOUND
Number = Annotated[int, Path(ge=1, le=ID_MAX, description="The credit application's number.")]


class Application(BaseModel):
    number: int
    customer: str
    kind: str = Field(description="new (credit for a new customer) or increase (a higher limit).")
    status: str = Field(description="draft (waiting for a manager), approved or rejected.")
    currency: str
    limit_minor: int = Field(description="The proposed credit limit in minor units of `currency`.")
    terms: str = Field(description='The proposed payment terms, e.g. "net 30".')
    years_in_business: int | None
    registered_capital_minor: int | None
    report_score: int | None = Field(description="The external credit report's score, as imported.")
    files: int = Field(description="How many papers (financial statements…) are attached.")
    drafted_by: str
    drafted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


class NewApplication(BaseModel):
    customer: str = Field(min_length=1, max_length=64, description="The customer's code in your ERP.")
    limit: str = Field(
        min_length=1, max_length=20, pattern=AMOUNT, description="The credit limit proposed, e.g. 300000.00."
    )
    currency: str | None = Field(
        default=None,
        min_length=3,
        max_length=3,
        pattern="^[A-Za-z]{3}$",
        description="The limit's currency (default: the customer's credit currency, else its only one).",
    )
    terms: str = Field(
        min_length=1, max_length=200, description='The payment terms proposed, e.g. "net 30" or "eom 15".'
    )
    kind: Literal["new", "increase"] | None = Field(
        default=None,
        description="new (credit for a new customer: grade N until approved) or increase (a higher "
        "limit); default: increase when the customer has a limit or invoices, else new.",
    )
    registry_data: str = Field(
        default="",
        max_length=admission.TEXT_MAX["registry_data"],
        description="Company registry data: registration number, legal representative, address.",
    )
    years_in_business: int | None = Field(default=None, ge=0, le=admission.YEARS_MAX)
    registered_capital: str | None = Field(
        default=None, max_length=20, pattern=AMOUNT, description="In the limit's currency, e.g. 5000000.00."
    )
    references: str = Field(
        default="", max_length=admission.TEXT_MAX["references"], description="Trade or bank references."
    )
    report_agency: str | None = Field(
        default=None,
        min_length=1,
        max_length=admission.TEXT_MAX["report_agency"],
        description="Who issued the external credit report.",
    )
    report_score: int | None = Field(
        default=None, ge=0, le=admission.SCORE_MAX, description="The external credit report's score."
    )
    note: str = Field(
        default="",
        max_length=admission.TEXT_MAX["note"],
        description="Anything else the manager should know.",
    )


class Decision(BaseModel):
    decision: Literal["approve", "reject"] = Field(
        description="approve (the customer's credit limit becomes the proposed one) or reject."
    )
    reason: str = Field(
        default="", max_length=500, description="Why; required to reject (1 to 500 characters)."
    )


class NewSignal(BaseModel):
    customer: str = Field(min_length=1, max_length=64, description="The customer's code in your ERP.")
    kind: Literal["lawsuit", "negative-news", "insolvency", "other"] = Field(
        description="insolvency also puts the customer on credit hold."
    )
    on: date = Field(description="The day it happened (today or up to ten years before).")
    note: str = Field(default="", max_length=1000, description="What happened, and where it was learnt.")


class Signal(BaseModel):
    id: int
    customer: str
    kind: str
    alerts: int = Field(description="How many people were alerted (the owner and the managers).")
    credit_hold: bool = Field(description="Whether the signal put the customer on credit hold.")


@router.get("/credit-applications", response_model=list[Application])
def list_applications(
    conn: Conn,
    user: ApiUser,
    customer: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Literal["draft", "approved", "rejected"] | None = None,
) -> list[Application]:
    """The credit applications of the user's customers, newest first, at most 500."""
    return [_shown(a) for a in admission.applications(conn, user=user, customer=customer, status=status)]


@router.post("/credit-applications", response_model=Application, status_code=201, responses=REFUSED)
def draft_application(site: Site, conn: Conn, user: ApiUser, body: NewApplication) -> Application:
    """Draft a credit application for one of the user's customers (`customer.act`), as `dunmore credit
    apply` does: the facts gathered, a proposed limit and terms. A manager other than the user decides
    it; one draft per customer at a time. Answers the draft. Its papers (financial statements…) are
    attached with `dunmore credit attach`."""
    capital = body.registered_capital
    facts = admission.Facts(
        registry_data=body.registry_data,
        years_in_business=body.years_in_business,
        registered_capital=None if capital is None else Decimal(capital),
        references=body.references,
        report_agency=body.report_agency,
        report_score=body.report_score,
        note=body.note,
    )
    number = admission.apply(
        conn, customer=body.customer, limit=Decimal(body.limit), currency=body.currency, terms=body.terms,
        facts=facts, kind=body.kind, by=user.login, user=user, actor=user.login, now=site.now(),
    )  # fmt: skip
    return _shown(admission.application(conn, number=number, user=user))


@router.post("/credit-applications/{application}/decision", response_model=Application, responses=REFUSED)
def decide_application(
    site: Site, conn: Conn, user: ApiUser, application: Number, body: Decision
) -> Application:
    """Approve or reject a draft credit application of one of the user's customers (`credit.manage`;
    not one the user drafted). Approving sets the customer's credit limit to the proposed one; both
    are in the audit log. Answers the application as decided."""
    admission.decide(
        conn, number=application, approve=body.decision == "approve", reason=body.reason, by=user.login,
        user=user, actor=user.login, now=site.now(),
    )  # fmt: skip
    return _shown(admission.application(conn, number=application, user=user))


def _shown(a: admission.ApplicationView) -> Application:
    return Application(
        number=a.id,
        customer=a.customer,
        kind=a.kind,
        status=a.status,
        currency=a.currency,
        limit_minor=a.limit_minor,
        terms=a.terms,
        years_in_business=a.facts["years_in_business"],
        registered_capital_minor=a.facts["registered_capital_minor"],
        report_score=a.facts["report_score"],
        files=len(a.files),
        drafted_by=a.drafted_by,
        drafted_at=as_utc(a.drafted_at),  # SQLite gives the stored UTC moment back naive
        decided_by=a.decided_by,
        decided_at=None if a.decided_at is None else as_utc(a.decided_at),
        reason=a.reason,
    )


@router.post("/credit-signals", response_model=Signal, status_code=201, responses=REFUSED)
def record_signal(site: Site, conn: Conn, user: ApiUser, body: NewSignal) -> Signal:
    """Record an external risk signal: the customer's owner and the managers are alerted, and a
    signal of insolvency puts the customer on credit hold."""
    done = signals.record(
        conn, customer=body.customer, kind=body.kind, happened_on=body.on, note=body.note, by=user.login,
        user=user, actor=user.login, today=site.today(), now=site.now(),
    )  # fmt: skip
    return Signal(
        id=done.id, customer=done.customer, kind=done.kind, alerts=done.alerts, credit_hold=done.hold_set
    )
