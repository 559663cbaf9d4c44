"""The portal's binding actions: ask for a one-time code, dispute an item, promise to pay, ask for
a plan. Each form carries the portal's CSRF token; each action first verifies the code, then acts
(`binding.act`) — a refused action writes nothing but its refusal in the audit log."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from dunmore.errors import BadArgument, DunmoreError
from dunmore.i18n import _m
from dunmore.portal import service
from dunmore.portal.links import Access
from dunmore.web.auth import Site
from dunmore.web.portal import binding

router = APIRouter()
FIELDS_MAX = 10  # the dispute form's fields


@router.post("/code")
def send_code(
    request: Request,
    site: Site,
    csrf_token: binding.Csrf = "",
    back: Annotated[str, Form(max_length=60, pattern=binding.BACK)] = "/portal",
) -> Response:
    """Send a one-time code to the customer's contact on file (then back to the page asking)."""
    access = binding.guard(request, csrf_token)
    if isinstance(access, Response):
        return access
    if not binding.send_code(site, access):
        return binding.back(problem="no_contact", where=back)
    return binding.back(done="code", where=back)


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


def _field(form: Any, key: str, limit: int) -> str:
    """A text field of a form read by hand: empty when missing, refused when longer than `limit`."""
    value = form.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise BadArgument(_m("%(field)s is too long", field=key))
    return value


@router.post("/dispute")
async def dispute(request: Request, site: Site) -> Response:
    """Dispute one open item (with an optional PDF or image). The form is read by hand so that a
    body announcing more than a file may hold is refused before a byte of it is read."""
    if binding.too_big(request):
        return binding.refuse_too_big(request, site, "/portal")
    async with request.form(max_files=1, max_fields=FIELDS_MAX) as form:
        csrf_token = binding.form_token(form)
        access = binding.guard(request, csrf_token)
        if isinstance(access, Response):
            return access
        try:
            upload = await binding.form_upload(form)
            invoice, amount = _field(form, "invoice", 64), _field(form, "amount", 24)
            reason, comment = _field(form, "reason", 20), _field(form, "comment", 1000)
            code = _field(form, "code", 12)
        except DunmoreError as exc:
            binding.refuse(site, access.customer, exc)
            return binding.back(problem=exc.code if exc.code in binding.SHOWN else "refused")

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

    return binding.act(request, site, csrf_token, code, act)


@router.post("/promise")
def promise(
    request: Request,
    site: Site,
    amount: Annotated[str, Form(max_length=24)] = "",
    by: Annotated[str, Form(max_length=10)] = "",
    code: binding.Code = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    csrf_token: binding.Csrf = "",
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

    return binding.act(request, site, csrf_token, code, act)


@router.post("/plan")
def plan(
    request: Request,
    site: Site,
    instalments: Annotated[str, Form(max_length=2)] = "",
    first: Annotated[str, Form(max_length=10)] = "",
    code: binding.Code = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    csrf_token: binding.Csrf = "",
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

    return binding.act(request, site, csrf_token, code, act)
