"""Pages of contracts: the `/contracts` list and one contract's page with its versions, events, the
schedule its terms make (and the invoices it became), its signed files, and the forms that record an
event and approve the draft version. Out of reach is 404; the rules are `credit.contracts`'."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.access.permissions import Permission, allows, require
from dunmore.access.values import User
from dunmore.credit import contract_approval, contract_reads, contracts
from dunmore.domain.money import Money
from dunmore.errors import AmountError, BadArgument, PermissionDenied
from dunmore.i18n import _m
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.web.uploads import read_upload

router = APIRouter()
Number = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Status = Annotated[str, Query(max_length=12, pattern=r"^(draft|approved|superseded)?$")]
REFUSED = (BadArgument, AmountError, PermissionDenied)


@router.get("/contracts", response_class=HTMLResponse)
def contract_list(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    customer: Annotated[str, Query(max_length=64)] = "",
    status: Status = "",
) -> HTMLResponse:
    return _list(request, site, conn, user, {"customer": customer, "status": status})


def _list(
    request: Request,
    site: Site,
    conn: Any,
    user: User,
    filters: dict[str, str],
    *,
    status: int = 200,
    problem: str | None = None,
    entered: dict[str, Any] | None = None,
) -> HTMLResponse:
    found = contract_reads.list_contracts(
        conn, user=user, customer=filters["customer"] or None, status=filters["status"] or None
    )
    return site.templates.render(
        request,
        "contracts.html",
        language=user.language.value,
        user=user,
        status=status,
        contracts=found,
        filters=filters,
        problem=problem,
        entered=entered or {},
        amount=str(entered["says"].amount) if entered else "",
        may_manage=allows(user, Permission.CONTRACT_MANAGE),
        today=site.today(),
    )


def says_form(
    title: Annotated[str, Form(min_length=1, max_length=200)],
    signed_on: Annotated[date, Form()],
    amount: Annotated[str, Form(max_length=20, pattern=r"^\s*\d{1,15}(\.\d{1,3})?\s*$")],
    currency: Annotated[str, Form(min_length=3, max_length=3)],
    terms: Annotated[str, Form(min_length=1, max_length=500)],
    ends_on: Annotated[str, Form(max_length=10)] = "",
    interest_terms: Annotated[str, Form(max_length=40)] = "",
    fee_terms: Annotated[str, Form(max_length=200)] = "",
) -> contracts.Says:
    """The fields of the contract forms (the add form and the change form)."""
    try:
        ends = date.fromisoformat(ends_on) if ends_on.strip() else None
    except ValueError:
        raise BadArgument(_m("write the end date as YYYY-MM-DD, or leave it empty")) from None
    return contracts.Says(
        title=title,
        signed_on=signed_on,
        amount=Decimal(amount.strip()),
        currency=currency,
        terms=terms,
        ends_on=ends,
        interest_terms=interest_terms or None,
        fee_terms=fee_terms or None,
    )


Says = Annotated[contracts.Says, Depends(says_form)]


@router.post("/contracts", response_model=None)
def add_contract(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    says: Says,
    customer: Annotated[str, Form(min_length=1, max_length=64)],
    number: Annotated[str, Form(min_length=1, max_length=40)],
) -> Response:
    """Record a contract (version 1, a draft); a refused one is shown again with its problem."""
    require(user, Permission.CONTRACT_MANAGE)
    try:
        with conn.begin_nested():
            contracts.add_contract(
                conn,
                customer=customer,
                number=number,
                says=says,
                by=user.login,
                user=user,
                actor=user.login,
                now=site.now(),
            )
    except REFUSED as exc:  # an unknown customer is out of reach: 404, as on every page
        entered = {"customer": customer, "number": number, "says": says}
        problem = exc.render(user.language.value)
        filters = {"customer": "", "status": ""}
        return _list(request, site, conn, user, filters, status=400, problem=problem, entered=entered)
    return RedirectResponse(f"/contracts/{quote(number)}", status_code=303)


@router.post("/contracts/{number}/versions", response_model=None)
def change_contract(
    request: Request, site: Site, conn: Conn, user: PageUser, number: Number, says: Says
) -> Response:
    """Change the contract: a new version, a draft that needs approval again."""
    require(user, Permission.CONTRACT_MANAGE)
    try:
        with conn.begin_nested():
            contracts.change_contract(
                conn, number=number, says=says, by=user.login, user=user, actor=user.login, now=site.now()
            )
    except REFUSED as exc:
        return _page(request, site, conn, user, number, status=400, problem=exc.render(user.language.value))
    return RedirectResponse(f"/contracts/{number}", status_code=303)


def _page(
    request: Request,
    site: Site,
    conn: Any,
    user: User,
    number: str,
    *,
    status: int = 200,
    problem: str | None = None,
    done: list[str] | None = None,
) -> HTMLResponse:
    view = contract_reads.show(conn, number=number, country=site.settings.creditor.country, user=user)
    return site.templates.render(
        request,
        "contract.html",
        language=user.language.value,
        user=user,
        status=status,
        contract=view,
        amount=str(Money(view.latest.amount_minor, view.latest.currency).amount),
        problem=problem,
        issued=done or [],
        may_manage=allows(user, Permission.CONTRACT_MANAGE),
        today=site.today(),
    )


@router.get("/contracts/{number}", response_class=HTMLResponse)
def contract_page(request: Request, site: Site, conn: Conn, user: PageUser, number: Number) -> HTMLResponse:
    return _page(request, site, conn, user, number)


@router.post("/contracts/{number}/approve", response_model=None)
def approve(request: Request, site: Site, conn: Conn, user: PageUser, number: Number) -> Response:
    require(user, Permission.CONTRACT_MANAGE)
    try:
        with conn.begin_nested():
            contract_approval.approve(
                conn,
                number=number,
                checker=user.login,
                user=user,
                thresholds=site.settings.workspace.contract_approval_minor,
                country=site.settings.creditor.country,
                on=site.today(),
                now=site.now(),
                actor=user.login,
            )
    except REFUSED as exc:
        # A refused form is shown again with its problem (400), as the other pages do; lacking the
        # permission altogether was refused above (403).
        return _page(request, site, conn, user, number, status=400, problem=exc.render(user.language.value))
    return RedirectResponse(f"/contracts/{number}", status_code=303)


@router.post("/contracts/{number}/events", response_model=None)
def record_event(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    number: Number,
    event: Annotated[str, Form(max_length=12, pattern=r"^(delivery|acceptance)$")],
    on: Annotated[date, Form()],
) -> Response:
    require(user, Permission.CONTRACT_MANAGE)
    try:
        with conn.begin_nested():
            contracts.record_event(
                conn,
                number=number,
                event=event,
                on=on,
                by=user.login,
                user=user,
                actor=user.login,
                now=site.now(),
                country=site.settings.creditor.country,
            )
    except REFUSED as exc:
        return _page(request, site, conn, user, number, status=400, problem=exc.render(user.language.value))
    return RedirectResponse(f"/contracts/{number}", status_code=303)


@router.post("/contracts/{number}/files", response_model=None)
async def add_file(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    number: Number,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Keep the signed contract (PDF, or a scan) with its SHA-256."""
    require(user, Permission.CONTRACT_MANAGE)
    try:
        if file is None or not file.filename:
            raise BadArgument(_m("choose the signed contract's file"))
        upload = await read_upload(file)
        with conn.begin_nested():
            contracts.attach(
                conn, number=number, upload=upload, by=user.login, user=user, actor=user.login, now=site.now()
            )
    except REFUSED as exc:
        return _page(request, site, conn, user, number, status=400, problem=exc.render(user.language.value))
    return RedirectResponse(f"/contracts/{number}", status_code=303)


@router.get("/contracts/{number}/files/{file_id}", response_model=None)
def download_file(
    conn: Conn, user: PageUser, number: Number, file_id: Annotated[int, Path(ge=1, le=ID_MAX)]
) -> Response:
    """A signed file as it was kept, for download (never shown inline)."""
    kept, content = contract_reads.file_content(conn, number=number, file_id=file_id, user=user)
    disposition = f"attachment; filename*=UTF-8''{quote(kept.filename)}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    return Response(content, media_type=kept.media_type, headers=headers)
