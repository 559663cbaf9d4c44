"""`GET /api/v1/worklist`: the token's user's worklist today, as the page shows it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn, Site
from dunmore.workspace.priority import Line
from dunmore.workspace.worklist import PAGE_MAX
from dunmore.workspace.worklist import worklist as build

router = APIRouter()


class WorklistLine(BaseModel):
    customer: str = Field(description="The customer's code: `GET /api/v1/customers/{code}`.")
    name: str
    section: str = Field(description="follow_up, broken_promise, task or value, in this order.")
    reason: str = Field(description="Why the line is there, as a code (e.g. `promise_broken`).")
    action: str = Field(description="What to do, as a code (e.g. `call_why`).")
    why: str = Field(description="Why, in the user's language.")
    what: str = Field(description="What to do, in the user's language.")
    currency: str | None
    amount_minor: int = Field(description="The amount the line is about, in minor units (0: none).")
    expected_minor: int = Field(description="Overdue × chance of recovery, minor units (value lines).")
    task_id: int | None


class Worklist(BaseModel):
    as_of: str = Field(description="The business date (YYYY-MM-DD).")
    total: int = Field(description="Lines on the whole list today.")
    lines: list[WorklistLine]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last page.")


def _line(line: Line, language: str) -> WorklistLine:
    return WorklistLine(
        customer=line.customer.code, name=line.customer.name, section=line.section.name.lower(),
        reason=line.reason, action=line.action, why=line.why.render(language),
        what=line.what.render(language),
        currency=line.currency or None, amount_minor=line.amount_minor, expected_minor=line.expected_minor,
        task_id=line.task_id,
    )  # fmt: skip


@router.get("/worklist", response_model=Worklist, responses=errors.BAD_REQUEST, tags=["workspace"])
def worklist(
    site: Site,
    conn: Conn,
    user: ApiUser,
    after: Annotated[str | None, Query(max_length=400, description="`next` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> Worklist:
    """What the user should do today, most urgent first; a customer worked today is not listed."""
    settings = site.settings
    page = build(conn, user=user, as_of=site.today(), timezone=settings.timezone, after=after, limit=limit,
                 broken_days=settings.worklist.broken_promise_days)  # fmt: skip
    language = user.language.value
    return Worklist(
        as_of=page.as_of.isoformat(),
        total=page.total,
        lines=[_line(line, language) for line in page.lines],
        next=page.next_cursor,
    )
