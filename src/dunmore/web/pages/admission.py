"""Pages of credit admission: the `/credit-applications` list and one application's page with its
facts and papers, and for managers the forms that approve or reject it. Out of reach is 404; the
rules (maker–checker, who may decide) are `credit.admission`'s."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.access.permissions import Permission, allows, require
from dunmore.access.values import User
from dunmore.credit import admission
from dunmore.errors import BadArgument, PermissionDenied
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site

router = APIRouter()
Number = Annotated[int, Path(ge=1, le=ID_MAX)]
Status = Annotated[str, Query(max_length=12, pattern=r"^(draft|approved|rejected)?$")]
REFUSED = (BadArgument, PermissionDenied)


@router.get("/credit-applications", response_class=HTMLResponse)
def application_list(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    customer: Annotated[str, Query(max_length=64)] = "",
    status: Status = "",
) -> HTMLResponse:
    found = admission.applications(conn, user=user, customer=customer or None, status=status or None)
    return site.templates.render(
        request,
        "credit_applications.html",
        language=user.language.value,
        user=user,
        applications=found,
        filters={"customer": customer, "status": status},
    )


def _page(
    request: Request,
    site: Site,
    conn: Any,
    user: User,
    number: int,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    view = admission.application(conn, number=number, user=user)
    return site.templates.render(
        request,
        "credit_application.html",
        language=user.language.value,
        user=user,
        status=status,
        application=view,
        problem=problem,
        may_decide=allows(user, Permission.CREDIT_MANAGE) and view.drafted_by != user.login,
    )


@router.get("/credit-applications/{number}", response_class=HTMLResponse)
def application_page(
    request: Request, site: Site, conn: Conn, user: PageUser, number: Number
) -> HTMLResponse:
    return _page(request, site, conn, user, number)


def _decide(
    request: Request, site: Site, conn: Any, user: User, number: int, *, approve: bool, reason: str
) -> Response:
    require(user, Permission.CREDIT_MANAGE)
    try:
        with conn.begin_nested():
            admission.decide(
                conn, number=number, approve=approve, reason=reason, by=user.login, user=user,
                actor=user.login, now=site.now(),
            )  # fmt: skip
    except REFUSED as exc:
        # A refused decision (the drafter deciding, a reason missing) is shown with its problem.
        return _page(request, site, conn, user, number, status=400, problem=exc.render(user.language.value))
    return RedirectResponse(f"/credit-applications/{number}", status_code=303)


@router.post("/credit-applications/{number}/approve", response_model=None)
def approve(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    number: Number,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _decide(request, site, conn, user, number, approve=True, reason=reason)


@router.post("/credit-applications/{number}/reject", response_model=None)
def reject(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    number: Number,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _decide(request, site, conn, user, number, approve=False, reason=reason)
