"""The customer list and a customer's page: 404 for a customer outside the user's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from dunmore.ledger.browse import get_customer, list_accounts
from dunmore.web.auth import Conn, PageUser, Site

router = APIRouter()
PAGE = 50


@router.get("/customers", response_class=HTMLResponse)
def customers(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    q: Annotated[str, Query(max_length=100)] = "",
    after: Annotated[str | None, Query(max_length=400)] = None,
) -> HTMLResponse:
    page = list_accounts(conn, user=user, as_of=site.today(), search=q, after=after, limit=PAGE)
    return site.templates.render(
        request,
        "customers.html",
        fragment="results",
        language=user.language.value,
        user=user,
        page=page,
        search=q,
        after=after,
    )


@router.get("/customers/{code}", response_class=HTMLResponse)
def customer(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    code: Annotated[str, Path(min_length=1, max_length=64)],
) -> HTMLResponse:
    found = get_customer(conn, user=user, code=code, as_of=site.today())
    return site.templates.render(
        request, "customer.html", language=user.language.value, user=user, customer=found
    )
