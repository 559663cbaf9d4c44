"""The call playbook page: every answer per overdue reason and language; managers edit them in place.
Parse → call `workspace.playbook` → render; the service checks the permission, the reason, the
language and the wording."""

from __future__ import annotations

from itertools import groupby
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.access.values import User
from dunmore.errors import BadArgument
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.workspace import playbook

router = APIRouter()
ReasonCode = Annotated[str, Path(min_length=1, max_length=30)]
LanguageCode = Annotated[str, Path(min_length=2, max_length=5)]


def _render(request: Request, site: Site, conn: Conn, user: User, *, status: int = 200,
            problem: str | None = None, saved: str | None = None) -> HTMLResponse:  # fmt: skip
    answers = playbook.playbook(conn, user=user)
    reasons = [(reason, list(group)) for reason, group in groupby(answers, key=lambda a: a.reason)]
    return site.templates.render(request, "playbook.html", language=user.language.value, user=user,
                                 status=status, reasons=reasons, problem=problem, saved=saved,
                                 text_max=playbook.TEXT_MAX)  # fmt: skip


@router.get("/playbook", response_class=HTMLResponse)
def show(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    saved: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return _render(request, site, conn, user, saved=saved)


@router.post("/playbook/{reason}/{language}", response_model=None)
def edit(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    reason: ReasonCode,
    language: LanguageCode,
    text: Annotated[str, Form(max_length=playbook.TEXT_MAX * 2)] = "",
    reset: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Write (or, with `reset`, drop) a manager's answer; a refusal is said above the answers."""
    try:
        with conn.begin_nested():
            if reset:
                playbook.reset_answer(conn, user=user, reason=reason, language=language, now=site.now())
            else:
                playbook.set_answer(
                    conn, user=user, reason=reason, language=language, text=text, now=site.now()
                )
    except BadArgument as exc:
        return _render(request, site, conn, user, status=400, problem=exc.render(user.language.value))
    return RedirectResponse(f"/playbook?saved={reason}#{reason}", status_code=303)
