"""API routes: parse, call the service the pages call, answer a schema."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query

from dunmore.domain.aging import buckets
from dunmore.ledger.browse import LEVEL_MAX, PAGE_MAX, AccountFilter, get_customer, list_accounts
from dunmore.reports.dashboard import overview
from dunmore.web.api import errors, schemas
from dunmore.web.auth import ApiUser, Conn, Site

router = APIRouter()
NOT_FOUND: errors.Responses = {
    404: errors.NOT_FOUND[404] | {"description": "No such customer among those the token's user can see."}
}


@router.get("/me", response_model=schemas.Me, tags=["access"])
def me(user: ApiUser) -> schemas.Me:
    """The user the token belongs to."""
    return schemas.Me(
        login=user.login,
        role=user.role.value,
        language=user.language.value,
        portfolios=sorted(user.portfolios),
    )


@router.get("/dashboard", response_model=schemas.Dashboard, tags=["reports"])
def dashboard(site: Site, conn: Conn, user: ApiUser) -> schemas.Dashboard:
    """Open and overdue amounts per currency and aging bucket, today's run and deliveries, within the
    customers the user can see."""
    found = overview(conn, user=user, as_of=site.today(), buckets=buckets())
    labels = [b.label for b in found.buckets]
    return schemas.Dashboard(
        as_of=found.as_of,
        currencies=[
            schemas.CurrencyAging(
                currency=c.currency,
                buckets=labels,
                by_bucket_minor=list(c.by_bucket),
                overdue_minor=c.overdue,
                total_minor=c.total,
            )
            for c in found.currencies
        ],
        latest_run=None if found.latest_run is None else schemas.LatestRun(**asdict(found.latest_run)),
        pending_approvals=found.pending_approvals,
        deliveries_waiting=found.deliveries_waiting,
        deliveries_failed=found.deliveries_failed,
    )


@router.get(
    "/customers", response_model=schemas.AccountPage, responses=errors.BAD_REQUEST, tags=["customers"]
)
def customers(
    site: Site,
    conn: Conn,
    user: ApiUser,
    q: Annotated[
        str, Query(max_length=100, description="Part of the code, name or a contact's name, e-mail, phone.")
    ] = "",
    level: Annotated[
        int | None, Query(ge=0, le=LEVEL_MAX, description="Highest level of the open items.")
    ] = None,
    portfolio: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=100, description="The owner (case ignored).")] = None,
    grade: Annotated[str | None, Query(max_length=8)] = None,
    after: Annotated[str | None, Query(max_length=400, description="`next` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> schemas.AccountPage:
    """The user's customers' accounts (customer × currency), largest overdue first."""
    wanted = AccountFilter(q, level, portfolio, owner, grade)
    page = list_accounts(conn, user=user, as_of=site.today(), filters=wanted, after=after, limit=limit)
    return schemas.AccountPage(rows=[schemas.Account(**asdict(r)) for r in page.rows], next=page.next_cursor)


@router.get("/customers/{code}", response_model=schemas.Customer, responses=NOT_FOUND, tags=["customers"])
def customer(
    site: Site,
    conn: Conn,
    user: ApiUser,
    code: Annotated[str, Path(min_length=1, max_length=64, description="The customer's code.")],
) -> schemas.Customer:
    """One customer with contacts and open items (oldest due first)."""
    found = get_customer(conn, user=user, code=code, as_of=site.today())
    return schemas.Customer.model_validate(asdict(found) | {"tags": list(found.tags)})
