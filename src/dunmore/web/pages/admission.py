"""Pages of credit admission: the `/credit-applications` list, the form that drafts one (with its
papers), one application's page with its facts and papers, and for managers the forms that approve
or reject it. Out of reach is 404; the rules (maker–checker, who may draft and decide, the papers'
size and type) are `credit.admission`'s."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.access.permissions import Permission, allows, require
from dunmore.access.values import User
from dunmore.credit import admission
from dunmore.domain.money import parse_decimal
from dunmore.errors import AmountError, BadArgument, PermissionDenied
from dunmore.i18n import Text, _m
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.web.uploads import read_uploads

router = APIRouter()
Number = Annotated[int, Path(ge=1, le=ID_MAX)]
Status = Annotated[str, Query(max_length=12, pattern=r"^(draft|approved|rejected)?$")]
REFUSED = (BadArgument, PermissionDenied)
PAPERS_MAX = 5  # papers sent with a draft from the page; more with `dunmore credit attach`
FIELDS = (
    *("customer", "limit", "currency", "terms", "kind", "registry_data", "years_in_business"),
    *("registered_capital", "references", "report_agency", "report_score", "note"),
)


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
        may_draft=allows(user, Permission.CUSTOMER_ACT),
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


def _form(
    request: Request,
    site: Site,
    user: User,
    fields: dict[str, Any],
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    return site.templates.render(
        request,
        "credit_application_new.html",
        language=user.language.value,
        user=user,
        status=status,
        fields=fields,
        problem=problem,
        papers_max=PAPERS_MAX,
    )


@router.get("/credit-applications/new", response_class=HTMLResponse)
def new_application_page(
    request: Request, site: Site, user: PageUser, customer: Annotated[str, Query(max_length=64)] = ""
) -> HTMLResponse:
    require(user, Permission.CUSTOMER_ACT)
    return _form(request, site, user, dict.fromkeys(FIELDS, "") | {"customer": customer})


@router.post("/credit-applications", response_model=None)
async def draft_application(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    customer: Annotated[str, Form(max_length=64)],
    limit: Annotated[str, Form(max_length=30)],
    terms: Annotated[str, Form(max_length=200)],
    currency: Annotated[str, Form(max_length=3)] = "",
    kind: Annotated[str, Form(pattern=r"^(new|increase)?$")] = "",
    registry_data: Annotated[str, Form(max_length=admission.TEXT_MAX["registry_data"])] = "",
    years_in_business: Annotated[int | None, Form(ge=0, le=admission.YEARS_MAX)] = None,
    registered_capital: Annotated[str, Form(max_length=30)] = "",
    references: Annotated[str, Form(max_length=admission.TEXT_MAX["references"])] = "",
    report_agency: Annotated[str, Form(max_length=admission.TEXT_MAX["report_agency"])] = "",
    report_score: Annotated[int | None, Form(ge=0, le=admission.SCORE_MAX)] = None,
    note: Annotated[str, Form(max_length=admission.TEXT_MAX["note"])] = "",
    papers: Annotated[list[UploadFile], File(max_length=PAPERS_MAX + 1)] = [],  # noqa: B006 - FastAPI reads, never mutates
) -> Response:
    """Draft an application with its papers, all or nothing; refused, the form again with the problem
    and the fields as typed."""
    require(user, Permission.CUSTOMER_ACT)
    typed = [customer, limit, currency, terms, kind, registry_data, years_in_business, registered_capital]
    typed += [references, report_agency, report_score, note]
    fields = {name: "" if value is None else value for name, value in zip(FIELDS, typed, strict=True)}
    try:
        with conn.begin_nested():
            facts = admission.Facts(
                registry_data=registry_data,
                years_in_business=years_in_business,
                registered_capital=_amount(registered_capital),
                references=references,
                report_agency=report_agency or None,
                report_score=report_score,
                note=note,
            )
            number = admission.apply(
                conn, customer=customer.strip(), limit=_amount(limit) or Decimal(0),
                currency=currency or None, terms=terms, facts=facts, kind=kind or None, by=user.login,
                user=user, actor=user.login, now=site.now(),
            )  # fmt: skip
            for upload in await read_uploads(papers, most=PAPERS_MAX, too_many=_too_many):
                admission.attach(
                    conn,
                    number=number,
                    upload=upload,
                    by=user.login,
                    user=user,
                    actor=user.login,
                    now=site.now(),
                )
    except (*REFUSED, AmountError) as exc:
        return _form(request, site, user, fields, status=400, problem=exc.render(user.language.value))
    return RedirectResponse(f"/credit-applications/{number}", status_code=303)


def _amount(text: str) -> Decimal | None:
    return parse_decimal(text) if text.strip() else None


def _too_many(count: int) -> Text:
    return _m("at most %(most)s papers with a draft, not %(count)s", most=PAPERS_MAX, count=count)


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
