"""Pages of instalment plans: the `/plans` list (filters) and a customer's section (loaded by the
customer page with htmx), with the forms that agree and cancel one, accept or counter a proposed one
(asked for in the portal: the customer is told the answer), and those with which a manager
approves or rejects a plan waiting for its waivers. A customer out of reach is 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.access.permissions import Permission, allows, require
from dunmore.access.values import User
from dunmore.errors import (
    AmountError,
    BadArgument,
    CurrencyError,
    DunmoreError,
    PermissionDenied,
    PlanRefused,
)
from dunmore.i18n import _m
from dunmore.portal import answers
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.workspace import plan_waivers, plans

router = APIRouter()
Code = Annotated[str, Path(min_length=1, max_length=64)]
REFUSED = (PlanRefused, AmountError, CurrencyError, BadArgument)
Status = Annotated[str, Query(max_length=12, pattern=r"^(proposed|waiting|active|kept|broken|cancelled)?$")]


def _render(request: Request, site: Site, user: User, *, status: int = 200, **context: Any) -> HTMLResponse:
    htmx = request.headers.get("hx-request") == "true"
    values = {"customer": None, "problem": None, "filters": {}, "today": site.today()} | context
    return site.templates.render(
        request,
        "plans.html",
        language=user.language.value,
        user=user,
        fragment="section",
        status=200 if htmx else status,
        may_act=allows(user, Permission.CUSTOMER_ACT),
        may_approve=allows(user, Permission.RUN_APPROVE),
        **values,
    )


@router.get("/plans", response_class=HTMLResponse)
def plan_list(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    customer: Annotated[str, Query(max_length=64)] = "",
    status: Status = "",
) -> HTMLResponse:
    found = plans.list_plans(conn, user=user, customer=customer or None, status=status or None, limit=200)
    return _render(request, site, user, plans=found, filters={"customer": customer, "status": status})


@router.get("/customers/{code}/plans", response_class=HTMLResponse)
def customer_section(request: Request, site: Site, conn: Conn, user: PageUser, code: Code) -> HTMLResponse:
    found = plans.customer_plans(conn, user=user, customer=code)
    return _render(request, site, user, plans=found, customer=code)


def _amount(text: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        return Decimal(text.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise PlanRefused(
            _m("%(amount)s is not an amount: write digits and a point, e.g. 5000.00", amount=repr(text))
        ) from exc


@router.post("/customers/{code}/plans", response_model=None)
def add_plan(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    code: Code,
    instalments: Annotated[int, Form(ge=1, le=120)],
    first: Annotated[date, Form()],
    every_months: Annotated[int, Form(ge=1, le=12)] = 1,
    currency: Annotated[str, Form(max_length=3)] = "",
    invoices: Annotated[str, Form(max_length=2000)] = "",
    down_payment: Annotated[str, Form(max_length=24)] = "",
    down_on: Annotated[date | None, Form()] = None,
    waive: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    numbers = [n.strip() for n in invoices.split(",") if n.strip()][:200]
    try:
        with conn.begin_nested():
            plans.add(
                conn,
                user=user,
                customer=code,
                today=site.today(),
                now=site.now(),
                country=site.settings.creditor.country,
                instalments=instalments,
                first=first,
                every_months=every_months,
                invoices=numbers,
                down_payment=_amount(down_payment),
                down_on=down_on,
                currency=currency or None,
                waive=waive,
                thresholds=site.settings.workspace.waiver_approval_minor,
            )
    except REFUSED as exc:
        found = plans.customer_plans(conn, user=user, customer=code)
        return _render(
            request,
            site,
            user,
            status=400,
            plans=found,
            customer=code,
            problem=exc.render(user.language.value),
        )
    return RedirectResponse(f"/customers/{code}/plans", status_code=303)


@router.post("/plans/{plan_id}/cancel", response_model=None)
def cancel_plan(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    plan_id: Annotated[int, Path(ge=1, le=ID_MAX)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Cancel a plan (refuse a proposed one: asked for in the portal, the customer is told)."""

    def cancel() -> object:
        return plans.cancel(conn, user=user, plan_id=plan_id, reason=reason, now=site.now())

    return _answer(request, site, conn, user, plan_id, cancel)


def _answer(
    request: Request,
    site: Site,
    conn: Conn,
    user: User,
    plan_id: int,
    answer: Callable[[], object],
    *,
    permission: Permission = Permission.CUSTOMER_ACT,
    refused: tuple[type[DunmoreError], ...] = REFUSED,
) -> Response:
    """Run `answer` on a plan the user may see, with `permission`; back to its customer's section,
    or the section with the reason when it is `refused`."""
    require(user, permission)
    shown = plans.get(conn, user=user, plan_id=plan_id)
    try:
        with conn.begin_nested():
            answer()
    except refused as exc:
        found = plans.customer_plans(conn, user=user, customer=shown.customer)
        problem = exc.render(user.language.value)
        return _render(request, site, user, status=400, plans=found, customer=shown.customer, problem=problem)
    return RedirectResponse(f"/customers/{shown.customer}/plans", status_code=303)


@router.post("/plans/{plan_id}/activate", response_model=None)
def activate_plan(
    request: Request, site: Site, conn: Conn, user: PageUser, plan_id: Annotated[int, Path(ge=1, le=ID_MAX)]
) -> Response:
    """The customer agreed a proposed plan (asked for in the portal: they are told so): it is active."""
    return _answer(
        request,
        site,
        conn,
        user,
        plan_id,
        lambda: plans.activate(conn, user=user, plan_id=plan_id, now=site.now()),
    )


@router.post("/plans/{plan_id}/counter", response_model=None)
def counter_plan(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    plan_id: Annotated[int, Path(ge=1, le=ID_MAX)],
    instalments: Annotated[int, Form(ge=2, le=120)],
    first: Annotated[date, Form()],
) -> Response:
    """Answer a plan the customer asked for in the portal with another schedule (`dunmore plan
    counter`): the request is cancelled, this one proposed, and the customer told it by e-mail."""

    def counter() -> object:
        return answers.counter_plan(
            conn,
            user=user,
            plan_id=plan_id,
            instalments=instalments,
            first=first,
            country=site.settings.creditor.country,
            now=site.now(),
            today=site.today(),
        )

    return _answer(request, site, conn, user, plan_id, counter)


def _decide(request: Request, site: Site, conn: Conn, user: User, plan_id: int, *, approve: bool) -> Response:
    def decide() -> object:
        return plan_waivers.decide_plan(
            conn,
            plan_id=plan_id,
            approve=approve,
            checker=user.login,
            on=site.today(),
            now=site.now(),
            actor=user.login,
            user=user,
        )

    # the asker deciding their own waivers (a PermissionDenied) is refused in the section, not by a 403
    return _answer(
        request, site, conn, user, plan_id, decide, permission=Permission.RUN_APPROVE,
        refused=(*REFUSED, PermissionDenied),
    )  # fmt: skip


@router.post("/plans/{plan_id}/approve", response_model=None)
def approve_plan(
    request: Request, site: Site, conn: Conn, user: PageUser, plan_id: Annotated[int, Path(ge=1, le=ID_MAX)]
) -> Response:
    """A manager other than the one who asked approves the plan's waivers: the plan takes effect."""
    return _decide(request, site, conn, user, plan_id, approve=True)


@router.post("/plans/{plan_id}/reject", response_model=None)
def reject_plan(
    request: Request, site: Site, conn: Conn, user: PageUser, plan_id: Annotated[int, Path(ge=1, le=ID_MAX)]
) -> Response:
    """A manager other than the one who asked rejects the plan's waivers: the plan is cancelled."""
    return _decide(request, site, conn, user, plan_id, approve=False)
