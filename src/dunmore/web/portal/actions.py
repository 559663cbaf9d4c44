"""The portal's binding actions: ask for a one-time code, dispute an item, promise to pay, ask for
a plan. Each form carries the portal's CSRF token; each action first verifies the code in its own
committed transaction (so a wrong code is counted even though the action is refused), then acts in
another that spends the code — a refused action writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection
from starlette.datastructures import UploadFile as BaseUploadFile

from dunmore.errors import BadArgument, DunmoreError, NotFound
from dunmore.i18n import _m
from dunmore.portal import codes, links, service
from dunmore.portal.links import Access, LinkRefused
from dunmore.store.db import transaction
from dunmore.web.auth import Site
from dunmore.web.portal import session
from dunmore.workspace.activities import Upload

router = APIRouter()
Csrf = Annotated[str, Form(max_length=100)]
Code = Annotated[str, Form(max_length=12)]
Text = Annotated[str, Form(max_length=1000)]


BACK = r"^/portal(/statements/[0-9]{1,18}(/dispute|/receipt)?)?$"  # the pages a form may return to


def _back(done: str = "", problem: str = "", where: str = "/portal") -> RedirectResponse:
    query = f"?done={done}" if done else f"?problem={problem}"
    return RedirectResponse(f"{where}{query}", status_code=303)


def _guard(request: Request, csrf_token: str) -> Access | Response:
    """The session's access when the form is the portal's own (checked first: a forged post learns
    nothing of the session); the refusal page else."""
    if not session.csrf_ok(request, csrf_token):
        return session.refused(request, "csrf")
    try:
        return session.current(request)
    except LinkRefused as exc:
        found = exc.values.get("customer")
        return session.refused(request, exc.code, customer=found if isinstance(found, str) else None)


def _key(site: Site, conn: Connection) -> str:
    key = links.signing_key(conn, site.settings)
    if key is None:
        raise LinkRefused(code="tampered")
    return key


@router.post("/code")
def send_code(
    request: Request,
    site: Site,
    csrf_token: Csrf = "",
    back: Annotated[str, Form(max_length=60, pattern=BACK)] = "/portal",
) -> Response:
    """Send a one-time code to the customer's contact on file (then back to the page asking)."""
    access = _guard(request, csrf_token)
    if isinstance(access, Response):
        return access
    try:
        with transaction(site.engine, write=True) as conn:
            codes.send_code(conn, access=access, key=_key(site, conn), now=site.now())
    except codes.CodeRefused:
        return _back(problem="no_contact", where=back)
    return _back(done="code", where=back)


def _act(
    request: Request,
    site: Site,
    csrf_token: str,
    code: str,
    act: Callable[[Connection, Access, int], str],
    where: str = "/portal",
) -> Response:
    """Verify the code (committed), then act (its own transaction); where to go next (`where`, or
    the page `act` names as `done@page`)."""
    access = _guard(request, csrf_token)
    if isinstance(access, Response):
        return access
    with transaction(site.engine, write=True) as conn:
        verdict = codes.verify(conn, access=access, key=_key(site, conn), code=code, now=site.now())
    if verdict.code_id is None:
        try:
            session.current(request)
        except LinkRefused as exc:
            return session.refused(request, exc.code, customer=access.customer)
        return _back(problem=f"code_{verdict.why}", where=where)
    try:
        with transaction(site.engine, write=True) as conn:
            done = act(conn, access, verdict.code_id)
    except NotFound:
        return session.refused(request, "not_found", customer=access.customer)
    except DunmoreError as exc:
        shown = exc.code if exc.code in ("upload_size", "upload_type", "no_lines") else "refused"
        return _back(problem=shown, where=where)
    done, _, page = done.partition("@")
    return _back(done=done, where=page or where)


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal(0)
    return value if value.is_finite() else Decimal(0)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadArgument(_m("give a date as YYYY-MM-DD")) from None


async def _upload(file: BaseUploadFile | None) -> Upload | None:
    if file is None or not file.filename:
        return None
    content = await file.read(service.UPLOAD_MAX_BYTES + 1)
    return service.checked_upload(file.filename, content)


@router.post("/dispute")
async def dispute(
    request: Request,
    site: Site,
    invoice: Annotated[str, Form(max_length=64)] = "",
    amount: Annotated[str, Form(max_length=24)] = "",
    reason: Annotated[str, Form(max_length=20)] = "",
    code: Code = "",
    comment: Text = "",
    csrf_token: Csrf = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Dispute one open item (with an optional PDF or image)."""
    access = _guard(request, csrf_token)
    if isinstance(access, Response):
        return access
    try:
        upload = await _upload(file)
    except DunmoreError as exc:
        with transaction(site.engine, write=True) as conn:
            links.record_refusal(conn, why=exc.code, now=site.now(), customer=access.customer)
        return _back(problem=exc.code)

    def act(conn: Connection, access: Access, code_id: int) -> str:
        service.dispute(
            conn,
            access=access,
            code_id=code_id,
            invoice=invoice,
            amount=_decimal(amount),
            reason=reason,
            comment=comment,
            upload=upload,
            now=site.now(),
            today=site.today(),
        )
        return "dispute"

    return _act(request, site, csrf_token, code, act)


@router.post("/promise")
def promise(
    request: Request,
    site: Site,
    amount: Annotated[str, Form(max_length=24)] = "",
    by: Annotated[str, Form(max_length=10)] = "",
    code: Code = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Promise to pay an amount by a date (outside the policy's limits: a request)."""

    def act(conn: Connection, access: Access, code_id: int) -> str:
        made = service.promise(
            conn,
            access=access,
            code_id=code_id,
            amount=_decimal(amount),
            by=_day(by),
            currency=currency or None,
            now=site.now(),
            today=site.today(),
        )
        return "promise" if made is not None else "request"

    return _act(request, site, csrf_token, code, act)


@router.post("/plan")
def plan(
    request: Request,
    site: Site,
    instalments: Annotated[str, Form(max_length=2)] = "",
    first: Annotated[str, Form(max_length=10)] = "",
    code: Code = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Ask for an instalment plan (a proposal the collector accepts or refuses)."""

    def act(conn: Connection, access: Access, code_id: int) -> str:
        service.ask_plan(
            conn,
            access=access,
            code_id=code_id,
            instalments=int(instalments) if instalments.isdigit() else 0,
            first=_day(first),
            currency=currency or None,
            country=site.settings.creditor.country,
            now=site.now(),
            today=site.today(),
        )
        return "plan"

    return _act(request, site, csrf_token, code, act)
