"""API of the alerts inbox: the token user's own alerts, and marking them read (`workspace.inbox`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from dunmore.store.db import ID_MAX
from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn, Site
from dunmore.workspace import inbox

router = APIRouter()


class Alert(BaseModel):
    id: int
    kind: str = Field(description="promise_broken, plan_broken, instalment_due, dispute_opened, "
                      "level_passed, high_value_overdue or task_overdue.")  # fmt: skip
    kind_name: str = Field(description="The kind, in the user's language.")
    text: str = Field(description="What happened, in the user's language.")
    customer: str | None = Field(description="The customer's code (its id in the ERP).")
    customer_name: str | None
    created_at: datetime
    read_at: datetime | None


class AlertPage(BaseModel):
    rows: list[Alert]
    page: int
    pages: int
    total: int = Field(description="Alerts of the user (of the filter).")
    unread: int = Field(description="Unread alerts of the user.")


class MarkRead(BaseModel):
    model_config = {"extra": "forbid"}

    ids: list[Annotated[int, Field(ge=1, le=ID_MAX)]] | None = Field(
        default=None, max_length=inbox.READ_MAX, description="The alerts to mark read; null: all of them."
    )


class Marked(BaseModel):
    marked: int = Field(description="How many alerts were unread and are now read.")


@router.get(
    "/alerts", response_model=AlertPage, responses=errors.FORBIDDEN | errors.BAD_REQUEST, tags=["alerts"]
)
def alerts(
    conn: Conn,
    user: ApiUser,
    unread: Annotated[bool, Query(description="Only the unread alerts.")] = False,
    page: Annotated[int, Query(ge=1, le=inbox.PAGE_MAX, description="Pages of 50, newest first.")] = 1,
) -> AlertPage:
    """The user's own alerts, newest first, said in the user's language."""
    found = inbox.list_alerts(conn, user=user, unread_only=unread, page=page)
    rows = [
        Alert(id=r.id, kind=r.kind, kind_name=r.kind_name, text=r.text, customer=r.customer_code,
              customer_name=r.customer_name, created_at=r.created_at, read_at=r.read_at)
        for r in found.rows
    ]  # fmt: skip
    return AlertPage(rows=rows, page=found.page, pages=found.pages, total=found.total, unread=found.unread)


@router.post(
    "/alerts/read", response_model=Marked, responses=errors.FORBIDDEN | errors.BAD_REQUEST, tags=["alerts"]
)
def mark_read(site: Site, conn: Conn, user: ApiUser, body: MarkRead) -> Marked:
    """Mark the user's alerts read (ids of other users' alerts change nothing)."""
    return Marked(marked=inbox.mark_read(conn, user=user, ids=body.ids, at=site.now()))
