"""API routes of credit admission and risk signals: the credit applications the user reaches, and
an external risk signal recorded from another system. Parse, call `credit.admission` /
`credit.signals`, answer a schema. Deciding an application is a manager's (`credit.manage`), here,
on its page or with `dunmore credit approve|reject`: never the person who drafted it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.credit import admission, signals
from dunmore.store.db import ID_MAX, as_utc
from dunmore.web.api import errors
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
