"""API routes of statements of account: parse, call `statements.views`, answer a schema (reading
only: statements are issued by `dunmore statements issue`, answered in the portal)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.statements import views
from dunmore.statements.issue import period_of
from dunmore.store.db import ID_MAX
from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn

router = APIRouter(tags=["statements"])
StatementId = Annotated[int, Path(ge=1, le=ID_MAX, description="The statement's id.")]
Status = Literal["sent", "viewed", "confirmed", "disputed", "lapsed"]


class Statement(BaseModel):
    id: int
    customer: str
    currency: str
    period_from: date
    period_to: date
    version: int = Field(description="1 for the first issue of the period, then one more per re-issue.")
    language: str
    closing: str = Field(description="The closing balance, in `currency`.")
    status: str = Field(description="sent, viewed, confirmed, disputed or lapsed.")
    issued_at: datetime
    confirm_by: date
    reminded_on: date | None
    sha256: str = Field(description="SHA-256 of the statement's content (canonical JSON).")


class StatementDetail(Statement):
    content: dict[str, Any] = Field(description="The lines and open items, amounts in minor units.")
    confirmation: dict[str, Any] | None = Field(description="The customer's signature record, if confirmed.")
    disputes: list[int] = Field(description="The disputes opened from its lines.")
    mails: list[dict[str, Any]] = Field(description="Its e-mails (statement, reminder) and their state.")


@router.get("/statements", response_model=list[Statement], responses=errors.FORBIDDEN | errors.BAD_REQUEST)
def list_statements(
    conn: Conn,
    user: ApiUser,
    status: Annotated[Status | None, Query()] = None,
    period: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="A month.")
    ] = None,
    customer: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """The newest statements first, with their state."""
    days = period_of(period, None, None) if period else None
    found = views.listing(conn, user=user, status=status, period=days, customer=customer, limit=limit)
    return [view.as_json() for view in found]


@router.get(
    "/statements/{statement_id}",
    response_model=StatementDetail,
    responses=errors.FORBIDDEN | errors.NOT_FOUND,
)
def get_statement(conn: Conn, user: ApiUser, statement_id: StatementId) -> dict[str, Any]:
    """One statement: its content, state, confirmation, disputes and e-mails."""
    return views.detail(conn, user=user, statement_id=statement_id)
