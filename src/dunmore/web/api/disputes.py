"""Disputes over the API: open one on an invoice, resolve it, list them — the same
`workspace.disputes` functions as the pages and the command line, so the same permission
(`dispute.set` to change, `ledger.read` to list), scope and audit rows. Amounts in requests are
decimal text in the invoice's currency; in answers, integer minor units with the currency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.access.permissions import Permission, require
from dunmore.store.db import ID_MAX
from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn, Site
from dunmore.workspace import disputes
from dunmore.workspace.disputes import NOTE_MAX, PAGE_MAX, DisputeView

router = APIRouter(tags=["disputes"])
AMOUNT = r"^[0-9]{1,15}(\.[0-9]{1,4})?$"
REFUSED: errors.Responses = {
    400: errors.BAD_REQUEST[400]
    | {"description": "A rule refused it: an amount out of bounds, resolved already."}
}
NO_INVOICE: errors.Responses = {
    404: errors.NOT_FOUND[404]
    | {"description": "No such invoice among the customers the token's user can see."}
}
NO_DISPUTE: errors.Responses = {
    404: errors.NOT_FOUND[404]
    | {"description": "No such dispute among the customers the token's user can see."}
}
Reason = Literal["quality", "quantity", "price", "not-received", "already-paid", "other"]


class OpenDispute(BaseModel):
    amount: str = Field(pattern=AMOUNT, max_length=20, description="Decimal text in the invoice's currency.")
    reason: Reason
    note: str = Field(default="", max_length=NOTE_MAX)
    owner: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="A user's login; default: the customer's owner.",
    )


class ResolveDispute(BaseModel):
    outcome: Literal["credit-note", "rejected", "withdrawn"]
    amount: str | None = Field(
        default=None,
        pattern=AMOUNT,
        max_length=20,
        description="Only with `credit-note`: the credit note's amount (default: all disputed).",
    )
    note: str = Field(default="", max_length=NOTE_MAX)


class Dispute(BaseModel):
    id: int
    invoice: str
    customer: str
    currency: str
    amount: int = Field(description="Disputed amount, minor units.")
    reason: str
    status: str = Field(description="`open` or `resolved`.")
    outcome: str | None = Field(description="`credit_note`, `rejected` or `withdrawn` once resolved.")
    credited: int | None = Field(description="What a credit note credited, minor units.")
    owner: str | None
    note: str
    opened_by: str
    opened_at: datetime
    resolved_at: datetime | None
    age_days: int
    sla_overdue: bool = Field(description="Open for longer than `workspace.dispute_sla_days`.")


class DisputePage(BaseModel):
    rows: list[Dispute]
    next: int | None = Field(description="Pass as `before` for older disputes; null on the last page.")


def _shown(view: DisputeView) -> Dispute:
    return Dispute(
        id=view.id,
        invoice=view.invoice,
        customer=view.customer,
        currency=view.amount.currency,
        amount=view.amount.minor,
        reason=view.reason,
        status=view.status,
        outcome=view.outcome,
        credited=None if view.credited is None else view.credited.minor,
        owner=view.owner,
        note=view.note,
        opened_by=view.opened_by,
        opened_at=view.opened_at,
        resolved_at=view.resolved_at,
        age_days=view.age_days,
        sla_overdue=view.overdue,
    )


def _one(site: Site, conn: Conn, user: ApiUser, dispute_id: int) -> Dispute:
    found = disputes.list_disputes(
        conn,
        user=user,
        as_of=site.today(),
        dispute_id=dispute_id,
        limit=1,
        sla_days=site.settings.workspace.dispute_sla_days,
    )
    return _shown(found[0])


@router.post(
    "/invoices/{number}/disputes",
    response_model=Dispute,
    status_code=201,
    responses=REFUSED | errors.FORBIDDEN | NO_INVOICE,
)
def open_dispute(
    site: Site,
    conn: Conn,
    user: ApiUser,
    number: Annotated[str, Path(min_length=1, max_length=64, description="The invoice number of the ERP.")],
    body: OpenDispute,
) -> Dispute:
    """Open a dispute: the amount leaves every sum until it is resolved, the pending deliveries of
    the customer's notices listing it are cancelled, the owner and the managers are alerted."""
    opened = disputes.open_dispute(
        conn,
        invoice=number,
        amount=Decimal(body.amount),
        reason=body.reason,
        note=body.note,
        owner=body.owner,
        user=user,
        now=site.now(),
        actor=user.login,
    )
    return _one(site, conn, user, opened.dispute_id)


@router.post(
    "/disputes/{dispute_id}/resolve",
    response_model=Dispute,
    responses=REFUSED | errors.FORBIDDEN | NO_DISPUTE,
)
def resolve_dispute(
    site: Site,
    conn: Conn,
    user: ApiUser,
    dispute_id: Annotated[int, Path(ge=1, le=ID_MAX, description="The dispute's id.")],
    body: ResolveDispute,
) -> Dispute:
    """Resolve an open dispute: a credit note credits the invoice; what it does not cover, and all
    of a rejected or withdrawn dispute, goes back to dunning at the next run."""
    amount = None if body.amount is None else Decimal(body.amount)
    disputes.resolve_dispute(
        conn,
        dispute_id=dispute_id,
        outcome=body.outcome,
        amount=amount,
        note=body.note,
        user=user,
        on=site.today(),
        now=site.now(),
        actor=user.login,
    )
    return _one(site, conn, user, dispute_id)


@router.get("/disputes", response_model=DisputePage, responses=errors.BAD_REQUEST | errors.FORBIDDEN)
def list_disputes(
    site: Site,
    conn: Conn,
    user: ApiUser,
    status: Annotated[Literal["open", "resolved"] | None, Query()] = None,
    owner: Annotated[str | None, Query(max_length=100, description="The owner's login.")] = None,
    customer: Annotated[str | None, Query(max_length=64, description="The customer's code.")] = None,
    before: Annotated[int | None, Query(ge=1, le=ID_MAX, description="`next` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> DisputePage:
    """The disputes of the user's customers, newest first, with their age and SLA."""
    require(user, Permission.LEDGER_READ)
    rows = disputes.list_disputes(
        conn,
        user=user,
        as_of=site.today(),
        status=status,
        owner=owner,
        customer=customer,
        before_id=before,
        limit=limit,
        sla_days=site.settings.workspace.dispute_sla_days,
    )
    more = rows[-1].id if len(rows) == limit else None
    return DisputePage(rows=[_shown(r) for r in rows], next=more)
