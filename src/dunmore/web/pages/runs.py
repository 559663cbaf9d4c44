"""The run review: runs and a proposal for a date (`/runs`), a run's notices with approve, reject and
reopen (`/runs/{id}`), a notice rendered as it will go out (`/runs/{id}/notices/{notice_id}`).

Routes parse, call `run.review` (permissions, scope and the run service's rules live there), render.
A decision opens its own unit of work, so that a refusal rolls back everything and the page shows it
in the reader's language; PermissionDenied and NotFound go to the application's 403 and 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dunmore.access.permissions import Permission, allows
from dunmore.access.values import User
from dunmore.delivery import preview
from dunmore.errors import BadArgument, DunmoreError, NotFound, RunError
from dunmore.i18n import _m
from dunmore.run import review
from dunmore.run.service import REASON_MAX
from dunmore.store.db import ID_MAX, transaction
from dunmore.web.auth import Conn, PageUser, Site, page_user, signed_in
from dunmore.web.context import Web
from dunmore.workspace.run_alerts import AlertRules

router = APIRouter()
PAGE = 50
REFUSED = (RunError, BadArgument)  # what a form shows on the page; the rest is the app's 403/404
RunId = Annotated[int, Path(ge=1, le=ID_MAX)]
NoticeId = Annotated[int, Path(ge=1, le=ID_MAX)]


def _(message: str) -> str:
    """Mark a message for the catalog (`python -m dunmore.i18n.extract`); translated when shown."""
    return message


DONE = {
    "committed": _("The run is committed. Notices that need approval wait for it; the others go out."),
    "approved": _("Notices approved: %(count)s. Their deliveries are queued."),
    "rejected": _("Notice %(notice)s rejected: its step is not proposed again until someone reopens it."),
    "reopened": _("Notice %(notice)s reopened: the next run may propose its step again."),
}


def refusal(language: str, exc: DunmoreError) -> str:
    """A refusal of the run service in the reader's language: the service's own sentence, the one the
    command line and the API say too, so the three cannot drift apart."""
    return exc.render(language)


def _done(site: Web, user: User, done: str | None, count: int | None, notice: int | None) -> str | None:
    if done not in DONE:
        return None
    return site.templates.translate(user.language.value, DONE[done], count=count or 0, notice=notice or 0)


# --- /runs: recent runs and a proposal ------------------------------------------------------------


@router.get("/runs", response_class=HTMLResponse)
def runs_page(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    as_of: Annotated[date | None, Query(description="Propose the run for this date.")] = None,
    before: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
) -> HTMLResponse:
    proposal, problem = None, None
    if as_of is not None:
        try:
            proposal = review.propose(conn, user=user, as_of=as_of, today=site.today(),
                                      max_days_ahead=site.settings.run.max_days_ahead)  # fmt: skip
        except REFUSED as exc:
            problem = refusal(user.language.value, exc)
    return _runs(request, site, conn, user, as_of=as_of, proposal=proposal, problem=problem, before=before)


def _runs(
    request: Request, site: Web, conn: Any, user: User, *, status: int = 200, **values: Any
) -> HTMLResponse:
    today = site.today()
    runs = review.recent_runs(conn, user=user, limit=PAGE, before=values.pop("before", None))
    return site.templates.render(
        request,
        "runs.html",
        language=user.language.value,
        status=status,
        user=user,
        runs=runs,
        today=today,
        todays=next((run for run in runs if run.as_of == today and run.status == "committed"), None),
        latest_day=today + timedelta(days=site.settings.run.max_days_ahead),
        may_propose=allows(user, Permission.RUN_PROPOSE),
        more=runs[-1].sequence if len(runs) == PAGE else None,
        **({"as_of": None, "proposal": None, "problem": None} | values),
    )


@router.post("/runs", response_model=None, dependencies=[Depends(signed_in)])
def commit_run(
    request: Request, site: Site, as_of: Annotated[date, Form()]
) -> HTMLResponse | RedirectResponse:
    """Commit in a transaction of its own that reads one snapshot throughout, as `dunmore run` does (a
    concurrent write makes it fail, not mix), holding SQLite's write lock from its start; the user is
    read in it too, so that the request holds no other transaction meanwhile."""
    try:
        with transaction(site.engine, snapshot=True, write=True) as work:
            user = page_user(request, work)
            run_id = review.commit(work, user=user, as_of=as_of, today=site.today(), now=site.now(),
                                   max_days_ahead=site.settings.run.max_days_ahead,
                                   templates_dir=site.settings.delivery.templates_dir,
                                   alerting=AlertRules.of(site.settings.workspace))  # fmt: skip
    except REFUSED as exc:
        with transaction(site.engine) as conn:
            user = page_user(request, conn)
            problem = refusal(user.language.value, exc)
            return _runs(request, site, conn, user, status=400, as_of=as_of, problem=problem)
    return RedirectResponse(f"/runs/{run_id}?done=committed", status_code=303)


# --- /runs/{id}: a run's notices and the decisions on them -----------------------------------------


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    run_id: RunId,
    step: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=20, pattern="^[a-z_]+$")] = None,
    after: Annotated[int | None, Query(ge=0, le=ID_MAX)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
    count: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    notice: Annotated[int | None, Query(ge=0, le=ID_MAX)] = None,
) -> HTMLResponse:
    return _run(request, site, conn, user, run_id, step=step, status_filter=status, after=after,
                message=_done(site, user, done, count, notice))  # fmt: skip


def _run(
    request: Request,
    site: Web,
    conn: Any,
    user: User,
    run_id: int,
    *,
    step: str | None = None,
    status_filter: str | None = None,
    after: int | None = None,
    message: str | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = review.review(conn, user=user, run_id=run_id)
    page = review.notices(conn, user=user, run_id=run_id, step=step, status=status_filter, after=after,
                          limit=PAGE)  # fmt: skip
    return site.templates.render(
        request,
        "run.html",
        fragment="notices",
        language=user.language.value,
        status=status,
        user=user,
        review=found,
        run=found.run,
        page=page,
        step=step,
        status_filter=status_filter,
        after=after,
        message=message,
        problem=problem,
        may_approve=allows(user, Permission.RUN_APPROVE),
        may_reject=allows(user, Permission.NOTICE_REJECT),
        reason_max=REASON_MAX,
    )


@router.post("/runs/{run_id}/approve", response_model=None)
def approve_run(request: Request, site: Site, conn: Conn, user: PageUser, run_id: RunId) -> Response:
    try:
        with conn.begin_nested():  # a refusal undoes what the approval wrote, not the request
            count = review.approve_run(conn, user=user, run_id=run_id, now=site.now(),
                                       templates_dir=site.settings.delivery.templates_dir,
                                       alerting=AlertRules.of(site.settings.workspace))  # fmt: skip
    except REFUSED as exc:
        problem = refusal(user.language.value, exc)
        return _run(request, site, conn, user, run_id, problem=problem, status=400)
    return RedirectResponse(f"/runs/{run_id}?done=approved&count={count}", status_code=303)


@router.post("/runs/{run_id}/notices/{notice_id}/reject", response_model=None)
def reject_notice(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    run_id: RunId,
    notice_id: NoticeId,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _decide(request, site, conn, user, run_id, notice_id, "rejected", reason)


@router.post("/runs/{run_id}/notices/{notice_id}/reopen", response_model=None)
def reopen_notice(
    request: Request, site: Site, conn: Conn, user: PageUser, run_id: RunId, notice_id: NoticeId
) -> Response:
    return _decide(request, site, conn, user, run_id, notice_id, "reopened", "")


def _decide(request: Request, site: Web, conn: Any, user: User, run_id: int, notice_id: int, verb: str,
            reason: str) -> Response:  # fmt: skip
    """Reject or reopen a notice of the run named in the path (another run's notice is not found)."""
    _of_run(conn, user, run_id, notice_id)
    try:
        with conn.begin_nested():  # a refusal undoes what the decision wrote, not the request
            if verb == "rejected":
                review.reject(conn, user=user, notice_id=notice_id, reason=reason, now=site.now())
            else:
                review.reopen(conn, user=user, notice_id=notice_id, now=site.now())
    except REFUSED as exc:
        problem = refusal(user.language.value, exc)
        return _run(request, site, conn, user, run_id, problem=problem, status=400)
    return RedirectResponse(f"/runs/{run_id}?done={verb}&notice={notice_id}#n{notice_id}", status_code=303)


def _of_run(conn: Any, user: User, run_id: int, notice_id: int) -> review.NoticeRow:
    found = review.notice(conn, user=user, notice_id=notice_id)
    if found.run_id != run_id:
        raise NotFound(
            _m("notice %(notice)s is not of run %(run)s", notice=notice_id, run=run_id),
            code="no_notice",
            notice=notice_id,
        )
    return found


# --- a notice as it will go out ------------------------------------------------------------------

# The e-mail's own HTML is shown in a sandboxed frame from this route only: it may style itself, load
# nothing, run nothing, and only this site may frame it.
EMAIL_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; sandbox",
    "X-Frame-Options": "SAMEORIGIN",
}


@router.get("/runs/{run_id}/notices/{notice_id}", response_class=HTMLResponse)
def notice_page(
    request: Request, site: Site, conn: Conn, user: PageUser, run_id: RunId, notice_id: NoticeId
) -> HTMLResponse:
    _of_run(conn, user, run_id, notice_id)
    shown = preview.preview(conn, user=user, notice_id=notice_id, settings=site.settings)
    return site.templates.render(
        request,
        "notice.html",
        language=user.language.value,
        user=user,
        run_id=run_id,
        shown=shown,
        notice=shown.notice,
        may_reject=allows(user, Permission.NOTICE_REJECT),
        reason_max=REASON_MAX,
    )


@router.get("/runs/{run_id}/notices/{notice_id}/email", response_class=HTMLResponse)
def notice_email(site: Site, conn: Conn, user: PageUser, run_id: RunId, notice_id: NoticeId) -> HTMLResponse:
    _of_run(conn, user, run_id, notice_id)
    shown = preview.preview(conn, user=user, notice_id=notice_id, settings=site.settings)
    return HTMLResponse(shown.message.html, headers=EMAIL_HEADERS)


@router.get("/runs/{run_id}/notices/{notice_id}/letter.pdf", response_class=Response)
def notice_letter(site: Site, conn: Conn, user: PageUser, run_id: RunId, notice_id: NoticeId) -> Response:
    _of_run(conn, user, run_id, notice_id)
    pdf = preview.letter_pdf(conn, user=user, notice_id=notice_id, settings=site.settings)
    disposition = f'inline; filename="notice-{notice_id}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
