"""API routes of promises to pay: parse, call `workspace.promises`, answer a schema."""

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
from dunmore.workspace import promises

router = APIRouter(tags=["promises"])
Code = Annotated[str, Path(min_length=1, max_length=64, description="The customer's code in your ERP.")]
PromiseId = Annotated[int, Path(ge=1, le=ID_MAX, description="The promise's id.")]
Status = Literal["pending", "kept", "partial", "broken", "cancelled"]
REFUSED: errors.Responses = errors.BAD_REQUEST | errors.FORBIDDEN | errors.NOT_FOUND


class Promise(BaseModel):
    id: int
    customer: str
    currency: str
    amount_minor: int = Field(description="Minor units of `currency`.")
    made_on: date
    due_on: date = Field(description="The date the customer promised to pay by.")
    until: date = Field(description="The last day of grace: the covered items do not escalate until then.")
    status: str = Field(description="pending, kept, partial, broken or cancelled.")
    paid_minor: int = Field(description="What was paid toward it when the run decided it.")
    decided_on: date | None
    reason: str | None = Field(
        description="promise_kept, promise_partially_kept, promise_broken, promise_cancelled."
    )
    invoices: list[str] = Field(description="The invoices it covers; empty: the whole balance in `currency`.")
    recorded_by: str


class NewPromise(BaseModel):
    amount: str = Field(
        min_length=1,
        max_length=20,
        pattern=AMOUNT,
        description="The promised amount, e.g. 5000.00.",
    )
    by: date = Field(description="The date the customer will pay by.")
    currency: str | None = Field(default=None, min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")
    invoices: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=200
    )
    note: str = Field(default="", max_length=2000)


class Cancellation(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why the promise is cancelled.")


def _promise(view: promises.PromiseView) -> Promise:
    return Promise(
        id=view.id,
        customer=view.customer,
        currency=view.currency,
        amount_minor=view.amount_minor,
        made_on=view.made_on,
        due_on=view.due_on,
        until=view.until,
        status=view.status,
        paid_minor=view.paid_minor,
        decided_on=view.decided_on,
        reason=view.reason,
        invoices=list(view.invoices),
        recorded_by=view.actor,
    )


@router.get("/customers/{code}/promises", response_model=list[Promise], responses=errors.NOT_FOUND)
def customer_promises(conn: Conn, user: ApiUser, code: Code) -> list[Promise]:
    """The customer's promises to pay, newest first (50)."""
    return [_promise(v) for v in promises.customer_promises(conn, user=user, customer=code)]


@router.post("/customers/{code}/promises", response_model=Promise, status_code=201, responses=REFUSED)
def add_promise(site: Site, conn: Conn, user: ApiUser, code: Code, body: NewPromise) -> Promise:
    """Record a promise to pay: its invoices (none: the whole overdue balance in the currency) do not
    escalate until its date plus the policy's grace days; the run decides whether it was kept."""
    made = promises.add(
        conn,
        user=user,
        customer=code,
        amount=Decimal(body.amount),
        by=body.by,
        today=site.today(),
        now=site.now(),
        currency=body.currency,
        invoices=body.invoices,
        note=body.note,
    )
    return _promise(made)


@router.post("/promises/{promise_id}/cancel", response_model=Promise, responses=REFUSED)
def cancel_promise(
    site: Site, conn: Conn, user: ApiUser, promise_id: PromiseId, body: Cancellation
) -> Promise:
    """Cancel a pending promise: its invoices escalate again at the next run."""
    return _promise(
        promises.cancel(conn, user=user, promise_id=promise_id, reason=body.reason, now=site.now())
    )


@router.get("/promises", response_model=list[Promise], responses=errors.BAD_REQUEST)
def list_promises(
    conn: Conn,
    user: ApiUser,
    customer: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Status | None = None,
    due_from: Annotated[date | None, Query(description="Promised on or after this date.")] = None,
    due_to: Annotated[date | None, Query(description="Promised on or before this date.")] = None,
    before: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="The last id of the page before.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[Promise]:
    """The promises of the user's customers, newest first, a page at a time."""
    found = promises.list_promises(
        conn,
        user=user,
        customer=customer,
        status=status,
        due_from=due_from,
        due_to=due_to,
        after_id=before,
        limit=limit,
    )
    return [_promise(v) for v in found]
