"""The worklist page, a collector's home: what to do today, and completing a run's task from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.workspace import tasks
from dunmore.workspace.codes import list_codes
from dunmore.workspace.kinds import CodeKind
from dunmore.workspace.worklist import worklist as build

router = APIRouter()
PAGE = 50
TaskId = Annotated[int, Path(ge=1, le=ID_MAX)]


@router.get("/worklist", response_class=HTMLResponse)
def worklist(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    after: Annotated[str | None, Query(max_length=400)] = None,
) -> HTMLResponse:
    settings = site.settings
    page = build(conn, user=user, as_of=site.today(), timezone=settings.timezone, after=after, limit=PAGE,
                 broken_days=settings.worklist.broken_promise_days)  # fmt: skip
    return site.templates.render(
        request, "worklist.html", fragment="lines", language=user.language.value, user=user, page=page,
        after=after, outcomes=list_codes(conn, kind=CodeKind.OUTCOME, active_only=True),
    )  # fmt: skip


@router.post("/worklist/tasks/{task_id}/done", response_model=None)
def complete_task(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    task_id: TaskId,
    outcome: Annotated[str, Form(min_length=1, max_length=30)],
    note: Annotated[str, Form(max_length=tasks.NOTE_MAX)] = "",
) -> Response:
    """Complete the task; htmx removes its line (an empty answer), a plain form goes back to the list."""
    tasks.complete(conn, user=user, task_id=task_id, outcome=outcome, note=note, at=site.now())
    if request.headers.get("hx-request") == "true":
        return HTMLResponse("")
    return RedirectResponse("/worklist", status_code=303)
