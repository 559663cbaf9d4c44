"""The calendar page (`/calendar`: the signed-in user's agenda), a new private feed link, and the
feed itself (`/calendar/<token>.ics`), public by its token only (`workspace.calendar`)."""

from __future__ import annotations

from itertools import groupby
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import HTMLResponse

from dunmore.access.values import User
from dunmore.errors import NotFound
from dunmore.i18n import _m
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.web.context import Web
from dunmore.workspace import calendar

router = APIRouter()
Token = Annotated[str, Path(min_length=1, max_length=calendar.TOKEN_MAX, pattern=r"^[A-Za-z0-9_-]+$")]


def _page(request: Request, site: Web, conn: Conn, user: User, feed_url: str | None) -> HTMLResponse:
    today = site.today()
    found = calendar.events(conn, user=user, today=today)
    days = [(on, list(entries)) for on, entries in groupby(found, key=lambda e: e.on)]
    return site.templates.render(request, "calendar.html", language=user.language.value, user=user,
                                 days=days, today=today, feed_url=feed_url)  # fmt: skip


@router.get("/calendar", response_class=HTMLResponse)
def agenda(request: Request, site: Site, conn: Conn, user: PageUser) -> HTMLResponse:
    return _page(request, site, conn, user, None)


@router.post("/calendar/token", response_class=HTMLResponse)
def new_feed(request: Request, site: Site, conn: Conn, user: PageUser) -> HTMLResponse:
    """A new private feed link, shown once on the page (the old link stops working)."""
    secret = calendar.make_token(conn, login=user.login, actor=user.login, at=site.now())
    return _page(request, site, conn, user, str(request.url_for("feed", token=secret)))


@router.get("/calendar/{token}.ics", name="feed")
def feed(site: Site, conn: Conn, token: Token) -> Response:
    """The iCalendar feed of the token's user; an unknown or revoked token is 404."""
    user = calendar.user_of_token(conn, token)
    if user is None:
        raise NotFound(_m("no such calendar feed: make a new link with `dunmore calendar token LOGIN`"))
    body = calendar.ics(calendar.events(conn, user=user, today=site.today()), user=user, stamp=site.now())
    return Response(body, media_type="text/calendar; charset=utf-8")
