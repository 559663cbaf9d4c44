"""Pages of credit: a customer's grade explained (loaded into the customer page with htmx) with the
release of its credit hold, and the credit-check form. A customer out of reach is 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.access.permissions import Permission, allows
from dunmore.access.values import User
from dunmore.credit import grades, limits
from dunmore.credit.grades_explain import Explanation, explain
from dunmore.errors import AmountError, BadArgument, CurrencyError, NotFound
from dunmore.i18n import _m
from dunmore.web.auth import Conn, PageUser, Site

router = APIRouter()
Code = Annotated[str, Path(min_length=1, max_length=64)]
REFUSED = (BadArgument, AmountError, CurrencyError, NotFound)


def _shown(found: Explanation, language: str) -> dict[str, Any]:
    """The explanation with its sentences said in the reader's language."""
    return {
        "found": found,
        "betters": {n: f.better.render(language) if f.better else "" for n, f in found.factors.items()},
        "moves": [move.render(language) for move in found.moves],
    }


@router.get("/customers/{code}/grade", response_class=HTMLResponse)
def customer_grade(request: Request, site: Site, conn: Conn, user: PageUser, code: Code) -> HTMLResponse:
    found = explain(conn, user=user, customer=code)
    language = user.language.value
    return site.templates.render(
        request, "credit.html", language=language, user=user, fragment="section", customer=code,
        may_manage=allows(user, Permission.CREDIT_MANAGE), **_shown(found, language),
    )  # fmt: skip


@router.post("/customers/{code}/credit-release", response_model=None)
def release(
    site: Site,
    conn: Conn,
    user: PageUser,
    code: Code,
    reason: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    limits.release(conn, user=user, customer=code, reason=reason, now=site.now())
    return RedirectResponse(f"/customers/{code}", status_code=303)


@router.post("/customers/{code}/grade-override", response_model=None)
def override(
    site: Site,
    conn: Conn,
    user: PageUser,
    code: Code,
    grade: Annotated[str, Form(pattern="^[ABCD]$")],
    until: Annotated[date, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    grades.override(conn, user=user, customer=code, grade=grade, reason=reason, until=until,
                    today=site.today(), now=site.now())  # fmt: skip
    return RedirectResponse(f"/customers/{code}", status_code=303)


def _check_page(
    request: Request, site: Site, user: User, *, status: int = 200, **context: Any
) -> HTMLResponse:
    values = {
        "verdict": None,
        "problem": None,
        "form": {"customer": "", "amount": "", "currency": ""},
    } | context
    return site.templates.render(
        request, "credit_check.html", language=user.language.value, user=user, status=status, **values
    )


@router.get("/credit-check", response_class=HTMLResponse)
def check_form(request: Request, site: Site, user: PageUser) -> HTMLResponse:
    return _check_page(request, site, user)


@router.post("/credit-check", response_class=HTMLResponse)
def check(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    customer: Annotated[str, Form(min_length=1, max_length=64)],
    amount: Annotated[str, Form(min_length=1, max_length=24)],
    currency: Annotated[str, Form(max_length=3)] = "",
) -> HTMLResponse:
    form = {"customer": customer, "amount": amount, "currency": currency}
    try:
        value = Decimal(amount.strip())
        verdict = limits.check(conn, user=user, customer=customer, amount=value, currency=currency or None)
    except InvalidOperation:
        text = _m("%(amount)s is not an amount: write it as 25000.00", amount=repr(amount))
        problem = text.render(user.language.value)
        return _check_page(request, site, user, status=400, form=form, problem=problem)
    except REFUSED as exc:
        return _check_page(
            request, site, user, status=400, form=form, problem=exc.render(user.language.value)
        )
    return _check_page(request, site, user, form=form, verdict=verdict)
