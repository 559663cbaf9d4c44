"""The dashboard page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dunmore.domain.aging import buckets
from dunmore.reports.dashboard import overview
from dunmore.web.auth import Conn, PageUser, Site

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, site: Site, conn: Conn, user: PageUser) -> HTMLResponse:
    found = overview(conn, user=user, as_of=site.today(), buckets=buckets())
    return site.templates.render(
        request, "dashboard.html", language=user.language.value, user=user, overview=found
    )
