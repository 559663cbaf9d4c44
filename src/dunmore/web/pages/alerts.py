"""The alerts inbox page (`/alerts`), marking read, and the nav's unread badge (`/alerts/badge`,
fetched by htmx so that no page route has to count alerts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field

from dunmore.access.permissions import Permission, allows
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.workspace import inbox

router = APIRouter()


@router.get("/alerts", response_class=HTMLResponse)
def alerts(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    unread: bool = False,
    page: Annotated[int, Query(ge=1, le=inbox.PAGE_MAX)] = 1,
) -> HTMLResponse:
    found = inbox.list_alerts(conn, user=user, unread_only=unread, page=page)
    return site.templates.render(request, "alerts.html", language=user.language.value, user=user,
                                 found=found, unread=unread, zone=site.settings.timezone)  # fmt: skip


@router.post("/alerts/read")
def mark_read(
    site: Site,
    conn: Conn,
    user: PageUser,
    id: Annotated[list[Annotated[int, Field(ge=1, le=ID_MAX)]], Form(max_length=inbox.READ_MAX)] = [],  # noqa: B006 - FastAPI reads, never mutates
    every: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    """Mark the ticked alerts read, or (`every`) all of them."""
    inbox.mark_read(conn, user=user, ids=None if every else id, at=site.now())
    return RedirectResponse("/alerts", status_code=303)


@router.get("/alerts/badge", response_class=HTMLResponse)
def badge(request: Request, site: Site, conn: Conn, user: PageUser) -> HTMLResponse:
    """The unread count for the nav: empty for a role without alerts, or with none unread."""
    count = inbox.unread_count(conn, user=user) if allows(user, Permission.ALERT_READ) else 0
    return site.templates.render(request, "_alerts_badge.html", language=user.language.value, count=count)
