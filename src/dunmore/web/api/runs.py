"""The run review over the API: runs, a run's notices (paginated), commit a run for a date, approve a
run, reject or reopen a notice — the same `run.review` functions as the pages, so the same
permissions, scope, template gate and audit rows. Money is integer minor units with its currency."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.run import review
from dunmore.run.service import REASON_MAX
from dunmore.store.db import ID_MAX
from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn, Site
from dunmore.workspace.run_alerts import AlertRules

router = APIRouter(tags=["runs"])
SERVICE_REFUSED: errors.Responses = {
    400: errors.BAD_REQUEST[400]
    | {"description": "The run service refused: `code` says why (e.g. `templates_failing`)."}
}
NO_RUN: errors.Responses = {
    404: errors.NOT_FOUND[404] | {"description": "No such run among those the token's user can see."}
}
NO_NOTICE: errors.Responses = {
    404: errors.NOT_FOUND[404]
    | {"description": "No such notice among the customers the token's user can see."}
}
RunId = Annotated[int, Path(ge=1, le=ID_MAX, description="The run's id.")]
NoticeId = Annotated[int, Path(ge=1, le=ID_MAX, description="The notice's id.")]


class Run(BaseModel):
    id: int
    sequence: int
    as_of: date
    status: str = Field(description="`committed` or `reverted`.")
    committed_at: datetime
    notices: int = Field(description="Notices of the customers the user can see.")
    pending: int = Field(description="Of those, how many wait for approval.")


class RunPage(BaseModel):
    rows: list[Run]
    next: int | None = Field(description="Pass as `before` for older runs; null on the last page.")


class StepTotal(BaseModel):
    step: str
    kind: str = Field(description="`reminder` or `level`.")
    level: int | None
    currency: str
    notices: int
    customers: int
    amount: int = Field(description="Open amount of the notices' items, minor units.")
    fees: int
    interest: int
    pending: int
    approved: int
    rejected: int = Field(description="Standing rejections (not reopened).")


class Notice(BaseModel):
    id: int
    run_id: int
    as_of: date
    customer: str = Field(description="The customer's code.")
    customer_name: str
    portfolio: str
    language: str
    kind: str
    step: str
    level: int | None
    currency: str
    amount: int
    fee: int
    interest: int
    status: str = Field(description="`committed`, `pending_approval`, `approved`, `rejected` or `reverted`.")
    decided_by: str | None
    reason: str | None
    reopened: bool


class RunDetail(BaseModel):
    run: Run
    steps: list[StepTotal]
    notices: list[Notice]
    next: str | None = Field(description="Pass as `after` for the next page of notices; null on the last.")


class CommitRun(BaseModel):
    as_of: date = Field(description="The run date: at most `run.max_days_ahead` days after today.")


class Approved(BaseModel):
    run_id: int
    approved: int = Field(description="How many notices were waiting and are now approved.")


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="Why (required; kept with it).")


class Reopened(BaseModel):
    notice: Notice
    rejections_lifted: int


@router.get("/runs", response_model=RunPage, responses=errors.FORBIDDEN)
def runs(
    conn: Conn,
    user: ApiUser,
    before: Annotated[int | None, Query(ge=1, le=ID_MAX, description="`next` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=review.PAGE_MAX)] = 20,
) -> RunPage:
    """The latest runs, newest first."""
    rows = review.recent_runs(conn, user=user, limit=limit, before=before)
    more = rows[-1].sequence if len(rows) == limit else None
    return RunPage(rows=[Run(**asdict(r)) for r in rows], next=more)


@router.get("/runs/{run_id}", response_model=RunDetail, responses=errors.FORBIDDEN | NO_RUN)
def run(
    conn: Conn,
    user: ApiUser,
    run_id: RunId,
    step: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=20, pattern="^[a-z_]+$")] = None,
    after: Annotated[int | None, Query(ge=0, le=ID_MAX, description="`next` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=review.PAGE_MAX)] = 50,
) -> RunDetail:
    """A run: totals per step and currency, and a page of its notices (in id order)."""
    found = review.review(conn, user=user, run_id=run_id)
    page = review.notices(conn, user=user, run_id=run_id, step=step, status=status, after=after, limit=limit)
    return RunDetail(
        run=Run(**asdict(found.run)),
        steps=[StepTotal(**asdict(s)) for s in found.steps],
        notices=[Notice(**asdict(n)) for n in page.rows],
        next=None if page.next_cursor is None else str(page.next_cursor),
    )


@router.post("/runs", response_model=Run, status_code=201, responses=SERVICE_REFUSED | errors.FORBIDDEN)
def commit_run(site: Site, conn: Conn, user: ApiUser, body: CommitRun) -> Run:
    """Decide and commit the run for `as_of` (the template gate first); its notices that need
    approval wait for `POST /runs/{id}/approve`."""
    # In the request's own unit of work: checking the token wrote to it already (its last use), so a
    # second transaction would wait on SQLite for this one. Of two runs committing at once, the run
    # sequence still lets one win.
    run_id = review.commit(conn, user=user, as_of=body.as_of, today=site.today(), now=site.now(),
                           max_days_ahead=site.settings.run.max_days_ahead,
                           templates_dir=site.settings.delivery.templates_dir,
                           alerting=AlertRules.of(site.settings.workspace))  # fmt: skip
    return Run(**asdict(review.run_of(conn, user=user, run_id=run_id)))


@router.post(
    "/runs/{run_id}/approve", response_model=Approved, responses=SERVICE_REFUSED | errors.FORBIDDEN | NO_RUN
)
def approve_run(site: Site, conn: Conn, user: ApiUser, run_id: RunId) -> Approved:
    """Approve every notice of the run waiting for approval, among the user's customers."""
    count = review.approve_run(conn, user=user, run_id=run_id, now=site.now(),
                               templates_dir=site.settings.delivery.templates_dir,
                               alerting=AlertRules.of(site.settings.workspace))  # fmt: skip
    return Approved(run_id=run_id, approved=count)


@router.post(
    "/notices/{notice_id}/reject",
    response_model=Notice,
    responses=SERVICE_REFUSED | errors.FORBIDDEN | NO_NOTICE,
)
def reject_notice(site: Site, conn: Conn, user: ApiUser, notice_id: NoticeId, body: Rejection) -> Notice:
    """Reject a notice waiting for approval: it changes nothing, and its step is not proposed again
    until the customer's dunned amount grows or someone reopens it."""
    review.reject(conn, user=user, notice_id=notice_id, reason=body.reason, now=site.now())
    return Notice(**asdict(review.notice(conn, user=user, notice_id=notice_id)))


@router.post(
    "/notices/{notice_id}/reopen",
    response_model=Reopened,
    responses=SERVICE_REFUSED | errors.FORBIDDEN | NO_NOTICE,
)
def reopen_notice(site: Site, conn: Conn, user: ApiUser, notice_id: NoticeId) -> Reopened:
    """Lift a standing rejection: the next run may propose its step again."""
    lifted = review.reopen(conn, user=user, notice_id=notice_id, now=site.now())
    return Reopened(notice=Notice(**asdict(review.notice(conn, user=user, notice_id=notice_id))),
                    rejections_lifted=lifted)  # fmt: skip
