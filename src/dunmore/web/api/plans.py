"""API routes of instalment plans: parse, call `workspace.plans`, answer a schema."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.store.db import ID_MAX
from dunmore.web.api import errors
from dunmore.web.api.schemas import AMOUNT
from dunmore.web.auth import ApiUser, Conn, Site
from dunmore.workspace import plan_waivers, plans
from dunmore.workspace.plan_views import PlanView

router = APIRouter(tags=["plans"])
Code = Annotated[str, Path(min_length=1, max_length=64, description="The customer's code in your ERP.")]
PlanId = Annotated[int, Path(ge=1, le=ID_MAX, description="The plan's id.")]
Status = Literal["proposed", "waiting", "active", "kept", "broken", "cancelled"]
REFUSED: errors.Responses = errors.BAD_REQUEST | errors.FORBIDDEN | errors.NOT_FOUND


class Instalment(BaseModel):
    number: int = Field(description="0: the down payment; 1…: the instalments.")
    due_on: date
    amount_minor: int = Field(description="Minor units of the plan's currency.")
    paid_minor: int = Field(description="What the payments so far gave it, in date order.")
    status: str = Field(description="pending, paid or missed (missed: it broke the plan).")


class Plan(BaseModel):
    id: int
    customer: str
    currency: str
    total_minor: int = Field(description="The covered open amount the instalments add up to.")
    down_payment_minor: int
    grace_days: int
    start_on: date
    status: str = Field(
        description="proposed, waiting (for the approval of its waivers), active, kept, broken or cancelled."
    )
    decided_on: date | None
    reason: str | None = Field(
        description="plan_kept, plan_instalment_missed, plan_cancelled, plan_waiver_rejected."
    )
    invoices: list[str]
    instalments: list[Instalment]
    created_by: str


class TypedInstalment(BaseModel):
    due_on: date
    amount: str = Field(min_length=1, max_length=20, pattern=AMOUNT, description="e.g. 3000.00")


class NewPlan(BaseModel):
    instalments: int | None = Field(default=None, ge=1, le=120, description="How many even instalments.")
    first: date | None = Field(default=None, description="The first even instalment's date.")
    every_months: int = Field(default=1, ge=1, le=12)
    typed: list[TypedInstalment] = Field(
        default_factory=list, max_length=120, description="Instead of even ones."
    )
    invoices: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=200
    )
    down_payment: str | None = Field(default=None, min_length=1, max_length=20, pattern=AMOUNT)
    down_on: date | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")
    proposed: bool = False
    note: str = Field(default="", max_length=2000)
    waive_reason: str = Field(
        default="",
        max_length=500,
        description="Waive the covered fee and interest items, for this reason (empty: nothing is waived); "
        "above the approval threshold the plan waits for a manager.",
    )


class Cancellation(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why the plan is cancelled.")


def _plan(view: PlanView) -> Plan:
    return Plan(
        id=view.id,
        customer=view.customer,
        currency=view.currency,
        total_minor=view.total_minor,
        down_payment_minor=view.down_payment_minor,
        grace_days=view.grace_days,
        start_on=view.start_on,
        status=view.status,
        decided_on=view.decided_on,
        reason=view.reason,
        invoices=list(view.invoices),
        instalments=[
            Instalment(
                number=i.number,
                due_on=i.due_on,
                amount_minor=i.amount_minor,
                paid_minor=i.paid_minor,
                status=i.status,
            )
            for i in view.instalments
        ],
        created_by=view.created_by,
    )


@router.get("/customers/{code}/plans", response_model=list[Plan], responses=errors.NOT_FOUND)
def customer_plans(conn: Conn, user: ApiUser, code: Code) -> list[Plan]:
    """The customer's instalment plans, newest first (50)."""
    return [_plan(v) for v in plans.customer_plans(conn, user=user, customer=code)]


@router.post("/customers/{code}/plans", response_model=Plan, status_code=201, responses=REFUSED)
def add_plan(site: Site, conn: Conn, user: ApiUser, code: Code, body: NewPlan) -> Plan:
    """Agree an instalment plan over open invoices (none named: every open invoice in the currency):
    even instalments on business days, or typed ones, adding up to the covered open amount."""
    made = plans.add(
        conn,
        user=user,
        customer=code,
        today=site.today(),
        now=site.now(),
        country=site.settings.creditor.country,
        instalments=body.instalments,
        first=body.first,
        every_months=body.every_months,
        invoices=body.invoices,
        down_payment=Decimal(body.down_payment) if body.down_payment else None,
        down_on=body.down_on,
        typed=[(t.due_on, Decimal(t.amount)) for t in body.typed],
        currency=body.currency,
        proposed=body.proposed,
        note=body.note,
        waive=body.waive_reason,
        thresholds=site.settings.workspace.waiver_approval_minor,
    )
    return _plan(made)


@router.post("/plans/{plan_id}/cancel", response_model=Plan, responses=REFUSED)
def cancel_plan(site: Site, conn: Conn, user: ApiUser, plan_id: PlanId, body: Cancellation) -> Plan:
    """Cancel a proposed or active plan: its invoices escalate again at the next run."""
    return _plan(plans.cancel(conn, user=user, plan_id=plan_id, reason=body.reason, now=site.now()))


def _decide(site: Site, conn: Conn, user: ApiUser, plan_id: int, *, approve: bool) -> Plan:
    decided = plan_waivers.decide_plan(
        conn,
        plan_id=plan_id,
        approve=approve,
        checker=user.login,
        on=site.today(),
        now=site.now(),
        actor=user.login,
        user=user,
    )
    return _plan(decided)


@router.post("/plans/{plan_id}/approve", response_model=Plan, responses=REFUSED)
def approve_plan(site: Site, conn: Conn, user: ApiUser, plan_id: PlanId) -> Plan:
    """A manager other than the one who asked approves a waiting plan's waivers: the plan is active."""
    return _decide(site, conn, user, plan_id, approve=True)


@router.post("/plans/{plan_id}/reject", response_model=Plan, responses=REFUSED)
def reject_plan(site: Site, conn: Conn, user: ApiUser, plan_id: PlanId) -> Plan:
    """A manager other than the one who asked rejects a waiting plan's waivers: the plan is cancelled."""
    return _decide(site, conn, user, plan_id, approve=False)


@router.get("/plans", response_model=list[Plan], responses=errors.BAD_REQUEST)
def list_plans(
    conn: Conn,
    user: ApiUser,
    customer: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Status | None = None,
    before: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="The last id of the page before.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[Plan]:
    """The plans of the user's customers, newest first, a page at a time."""
    found = plans.list_plans(conn, user=user, customer=customer, status=status, after_id=before, limit=limit)
    return [_plan(v) for v in found]
