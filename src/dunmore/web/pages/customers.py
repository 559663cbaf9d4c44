"""The customer list and a customer's page: 404 for a customer outside the user's scope."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from dunmore.credit import contract_reads
from dunmore.delivery.history import customer_notices
from dunmore.errors import DunmoreError
from dunmore.ledger.browse import LEVEL_MAX, AccountFilter, get_customer, list_accounts, portfolios
from dunmore.run.explain import explain
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.web.pages import activities as story

router = APIRouter()
PAGE = 50
Text = Annotated[str, Query(max_length=100)]


@router.get("/customers", response_class=HTMLResponse)
def customers(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    q: Text = "",
    level: Annotated[str, Query(max_length=2, pattern=r"^[0-9]*$")] = "",
    portfolio: Annotated[str, Query(max_length=64)] = "",
    owner: Text = "",
    grade: Annotated[str, Query(max_length=8)] = "",
    after: Annotated[str | None, Query(max_length=400)] = None,
) -> HTMLResponse:
    wanted = AccountFilter(q, int(level) if level else None, portfolio or None, owner or None, grade or None)
    page = list_accounts(conn, user=user, as_of=site.today(), filters=wanted, after=after, limit=PAGE)
    kept = {"q": q, "level": level, "portfolio": portfolio, "owner": owner, "grade": grade}
    return site.templates.render(
        request,
        "customers.html",
        fragment="results",
        language=user.language.value,
        user=user,
        page=page,
        filters=kept,
        filter_query=urlencode({k: v for k, v in kept.items() if v}),
        filtered=any(kept.values()),
        portfolios=portfolios(conn, user=user),
        levels=range(LEVEL_MAX + 1)[:7],
        after=after,
    )


@router.get("/customers/{code}", response_class=HTMLResponse)
def customer(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    code: Annotated[str, Path(min_length=1, max_length=64)],
    kind: story.Kinds = [],  # noqa: B006 - FastAPI reads, never mutates
    since: story.Since = None,
    until: story.Until = None,
    after: story.After = None,
) -> HTMLResponse:
    today = site.today()
    found = get_customer(conn, user=user, code=code, as_of=today)
    notices, more_notices = customer_notices(conn, customer_id=found.id)
    try:
        stories = explain(conn, customer=found.code, as_of=today, lang=user.language.value)
    except DunmoreError:  # no policy loaded yet: the page shows the customer without the explanation
        stories = None
    return site.templates.render(
        request, "customer.html", language=user.language.value, user=user, customer=found,
        notices=notices, more_notices=more_notices, stories=stories, today=today, zone=site.settings.timezone,
        contracts=contract_reads.list_contracts(conn, user=user, customer=found.code),
        **story.section(conn, user=user, code=found.code, language=user.language.value,
                        wanted=story.Wanted(kind, since, until, after)),
    )  # fmt: skip
