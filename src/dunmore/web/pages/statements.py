"""Pages of statements of account: the `/statements` list for the AR team (state, period, customer),
a customer's section (loaded by the customer page with htmx) and each statement's PDF as issued (or
its confirmation receipt). Reading only: statements are issued by `dunmore statements issue`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from dunmore.access.values import User
from dunmore.errors import BadArgument
from dunmore.statements import views
from dunmore.statements.issue import period_of
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site

router = APIRouter()
Code = Annotated[str, Path(min_length=1, max_length=64)]
StatementId = Annotated[int, Path(ge=1, le=ID_MAX)]
Status = Annotated[str, Query(max_length=12, pattern=r"^(sent|viewed|confirmed|disputed|lapsed)?$")]
Month = Annotated[str, Query(max_length=7, pattern=r"^([0-9]{4}-[0-9]{2})?$")]


def _render(request: Request, site: Site, user: User, **context: Any) -> HTMLResponse:
    values = {"customer": None, "filters": {}, "problem": None} | context
    return site.templates.render(
        request, "statements.html", language=user.language.value, user=user, fragment="section", **values
    )


@router.get("/statements", response_class=HTMLResponse)
def statement_list(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    status: Status = "",
    period: Month = "",
    customer: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    problem = None
    try:
        days = period_of(period, None, None) if period else None
    except BadArgument as exc:
        days, problem = None, exc.render(user.language.value)
    found = views.listing(
        conn, user=user, status=status or None, period=days, customer=customer or None, limit=200
    )
    filters = {"status": status, "period": period, "customer": customer}
    return _render(request, site, user, statements=found, filters=filters, problem=problem)


@router.get("/customers/{code}/statements", response_class=HTMLResponse)
def customer_section(request: Request, site: Site, conn: Conn, user: PageUser, code: Code) -> HTMLResponse:
    found = views.customer_statements(conn, user=user, customer=code)
    return _render(request, site, user, statements=found, customer=code)


@router.get("/statements/{statement_id}/pdf", response_class=Response)
def statement_pdf(
    conn: Conn, user: PageUser, statement_id: StatementId, receipt: Annotated[bool, Query()] = False
) -> Response:
    """The PDF as issued (or the confirmation receipt), shown in the browser."""
    name, data = views.pdf(conn, user=user, statement_id=statement_id, receipt=receipt)
    disposition = f'inline; filename="{name}"'
    return Response(data, media_type="application/pdf", headers={"Content-Disposition": disposition})
