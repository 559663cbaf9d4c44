"""The customer's statement in the portal: the page (reading it marks it viewed), the dispute form,
the receipt of a confirmation, the PDFs, and the two binding forms — confirm as a whole, dispute
lines. Thin: each request opens the link's access, calls `dunmore.portal.statement`, and shows the
result; a statement of another customer is the polite refusal page, recorded."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from dunmore.errors import BadArgument, DunmoreError, NotFound
from dunmore.i18n import _m
from dunmore.portal import codes, statement
from dunmore.portal.links import Access, LinkRefused
from dunmore.statements.service import COMMENT_MAX, TEXT_MAX
from dunmore.store.db import ID_MAX, transaction
from dunmore.web.auth import Site
from dunmore.web.portal import binding, session
from dunmore.web.portal.pages import DONE, PROBLEMS
from dunmore.workspace.disputes import REASONS

router = APIRouter()
StatementId = Annotated[int, Path(ge=1, le=ID_MAX)]
FIELDS_MAX = 4 * statement.LINES_MAX + 10


def _refused(request: Request, exc: LinkRefused) -> HTMLResponse:
    found = exc.values.get("customer")
    return session.refused(request, exc.code, customer=found if isinstance(found, str) else None)


def _not_yours(request: Request, access: Access, statement_id: int) -> HTMLResponse:
    return session.refused(request, "not_found", customer=access.customer, detail=f"statement {statement_id}")


@router.get("/statements")
def newest(request: Request, site: Site) -> Response:
    """The statement the link names, or the customer's newest (the overview when there is none)."""
    try:
        access = session.current(request)
    except LinkRefused as exc:
        return _refused(request, exc)
    with transaction(site.engine) as conn:
        chosen = statement.chosen(conn, access)
    return RedirectResponse("/portal" if chosen is None else f"/portal/statements/{chosen}", status_code=303)


def _page(request: Request, site: Site, statement_id: int, name: str, **context: Any) -> Response:
    try:
        access = session.current(request)
        with transaction(site.engine, write=True) as conn:
            seen = statement.view(conn, access=access, statement_id=statement_id, now=site.now())
            address = codes.contact_on_file(conn, access.customer_id)
    except LinkRefused as exc:
        return _refused(request, exc)
    except NotFound:
        return _not_yours(request, access, statement_id)
    return session.render(
        request,
        name,
        access=access,
        seen=seen,
        reasons=REASONS,
        back=str(request.url.path),
        sent_to=codes.masked(address) if address else "",
        text_max=TEXT_MAX,
        comment_max=COMMENT_MAX,
        **context,
    )


@router.get("/statements/{statement_id}", response_class=HTMLResponse)
def page(
    request: Request,
    site: Site,
    statement_id: StatementId,
    done: Annotated[str, Query(max_length=12)] = "",
    problem: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The statement: balances, lines, open items with their ages, its state; confirm it here."""
    return _page(
        request,
        site,
        statement_id,
        "portal_statement.html",
        done=done if done in DONE else "",
        problem=problem if problem in PROBLEMS else "",
    )


@router.get("/statements/{statement_id}/dispute", response_class=HTMLResponse)
def dispute_form(
    request: Request,
    site: Site,
    statement_id: StatementId,
    done: Annotated[str, Query(max_length=12)] = "",
    problem: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The form to dispute lines of the statement, each with an amount, a reason and a comment."""
    return _page(
        request,
        site,
        statement_id,
        "portal_statement_dispute.html",
        done=done if done in DONE else "",
        problem=problem if problem in PROBLEMS else "",
    )


@router.get("/statements/{statement_id}/receipt", response_class=HTMLResponse)
def receipt(request: Request, site: Site, statement_id: StatementId) -> Response:
    """The confirmation's record, with its PDF receipt to download."""
    try:
        access = session.current(request)
        with transaction(site.engine) as conn:
            signed = statement.receipt(conn, access=access, statement_id=statement_id)
    except LinkRefused as exc:
        return _refused(request, exc)
    except NotFound:
        return _not_yours(request, access, statement_id)
    back = f"/portal/statements/{statement_id}/receipt"
    zone = site.settings.timezone
    return session.render(request, "portal_receipt.html", access=access, signed=signed, back=back, zone=zone)


@router.get("/statements/{statement_id}/pdf")
def download(
    request: Request,
    site: Site,
    statement_id: StatementId,
    receipt: Annotated[bool, Query()] = False,
) -> Response:
    """The statement's PDF as issued, or (`?receipt=true`) the confirmation's PDF receipt."""
    try:
        access = session.current(request)
        with transaction(site.engine) as conn:
            name, data = statement.pdf(conn, access=access, statement_id=statement_id, receipt=receipt)
    except LinkRefused as exc:
        return _refused(request, exc)
    except NotFound:
        return _not_yours(request, access, statement_id)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/pdf", headers=headers)


@router.post("/statements/{statement_id}/confirm")
def confirm(
    request: Request,
    site: Site,
    statement_id: StatementId,
    name: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    title: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    code: binding.Code = "",
    csrf_token: binding.Csrf = "",
) -> Response:
    """Confirm the statement as a whole: the code, then the typed name and title; the receipt."""
    client = request.client.host if request.client else ""
    agent = request.headers.get("user-agent", "")[:500]

    def act(conn: Connection, access: Access, code_id: int) -> str:
        statement.confirm(
            conn,
            access=access,
            code_id=code_id,
            statement_id=statement_id,
            name=name,
            title=title,
            ip=client[:64],
            user_agent=agent,
            now=site.now(),
            today=site.today(),
        )
        return f"confirm@/portal/statements/{statement_id}/receipt"

    return binding.act(request, site, csrf_token, code, act, where=f"/portal/statements/{statement_id}")


def _field(form: Any, key: str, limit: int) -> str:
    value = form.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise BadArgument(_m("choose the lines you dispute"), code="no_lines")
    return value


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise BadArgument(_m("give an amount above zero"), code="amount") from None
    if not value.is_finite() or value <= 0:
        raise BadArgument(_m("give an amount above zero"), code="amount")
    return value


def _lines(form: Any) -> list[statement.Line]:
    """The lines ticked on the form, each with its amount, reason and comment (bounded)."""
    ticked = form.getlist("line")
    if not 0 < len(ticked) <= statement.LINES_MAX:
        raise BadArgument(_m("choose the lines you dispute"), code="no_lines")
    lines = []
    for item in ticked:
        if not isinstance(item, str) or not item.isdigit() or len(item) > 18:
            raise BadArgument(_m("choose the lines you dispute"), code="no_lines")
        lines.append(
            statement.Line(
                int(item),
                _amount(_field(form, f"amount-{item}", 24)),
                _field(form, f"reason-{item}", 20),
                _field(form, f"comment-{item}", COMMENT_MAX),
            )
        )
    return lines


@router.post("/statements/{statement_id}/dispute")
async def dispute(request: Request, site: Site, statement_id: StatementId) -> Response:
    """Dispute lines of the statement, with one optional file (PDF or image, checked by content); a
    body announcing more than that may hold is refused unread."""
    where = f"/portal/statements/{statement_id}/dispute"
    if binding.too_big(request):
        return binding.refuse_too_big(request, site, where)
    async with request.form(max_files=1, max_fields=FIELDS_MAX) as form:
        csrf_token = binding.form_token(form)
        access = binding.guard(request, csrf_token)
        if isinstance(access, Response):
            return access
        try:
            upload = await binding.form_upload(form)
            lines = _lines(form)
            code = _field(form, "code", 12)
        except DunmoreError as exc:
            binding.refuse(site, access.customer, exc)
            shown = exc.code if exc.code in PROBLEMS else "refused"
            return binding.back(problem=shown, where=where)

    def act(conn: Connection, access: Access, code_id: int) -> str:
        statement.dispute(
            conn,
            access=access,
            code_id=code_id,
            statement_id=statement_id,
            lines=lines,
            upload=upload,
            now=site.now(),
            today=site.today(),
        )
        return f"dispute@/portal/statements/{statement_id}"

    return binding.act(request, site, csrf_token, code, act, where=where)
