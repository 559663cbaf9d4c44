"""Operations pages: deliveries and dead letters (with retry), policy versions, the audit log.

Parse → call the service the CLI and the API call → render. Scoping and permissions are the
services' (`delivery.browse`, `run.policies`, `access.audit`): a delivery outside the user's
customers is 404, a page the role may not read is 403.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field

from dunmore.access import audit
from dunmore.delivery import browse
from dunmore.domain.policy import CHANNELS
from dunmore.run import policies
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site

router = APIRouter()
PAGE = 50
Cursor = Annotated[int | None, Query(ge=1, le=ID_MAX)]
AuditCursor = Annotated[int | None, Query(ge=1, le=2**62)]  # audit ids are BigInteger
RowId = Annotated[int, Path(ge=1, le=ID_MAX)]
Code = Annotated[str, Query(max_length=browse.CODE_MAX)]
Filter = Annotated[str, Query(max_length=audit.FILTER_MAX)]


def _filter(status: browse.Shown, channel: str, customer: str) -> browse.Filter:
    return browse.Filter(shown=status, channel=channel, customer=customer)


def _query(which: browse.Filter, **more: object) -> str:
    values = {"status": which.shown.value, "channel": which.channel, "customer": which.customer, **more}
    return urlencode({k: v for k, v in values.items() if v not in ("", None, "all")})


@router.get("/deliveries", response_class=HTMLResponse)
def deliveries(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    status: browse.Shown = browse.Shown.ALL,
    channel: Annotated[str, Query(max_length=10)] = "",
    customer: Code = "",
    after: Cursor = None,
    retried: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> HTMLResponse:
    which = _filter(status, channel, customer)
    page = browse.list_deliveries(conn, user=user, which=which, after=after, limit=PAGE)
    return site.templates.render(
        request,
        "deliveries.html",
        language=user.language.value,
        user=user,
        page=page,
        which=which,
        query=_query(which),
        after=after,
        retried=retried,
        channels=CHANNELS,
        shown=list(browse.Shown),
        zone=site.settings.timezone,
    )


@router.get("/deliveries/{delivery_id}", response_class=HTMLResponse)
def delivery(request: Request, site: Site, conn: Conn, user: PageUser, delivery_id: RowId) -> HTMLResponse:
    found = browse.get_delivery(conn, user=user, delivery_id=delivery_id)
    return site.templates.render(
        request,
        "delivery.html",
        language=user.language.value,
        user=user,
        proof=found,
        zone=site.settings.timezone,
    )


@router.post("/deliveries/retry")
def retry(
    site: Site,
    conn: Conn,
    user: PageUser,
    id: Annotated[list[Annotated[int, Field(ge=1, le=ID_MAX)]], Form(max_length=browse.RETRY_MAX)] = [],  # noqa: B006 - FastAPI reads, never mutates
    every: Annotated[bool, Form()] = False,
    status: Annotated[browse.Shown, Form()] = browse.Shown.DEAD_LETTERS,
    channel: Annotated[str, Form(max_length=10)] = "",
    customer: Annotated[str, Form(max_length=browse.CODE_MAX)] = "",
) -> RedirectResponse:
    """Retry the ticked dead letters, or (`every`) every dead letter of the list's filter."""
    which = _filter(status, channel, customer)
    if every:
        count = browse.retry_matching(conn, user=user, which=which, now=site.now())
    else:
        count = browse.retry(conn, user=user, ids=id, now=site.now())
    return RedirectResponse(f"/deliveries?{_query(which, retried=count)}", status_code=303)


@router.get("/policies", response_class=HTMLResponse)
def policy_versions(
    request: Request, site: Site, conn: Conn, user: PageUser, after: Cursor = None
) -> HTMLResponse:
    page = policies.list_versions(conn, user=user, after=after, limit=PAGE)
    return site.templates.render(
        request,
        "policies.html",
        language=user.language.value,
        user=user,
        page=page,
        after=after,
        zone=site.settings.timezone,
    )


@router.get("/policies/{version}", response_class=HTMLResponse)
def policy_version(request: Request, site: Site, conn: Conn, user: PageUser, version: RowId) -> HTMLResponse:
    found = policies.get_version(conn, user=user, version=version)
    return site.templates.render(
        request,
        "policy.html",
        language=user.language.value,
        user=user,
        detail=found,
        zone=site.settings.timezone,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    object: Filter = "",
    actor: Filter = "",
    action: Filter = "",
    before: AuditCursor = None,
) -> HTMLResponse:
    page = audit.browse(
        conn, user=user, object=object, actor=actor, action=action, before_id=before, limit=PAGE
    )
    filters = {"object": object, "actor": actor, "action": action}
    return site.templates.render(
        request,
        "audit.html",
        language=user.language.value,
        user=user,
        page=page,
        filters=filters,
        query=urlencode({k: v for k, v in filters.items() if v}),
        before=before,
        verification=None,
        zone=site.settings.timezone,
    )


@router.get("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, site: Site, conn: Conn, user: PageUser) -> HTMLResponse:
    """Walk the whole chain (every row, a batch at a time); for htmx only the verdict."""
    verification = audit.verify_for(conn, user=user)
    return site.templates.render(
        request,
        "audit_verify.html",
        fragment="verdict",
        language=user.language.value,
        user=user,
        verification=verification,
    )
