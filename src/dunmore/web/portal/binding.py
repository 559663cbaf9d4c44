"""What every binding form of the portal shares (the overview's actions and the statement's): the
form fields' bounds, the CSRF-then-link guard, the code verified in its own committed transaction
(so a wrong code is counted even though the action is refused) before the action runs in another
that spends it — a refused action writes nothing but its refusal in the audit log — and the file a
dispute may carry, checked by its content."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection
from starlette.datastructures import FormData, UploadFile

from dunmore.errors import DunmoreError, NotFound
from dunmore.portal import codes, links, service
from dunmore.portal.links import Access, LinkRefused
from dunmore.store.db import transaction
from dunmore.web.auth import Site
from dunmore.web.portal import session
from dunmore.workspace.activities import Upload

Csrf = Annotated[str, Form(max_length=100)]
Code = Annotated[str, Form(max_length=12)]

BACK = r"^/portal(/statements/[0-9]{1,18}(/dispute|/receipt)?)?$"  # the pages a form may return to
SHOWN = ("upload_size", "upload_type", "no_lines")  # refusals the page explains; the rest is "refused"
# A form with a file: the file's limit and room for the other fields (up to 500 statement lines,
# each with a comment of 2,000 characters of up to 4 bytes: 4 MB, and the multipart headers).
BODY_MAX = service.UPLOAD_MAX_BYTES + 5 * 1024 * 1024


def back(done: str = "", problem: str = "", where: str = "/portal") -> RedirectResponse:
    """Back to the page the form was on, saying what was done or what went wrong."""
    query = f"?done={done}" if done else f"?problem={problem}"
    return RedirectResponse(f"{where}{query}", status_code=303)


def guard(request: Request, csrf_token: str) -> Access | Response:
    """The session's access when the form is the portal's own (checked first: a forged post learns
    nothing of the session); the refusal page else."""
    if not session.csrf_ok(request, csrf_token):
        return session.refused(request, "csrf")
    try:
        return session.current(request)
    except LinkRefused as exc:
        found = exc.values.get("customer")
        return session.refused(request, exc.code, customer=found if isinstance(found, str) else None)


def form_token(form: FormData) -> str:
    """The CSRF token of a form read by hand (the dispute forms, read so that an oversize body is
    refused unread), bounded."""
    sent = form.get("csrf_token")
    return sent if isinstance(sent, str) and len(sent) <= 100 else ""


async def form_upload(form: FormData) -> Upload | None:
    """The form's one optional file, checked as `upload` checks it."""
    file = form.get("file")
    return await upload(file if isinstance(file, UploadFile) else None)


def _key(site: Site, conn: Connection) -> str:
    key = links.signing_key(conn, site.settings)
    if key is None:
        raise LinkRefused(code="tampered")
    return key


def send_code(site: Site, access: Access) -> bool:
    """Send a one-time code to the customer's contact on file; False when there is none."""
    try:
        with transaction(site.engine, write=True) as conn:
            codes.send_code(conn, access=access, key=_key(site, conn), now=site.now())
    except codes.CodeRefused:
        return False
    return True


def act(
    request: Request,
    site: Site,
    csrf_token: str,
    code: str,
    action: Callable[[Connection, Access, int], str],
    where: str = "/portal",
) -> Response:
    """Verify the code (committed), then act (its own transaction); where to go next (`where`, or
    the page `action` names as `done@page`). A refused action is recorded with its reason."""
    access = guard(request, csrf_token)
    if isinstance(access, Response):
        return access
    with transaction(site.engine, write=True) as conn:
        verdict = codes.verify(conn, access=access, key=_key(site, conn), code=code, now=site.now())
    if verdict.code_id is None:
        try:
            session.current(request)
        except LinkRefused as exc:
            return session.refused(request, exc.code, customer=access.customer)
        return back(problem=f"code_{verdict.why}", where=where)
    try:
        with transaction(site.engine, write=True) as conn:
            done = action(conn, access, verdict.code_id)
    except NotFound:
        return session.refused(request, "not_found", customer=access.customer)
    except DunmoreError as exc:
        refuse(site, access.customer, exc)
        return back(problem=exc.code if exc.code in SHOWN else "refused", where=where)
    done, _, page = done.partition("@")
    return back(done=done, where=page or where)


def refuse(site: Site, customer: str | None, exc: DunmoreError) -> None:
    """Keep a refused action in the audit log: its reason code and what it said (in English)."""
    with transaction(site.engine, write=True) as conn:
        links.record_refusal(conn, why=exc.code, now=site.now(), customer=customer, detail=exc.render("en"))


def too_big(request: Request) -> bool:
    """The body announces more than a form with a file may hold: refused before a byte is read."""
    announced = request.headers.get("content-length", "")
    return announced.isdigit() and int(announced) > BODY_MAX


def refuse_too_big(request: Request, site: Site, where: str) -> Response:
    """The answer to a body `too_big`: recorded (for the link's customer when the session has one),
    and the form's page with the size problem; the body is never read."""
    try:
        customer: str | None = session.current(request).customer
    except LinkRefused:
        customer = None
    with transaction(site.engine, write=True) as conn:
        detail = f"{request.headers.get('content-length')} bytes announced"
        links.record_refusal(conn, why="upload_size", now=site.now(), customer=customer, detail=detail)
    return back(problem="upload_size", where=where)


async def upload(file: UploadFile | None) -> Upload | None:
    """The file of a form (never more than the limit and one byte read), checked by its content."""
    if file is None or not file.filename:
        return None
    content = await file.read(service.UPLOAD_MAX_BYTES + 1)
    return service.checked_upload(file.filename, content)
