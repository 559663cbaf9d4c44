"""API routes of credit: the credit check an ERP asks before an order ships, and a customer's grade
explained. Parse, call `credit.limits` / `credit.grades_explain`, answer a schema."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from dunmore.credit import limits
from dunmore.credit.grades_explain import explain
from dunmore.web.api import errors
from dunmore.web.api.schemas import AMOUNT
from dunmore.web.auth import ApiUser, Conn

router = APIRouter(tags=["credit"])
Code = Annotated[str, Path(min_length=1, max_length=64, description="The customer's code in your ERP.")]
REFUSED: errors.Responses = errors.BAD_REQUEST | errors.FORBIDDEN | errors.NOT_FOUND


class CreditCheckRequest(BaseModel):
    customer: str = Field(min_length=1, max_length=64, description="The customer's code in your ERP.")
    amount: str = Field(
        min_length=1,
        max_length=20,
        pattern=AMOUNT,
        description="The new order's amount, e.g. 25000.00.",
    )
    currency: str | None = Field(
        default=None,
        min_length=3,
        max_length=3,
        pattern="^[A-Za-z]{3}$",
        description="Its currency (default: the customer's credit currency, else its only one).",
    )


class Hold(BaseModel):
    rule: str = Field(
        description="grade (a hold grade of the scorecard), overdue (overdue too long) or signal "
        "(a risk signal)."
    )
    set_on: date
    grade: str | None = None
    days: int | None = Field(default=None, description="Days overdue, for the rule `overdue`.")
    kind: str | None = Field(default=None, description="The risk signal's kind, for the rule `signal`.")
    audit_row: int | None = Field(
        default=None,
        description="The audit row of the action that set it: for the rules `grade` and `overdue`, "
        "the grading's one `grades.compute` row (null: set before such rows).",
    )
    set_by: str | None = Field(default=None, description="Who did that action (who ran the grading).")


class CreditCheck(BaseModel):
    status: str = Field(description="ok, over_limit or on_hold: only ok lets the order ship.")
    customer: str
    grade: str = Field(description="The grade in force (N: too little history or never graded).")
    currency: str
    amount_minor: int = Field(description="The order's amount in minor units of `currency`.")
    exposure_minor: int = Field(description="Open receivables and uninvoiced open orders in `currency` now.")
    limit_minor: int | None = Field(description="The credit limit; null: none in this currency.")
    limit_source: str = Field(description="customer (its own limit), grade (the scorecard's) or none.")
    over_minor: int = Field(description="By how much the order would pass the limit; 0 within it.")
    holds: list[Hold]


class Factor(BaseModel):
    value: int
    points: int
    best: int = Field(description="The most points this factor can earn.")


class Grade(BaseModel):
    customer: str
    grade: str | None = Field(description="The grade in force.")
    computed: str | None = Field(description="The grade its payment history earned at the last grading.")
    graded_on: date | None
    points: int
    factors: dict[str, Factor]
    override_until: date | None = Field(description="A manager's grade holds until this date.")
    on_credit_hold: bool


@router.post("/credit-checks", response_model=CreditCheck, responses=REFUSED)
def credit_check(conn: Conn, user: ApiUser, body: CreditCheckRequest) -> CreditCheck:
    """May a new order of this amount ship to the customer? `ok`, `over_limit` (by `over_minor`) or
    `on_hold` (see `holds`): a check changes nothing."""
    v = limits.check(
        conn, user=user, customer=body.customer, amount=Decimal(body.amount), currency=body.currency
    )
    holds = [
        Hold(
            rule=h.rule,
            set_on=h.set_on,
            grade=h.detail.get("grade"),
            days=h.detail.get("days"),
            kind=h.detail.get("kind"),
            audit_row=h.audit_id,
            set_by=h.set_by,
        )
        for h in v.holds
    ]
    return CreditCheck(
        status=v.status,
        customer=v.customer,
        grade=v.grade,
        currency=v.currency,
        amount_minor=v.amount_minor,
        exposure_minor=v.exposure_minor,
        limit_minor=v.limit_minor,
        limit_source=v.limit_source,
        over_minor=v.over_minor,
        holds=holds,
    )


@router.get("/customers/{code}/grade", response_model=Grade, responses=errors.NOT_FOUND)
def customer_grade(conn: Conn, user: ApiUser, code: Code) -> Grade:
    """The customer's grade, and each factor's value and points at its latest grading."""
    found = explain(conn, user=user, customer=code)
    return Grade(
        customer=found.customer,
        grade=found.grade,
        computed=found.computed,
        graded_on=found.graded_on,
        points=found.points,
        factors={n: Factor(value=f.value, points=f.points, best=f.best) for n, f in found.factors.items()},
        override_until=found.override.until if found.override else None,
        on_credit_hold=bool(found.holds),
    )
