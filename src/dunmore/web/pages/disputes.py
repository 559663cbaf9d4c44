"""The disputes page and a customer's disputes section (open and resolve forms; waivers waiting for a
manager on the disputes page).

Parse → call `workspace.disputes` / `workspace.waivers`, the functions the CLI and the API call →
render. Permissions and scope are the services': a dispute or an invoice outside the user's
customers is 404. The customer page includes `customer_disputes.html`, which loads its section from
`GET /customers/{code}/disputes` (htmx) so that the customer page's route does not change; its forms
answer an htmx request with the section again (with the refusal, if any), a plain one with a redirect.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.access.permissions import Permission, allows, require
from dunmore.access.values import User
from dunmore.domain.money import parse_decimal
from dunmore.errors import DunmoreError
from dunmore.ledger.browse import get_customer
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.workspace import disputes, waivers
from dunmore.workspace.disputes import NOTE_MAX, OUTCOMES, REASONS

router = APIRouter()
PAGE = 50
Code = Annotated[str, Path(min_length=1, max_length=64)]
RowId = Annotated[int, Path(ge=1, le=ID_MAX)]
Amount = Annotated[str, Form(max_length=20)]
Note = Annotated[str, Form(max_length=NOTE_MAX)]


@router.get("/disputes", response_class=HTMLResponse)
def disputes_page(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    status: Annotated[str, Query(max_length=10, pattern="^(open|resolved)?$")] = "open",
    owner: Annotated[str, Query(max_length=100)] = "",
    customer: Annotated[str, Query(max_length=64)] = "",
    before: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
) -> HTMLResponse:
    require(user, Permission.LEDGER_READ)
    rows = disputes.list_disputes(
        conn,
        user=user,
        as_of=site.today(),
        status=status or None,
        owner=owner or None,
        customer=customer or None,
        before_id=before,
        limit=PAGE,
        sla_days=site.settings.workspace.dispute_sla_days,
    )
    kept = {"status": status, "owner": owner, "customer": customer}
    checks = allows(user, Permission.RUN_APPROVE)
    pending = waivers.list_waivers(conn, status="pending", user=user) if checks else []
    return site.templates.render(
        request,
        "disputes.html",
        language=user.language.value,
        user=user,
        rows=rows,
        filters=kept,
        query=urlencode({k: v for k, v in kept.items() if v}),
        before=before,
        next_cursor=rows[-1].id if len(rows) == PAGE else None,
        outcomes=list(OUTCOMES),
        sla_days=site.settings.workspace.dispute_sla_days,
        pending_waivers=pending,
    )


def _section(
    request: Request, site: Site, conn: Conn, user: User, code: str, error: str = ""
) -> HTMLResponse:
    found = get_customer(conn, user=user, code=code, as_of=site.today())
    rows = disputes.list_disputes(
        conn,
        user=user,
        as_of=site.today(),
        customer=found.code,
        limit=PAGE,
        sla_days=site.settings.workspace.dispute_sla_days,
    )
    items = [it for it in found.items if it.kind == "invoice" and it.open_minor > it.disputed_minor]
    charges = [it for it in found.items if it.kind != "invoice" and it.open_minor > 0]
    return site.templates.render(
        request,
        "customer_disputes.html",
        fragment="section",
        language=user.language.value,
        user=user,
        customer=found,
        rows=rows,
        invoices=items,
        charges=charges,
        reasons=REASONS,
        outcomes=list(OUTCOMES),
        error=error,
        waivers=waivers.list_waivers(conn, user=user, customer=found.code),
    )


@router.get("/customers/{code}/disputes", response_class=HTMLResponse)
def customer_disputes(request: Request, site: Site, conn: Conn, user: PageUser, code: Code) -> HTMLResponse:
    return _section(request, site, conn, user, code)


def _answer(
    request: Request, site: Site, conn: Conn, user: User, code: str, error: DunmoreError | None
) -> Response:
    """The customer's section again for htmx (with the refusal said in it); else the page the form
    was on (`Referer` is not trusted: the customer's page, or the disputes page)."""
    if request.headers.get("hx-request") == "true" and code:
        said = "" if error is None else error.render(user.language.value)
        return _section(request, site, conn, user, code, said)
    if error is not None:
        raise error
    where = f"/customers/{quote(code, safe='')}#disputes" if code else "/disputes"
    return RedirectResponse(where, status_code=303)


@router.post("/disputes")
def open_dispute(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    number: Annotated[str, Form(alias="invoice", min_length=1, max_length=64)],
    amount: Amount,
    reason: Annotated[str, Form(max_length=20)],
    note: Note = "",
) -> Response:
    require(user, Permission.DISPUTE_SET)
    code = disputes.customer_of(conn, invoice=number, user=user)
    try:
        disputes.open_dispute(
            conn,
            invoice=number,
            amount=parse_decimal(amount),
            reason=reason,
            note=note,
            user=user,
            now=site.now(),
            actor=user.login,
        )
    except DunmoreError as exc:
        return _answer(request, site, conn, user, code, exc)
    return _answer(request, site, conn, user, code, None)


@router.post("/disputes/{dispute_id}/resolve")
def resolve_dispute(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    dispute_id: RowId,
    outcome: Annotated[str, Form(max_length=12)],
    amount: Amount = "",
    note: Note = "",
) -> Response:
    require(user, Permission.DISPUTE_SET)
    found = disputes.list_disputes(
        conn,
        user=user,
        as_of=site.today(),
        dispute_id=dispute_id,
        limit=1,
        sla_days=site.settings.workspace.dispute_sla_days,
    )
    code = found[0].customer if found and request.headers.get("hx-request") == "true" else ""
    try:
        value: Decimal | None = parse_decimal(amount) if amount.strip() else None
        disputes.resolve_dispute(
            conn,
            dispute_id=dispute_id,
            outcome=outcome,
            amount=value,
            note=note,
            user=user,
            on=site.today(),
            now=site.now(),
            actor=user.login,
        )
    except DunmoreError as exc:
        return _answer(request, site, conn, user, code, exc)
    return _answer(request, site, conn, user, code, None)


@router.post("/waivers")
def waive(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    item: Annotated[str, Form(min_length=1, max_length=64)],
    reason: Annotated[str, Form(min_length=1, max_length=waivers.REASON_MAX)],
    amount: Amount = "",
) -> Response:
    require(user, Permission.DISPUTE_SET)
    code = disputes.customer_of(conn, invoice=item, user=user)
    try:
        value: Decimal | None = parse_decimal(amount) if amount.strip() else None
        waivers.request_waiver(
            conn,
            item=item,
            amount=value,
            reason=reason,
            user=user,
            by=user.login,
            on=site.today(),
            now=site.now(),
            actor=user.login,
            thresholds=site.settings.workspace.waiver_approval_minor,
        )
    except DunmoreError as exc:
        return _answer(request, site, conn, user, code, exc)
    return _answer(request, site, conn, user, code, None)


def _decide(site: Site, conn: Conn, user: User, waiver_id: int, *, approve: bool) -> Response:
    waivers.decide_waiver(
        conn,
        waiver_id=waiver_id,
        approve=approve,
        checker=user.login,
        user=user,
        on=site.today(),
        now=site.now(),
        actor=user.login,
    )
    return RedirectResponse("/disputes#waivers", status_code=303)


@router.post("/waivers/{waiver_id}/approve")
def approve_waiver(site: Site, conn: Conn, user: PageUser, waiver_id: RowId) -> Response:
    return _decide(site, conn, user, waiver_id, approve=True)


@router.post("/waivers/{waiver_id}/reject")
def reject_waiver(site: Site, conn: Conn, user: PageUser, waiver_id: RowId) -> Response:
    return _decide(site, conn, user, waiver_id, approve=False)
