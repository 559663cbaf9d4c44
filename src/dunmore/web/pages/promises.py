"""Pages of promises to pay: the `/promises` list (filters) and a customer's section (loaded by the
customer page with htmx), with the forms that add and cancel one. A customer out of reach is 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.access.permissions import Permission, allows, require
from dunmore.access.values import User
from dunmore.errors import AmountError, CurrencyError, PromiseRefused
from dunmore.i18n import _m
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.workspace import promises

router = APIRouter()
Code = Annotated[str, Path(min_length=1, max_length=64)]
REFUSED = (PromiseRefused, AmountError, CurrencyError)
Status = Annotated[str, Query(max_length=12, pattern=r"^(pending|kept|partial|broken|cancelled)?$")]


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _render(request: Request, site: Site, user: User, *, status: int = 200, **context: Any) -> HTMLResponse:
    htmx = request.headers.get("hx-request") == "true"
    values = {"customer": None, "problem": None, "filters": {}, "today": site.today()} | context
    return site.templates.render(
        request,
        "promises.html",
        language=user.language.value,
        user=user,
        fragment="section",
        status=200 if htmx else status,
        may_act=allows(user, Permission.CUSTOMER_ACT),
        **values,
    )


@router.get("/promises", response_class=HTMLResponse)
def promise_list(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    customer: Annotated[str, Query(max_length=64)] = "",
    status: Status = "",
    due_from: Annotated[str, Query(max_length=10)] = "",
    due_to: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    found = promises.list_promises(
        conn,
        user=user,
        customer=customer or None,
        status=status or None,
        due_from=_day(due_from),
        due_to=_day(due_to),
        limit=200,
    )
    filters = {"customer": customer, "status": status, "due_from": due_from, "due_to": due_to}
    return _render(request, site, user, promises=found, filters=filters)


@router.get("/customers/{code}/promises", response_class=HTMLResponse)
def customer_section(request: Request, site: Site, conn: Conn, user: PageUser, code: Code) -> HTMLResponse:
    found = promises.customer_promises(conn, user=user, customer=code)
    return _render(request, site, user, promises=found, customer=code)


@router.post("/customers/{code}/promises", response_model=None)
def add_promise(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    code: Code,
    amount: Annotated[str, Form(max_length=24)],
    by: Annotated[date, Form()],
    currency: Annotated[str, Form(max_length=3)] = "",
    invoices: Annotated[str, Form(max_length=2000)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    numbers = [n.strip() for n in invoices.split(",") if n.strip()][:200]
    try:
        with conn.begin_nested():
            promises.add(
                conn,
                user=user,
                customer=code,
                amount=_amount(amount),
                by=by,
                today=site.today(),
                now=site.now(),
                currency=currency or None,
                invoices=numbers,
                note=note,
            )
    except REFUSED as exc:
        found = promises.customer_promises(conn, user=user, customer=code)
        return _render(
            request,
            site,
            user,
            status=400,
            promises=found,
            customer=code,
            problem=exc.render(user.language.value),
        )
    return RedirectResponse(f"/customers/{code}/promises", status_code=303)


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise PromiseRefused(
            _m("%(amount)s is not an amount: write digits and a point, e.g. 5000.00", amount=repr(text))
        ) from exc


@router.post("/promises/{promise_id}/cancel", response_model=None)
def cancel_promise(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    promise_id: Annotated[int, Path(ge=1, le=ID_MAX)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    require(user, Permission.CUSTOMER_ACT)
    shown = promises.get(conn, user=user, promise_id=promise_id)
    try:
        with conn.begin_nested():
            promises.cancel(conn, user=user, promise_id=promise_id, reason=reason, now=site.now())
    except REFUSED as exc:
        found = promises.customer_promises(conn, user=user, customer=shown.customer)
        return _render(
            request,
            site,
            user,
            status=400,
            promises=found,
            customer=shown.customer,
            problem=exc.render(user.language.value),
        )
    return RedirectResponse(f"/customers/{shown.customer}/promises", status_code=303)
