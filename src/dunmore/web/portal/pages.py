"""Pages of the portal that only read: the link's landing, the overview, a notice's download, and
the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore import i18n
from dunmore.errors import NotFound
from dunmore.portal import codes, links, service, statement
from dunmore.portal.links import LinkRefused
from dunmore.store.db import ID_MAX, transaction
from dunmore.web.auth import Site
from dunmore.web.portal import session
from dunmore.web.portal.binding import BACK
from dunmore.workspace.disputes import REASONS

router = APIRouter()
DONE = ("code", "dispute", "promise", "request", "plan", "confirm")
PROBLEMS = (
    "code_wrong",
    "code_expired",
    "code_replayed",
    "no_contact",
    "refused",
    "upload_size",
    "upload_type",
    "no_lines",
)


def _customer_of(exc: LinkRefused) -> str | None:
    found = exc.values.get("customer")
    return found if isinstance(found, str) else None


@router.get("/l/{token}", response_class=HTMLResponse)
def landing(
    request: Request, site: Site, token: Annotated[str, Path(max_length=links.TOKEN_MAX)]
) -> Response:
    """Open the link: start the portal session and go to the overview (the token leaves the URL)."""
    try:
        with transaction(site.engine) as conn:
            access = links.open_link(conn, settings=site.settings, token=token, now=site.now())
    except LinkRefused as exc:
        return session.refused(request, exc.code, customer=_customer_of(exc))
    session.start(request, token, access)
    where = f"/portal/statements/{access.statement}" if access.statement is not None else "/portal"
    return RedirectResponse(where, status_code=303)


@router.get("", response_class=HTMLResponse)
def overview(
    request: Request,
    site: Site,
    done: Annotated[str, Query(max_length=12)] = "",
    problem: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The customer's open items, notices and how to pay, with the forms that bind."""
    try:
        access = session.current(request)
    except LinkRefused as exc:
        return session.refused(request, exc.code, customer=_customer_of(exc))
    with transaction(site.engine) as conn:
        seen = service.overview(conn, access=access, settings=site.settings)
        address = codes.contact_on_file(conn, access.customer_id)
        listed = statement.statements_of(conn, access)
    return session.render(
        request,
        "portal.html",
        seen=seen,
        statements=listed,
        today=site.today(),
        reasons=REASONS,
        done=done if done in DONE else "",
        problem=problem if problem in PROBLEMS else "",
        sent_to=codes.masked(address) if address else "",
    )


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
def notice(
    request: Request,
    site: Site,
    notice_id: Annotated[int, Path(ge=1, le=ID_MAX)],
    form: Annotated[str, Query(pattern="^(html|pdf)$")] = "html",
) -> Response:
    """One of the customer's notices as its letter (PDF) or its e-mail (HTML)."""
    try:
        access = session.current(request)
        with transaction(site.engine) as conn:
            message = service.notice_message(conn, access=access, notice_id=notice_id, settings=site.settings)
    except LinkRefused as exc:
        return session.refused(request, exc.code, customer=_customer_of(exc))
    except NotFound:
        return session.refused(request, "not_found", customer=access.customer, detail=f"notice {notice_id}")
    if form == "pdf":
        from dunmore.delivery.letter import print_letter

        pdf = print_letter(message.letter)
        headers = {"Content-Disposition": f'attachment; filename="notice-{notice_id}.pdf"'}
        return Response(pdf, media_type="application/pdf", headers=headers)
    # The e-mail's own inline styles, and nothing else: no script, no outside asset.
    headers = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}
    return HTMLResponse(message.html or message.letter_html, headers=headers)


@router.post("/language")
def switch_language(
    request: Request,
    to: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    back: Annotated[str, Form(max_length=60, pattern=BACK)] = "/portal",
) -> Response:
    """Read the portal in another of the three languages."""
    if not session.csrf_ok(request, csrf_token):
        return session.refused(request, "csrf")
    if to in i18n.LANGUAGES:
        request.session[session.LANGUAGE] = to
    return RedirectResponse(back, status_code=303)
