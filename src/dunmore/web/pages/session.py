"""Signing in and out, choosing the language, and the API's documentation page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dunmore.access.service import set_language
from dunmore.access.sign_in import sign_in, sign_out
from dunmore.access.values import Language, Role
from dunmore.errors import BadArgument
from dunmore.i18n import _m
from dunmore.web.auth import Conn, PageUser, Site, end_session, language_of, page_user, start_session

router = APIRouter()
# Where a person lands after signing in when no page was asked for: a collector's day starts on
# the worklist; managers, admins and the others keep the dashboard.
HOME = {Role.COLLECTOR: "/worklist"}


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never `//evil.example` or `https://…` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    request: Request, site: Site, next: Annotated[str, Query(max_length=2000)] = "/"
) -> HTMLResponse:
    return site.templates.render(
        request,
        "sign_in.html",
        language=language_of(request),
        user=None,
        next=_safe_next(next),
        login="",
        problem=None,
    )


@router.post("/sign-in", response_model=None)
def sign_in_form(
    request: Request,
    site: Site,
    conn: Conn,
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> HTMLResponse | RedirectResponse:
    outcome = sign_in(
        conn, login=login, password=password, address=_address(request), throttle=site.throttle, at=site.now()
    )
    if outcome.user is not None:
        start_session(request, outcome.user)
        target = _safe_next(next)
        return RedirectResponse(
            HOME.get(outcome.user.role, "/") if target == "/" else target, status_code=303
        )
    language = language_of(request)
    if outcome.throttled_for is not None:
        problem = site.templates.translate(
            language,
            "Too many failed sign-ins: try again in %(minutes)s minutes.",
            minutes=outcome.retry_minutes,
        )
        status = 429
    else:
        problem = site.templates.translate(
            language, "The login or the password is wrong, or the user is disabled."
        )
        status = 401
    return site.templates.render(
        request,
        "sign_in.html",
        language=language,
        status=status,
        user=None,
        next=_safe_next(next),
        login=login,
        problem=problem,
    )


@router.post("/sign-out")
def sign_out_form(request: Request, site: Site, conn: Conn, user: PageUser) -> RedirectResponse:
    sign_out(conn, user=user, at=site.now())
    end_session(request)
    return RedirectResponse("/sign-in", status_code=303)


@router.post("/language")
def choose_language(
    request: Request,
    site: Site,
    conn: Conn,
    language: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> RedirectResponse:
    try:
        chosen = Language(language)
    except ValueError as exc:
        raise BadArgument(
            _m("unknown language %(language)s: choose zh-CN, zh-TW or en", language=repr(language))
        ) from exc
    if "login" in request.session:
        user = page_user(request, conn)
        set_language(conn, login=user.login, language=chosen, actor=user.login, at=site.now())
    request.session["lang"] = chosen.value
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request, site: Site) -> HTMLResponse:
    return site.templates.render(request, "api_docs.html", language="en")
