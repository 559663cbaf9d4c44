"""The run review, as a signed-in person does it (web pages and API): which runs there are, what a run
or a proposal holds, and the decisions on it — each function requires the user's permission and sees
only the notices of customers in the user's scope (`customer_scope`: another portfolio's notice is
NotFound, never a 403). The decisions are the run service's (`run.service`, `run.approvals`), so the
CLI and the web obey the same rules, the template gate included; the actor is the user's login.

Lists are read a page at a time in the database (keyset on the notice id); summaries are aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Connection, and_, case, func, select, true

from dunmore.access.permissions import ROLES, Permission, Scope, customer_scope, require
from dunmore.access.values import User
from dunmore.domain.policy import PolicySet
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.run import service
from dunmore.run.approvals import approve_pending
from dunmore.run.models import NOTICE_ITEMS, NOTICES, RUNS
from dunmore.store.db import as_utc
from dunmore.workspace.run_alerts import AlertRules

PAGE_MAX = 200
SHOWN_CUSTOMERS = 20  # customers a proposal lists by name, largest amount first


@dataclass(frozen=True)
class RunRow:
    """A committed (or reverted) run, counted within the user's scope."""

    id: int
    sequence: int
    as_of: date
    status: str
    committed_at: datetime
    notices: int
    pending: int


@dataclass(frozen=True)
class StepTotal:
    """Notices of one step in one currency (minor units): how many, for how many customers, what they
    dun (open amount of their items), the fees and interest they charge, how many wait for approval."""

    step: str
    kind: str
    level: int | None
    currency: str
    notices: int
    customers: int
    amount: int
    fees: int
    interest: int
    pending: int = 0
    approved: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class NoticeRow:
    id: int
    run_id: int
    as_of: date
    customer: str  # the customer's code
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
    status: str
    decided_by: str | None
    reason: str | None
    reopened: bool


@dataclass(frozen=True)
class NoticePage:
    rows: tuple[NoticeRow, ...]
    next_cursor: int | None  # pass as `after` for the next page; None on the last page


@dataclass(frozen=True)
class RunReview:
    run: RunRow
    steps: tuple[StepTotal, ...]


@dataclass(frozen=True)
class ProposedCustomer:
    customer: str
    name: str
    step: str
    currency: str
    amount: int
    pending: bool


@dataclass(frozen=True)
class Proposal:
    """What the run for `as_of` would do, written nowhere."""

    as_of: date
    policy_version: int
    notices: int
    steps: tuple[StepTotal, ...]
    customers: tuple[ProposedCustomer, ...]  # the largest SHOWN_CUSTOMERS notices, by amount


def _bounded(limit: int) -> int:
    if not 1 <= limit <= PAGE_MAX:
        raise BadArgument(
            _m("limit %(limit)s: use 1 to %(most)s notices per page", limit=limit, most=PAGE_MAX),
            code="page_limit",
        )
    return limit


def _scoped(user: User) -> ColumnElement[bool]:
    """Notices of customers the user can see (a subquery: no join needed by the caller); no condition
    at all for a role that sees every customer."""
    if ROLES[user.role].scope is Scope.ALL and not user.disabled:
        return true()
    return NOTICES.c.customer_id.in_(select(CUSTOMERS.c.id).where(customer_scope(user)))


def recent_runs(conn: Connection, *, user: User, limit: int = 10, before: int | None = None) -> list[RunRow]:
    """The latest runs, newest first (keyset: `before` a run sequence), counted within the user's scope."""
    require(user, Permission.RUN_READ)
    query = select(RUNS.c.id).order_by(RUNS.c.sequence.desc()).limit(_bounded(limit))
    if before is not None:
        query = query.where(RUNS.c.sequence < before)
    runs = _runs(conn, user, list(conn.execute(query).scalars()))
    return sorted(runs, key=lambda run: run.sequence, reverse=True)


def run_of(conn: Connection, *, user: User, run_id: int) -> RunRow:
    require(user, Permission.RUN_READ)
    found = _runs(conn, user, [run_id])
    if not found:
        raise NotFound(_m("no run %(run)s: the runs page lists them", run=run_id), code="no_run", run=run_id)
    return found[0]


def _runs(conn: Connection, user: User, ids: list[int]) -> list[RunRow]:
    r, n = RUNS.c, NOTICES.c
    pending = func.coalesce(func.sum(case((n.status == "pending_approval", 1), else_=0)), 0)
    query = (
        select(r.id, r.sequence, r.as_of, r.status, r.committed_at, func.count(n.id), pending)
        .select_from(RUNS)
        .outerjoin(NOTICES, and_(n.run_id == r.id, _scoped(user)))
        .where(r.id.in_(ids))
        .group_by(r.id, r.sequence, r.as_of, r.status, r.committed_at)
    )
    return [
        RunRow(row[0], row[1], row[2], row[3], as_utc(row[4]), int(row[5]), int(row[6]))
        for row in conn.execute(query)
    ]


def review(conn: Connection, *, user: User, run_id: int) -> RunReview:
    """A run and its notices in scope, totalled per step and currency (aggregates, not rows)."""
    run = run_of(conn, user=user, run_id=run_id)
    n, i = NOTICES.c, NOTICE_ITEMS.c
    amounts = (
        select(i.notice_id, func.sum(i.open_minor).label("amount"))
        .join(NOTICES, n.id == i.notice_id)
        .where(n.run_id == run_id)
        .group_by(i.notice_id)
        .subquery()
    )
    by_status = {s: func.sum(case((n.status == s, 1), else_=0)) for s in ("pending_approval", "approved")}
    standing = func.sum(case((and_(n.status == "rejected", n.reopened_at.is_(None)), 1), else_=0))
    query = (
        select(
            n.step, n.kind, n.level, n.currency, func.count(), func.count(n.customer_id.distinct()),
            func.coalesce(func.sum(amounts.c.amount), 0), func.coalesce(func.sum(n.fee_minor), 0),
            func.coalesce(func.sum(n.interest_charge_minor), 0),
            by_status["pending_approval"], by_status["approved"], standing,
        )
        .select_from(NOTICES)
        .outerjoin(amounts, amounts.c.notice_id == n.id)
        .where(n.run_id == run_id, _scoped(user))
        .group_by(n.step, n.kind, n.level, n.currency)
    )  # fmt: skip
    steps = [
        StepTotal(row[0], row[1], row[2], row[3], *(int(v or 0) for v in row[4:]))
        for row in conn.execute(query)
    ]
    return RunReview(run, _in_policy_order(steps, service.policy_of_run(conn, run_id).policies))


def _in_policy_order(steps: list[StepTotal], policies: PolicySet) -> tuple[StepTotal, ...]:
    """Steps as the debtor meets them: by their day relative to the due date (a step of two policies
    at its earliest), then name and currency."""
    day: dict[str, int] = {}
    for policy in policies.policies.values():
        for step in (*policy.reminders, *policy.levels):
            day[step.name] = min(day.get(step.name, step.at), step.at)
    return tuple(sorted(steps, key=lambda s: (day.get(s.step, 0), s.step, s.currency)))


def notices(
    conn: Connection,
    *,
    user: User,
    run_id: int,
    step: str | None = None,
    status: str | None = None,
    after: int | None = None,
    limit: int = 50,
) -> NoticePage:
    """A page of a run's notices in scope, in id order (keyset: `after` a notice id)."""
    run_of(conn, user=user, run_id=run_id)
    condition = and_(NOTICES.c.run_id == run_id, _scoped(user))
    if step is not None:
        condition = and_(condition, NOTICES.c.step == step)
    if status is not None:
        condition = and_(condition, NOTICES.c.status == status)
    if after is not None:
        condition = and_(condition, NOTICES.c.id > after)
    rows = _notice_rows(conn, condition, limit=_bounded(limit) + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return NoticePage(tuple(rows), rows[-1].id if more else None)


def notice(conn: Connection, *, user: User, notice_id: int) -> NoticeRow:
    """One notice, if its customer is in the user's scope (else NotFound, as for no notice at all)."""
    require(user, Permission.RUN_READ)
    found = _notice_rows(conn, and_(NOTICES.c.id == notice_id, _scoped(user)), limit=1)
    if not found:
        raise NotFound(_m("no notice %(notice)s among the customers you can see", notice=notice_id),
                       code="no_notice", notice=notice_id)  # fmt: skip
    return found[0]


def _notice_rows(conn: Connection, condition: ColumnElement[bool], *, limit: int) -> list[NoticeRow]:
    n, c, i = NOTICES.c, CUSTOMERS.c, NOTICE_ITEMS.c
    page = select(NOTICES).where(condition).order_by(n.id).limit(limit).subquery()
    amount = (
        select(func.coalesce(func.sum(i.open_minor), 0)).where(i.notice_id == page.c.id).scalar_subquery()
    )
    p = page.c
    query = (
        select(
            p.id, p.run_id, p.as_of, c.external_id.label("customer"), c.name.label("customer_name"),
            c.portfolio, c.language, p.kind, p.step, p.level, p.currency, amount.label("amount"),
            p.fee_minor, p.interest_charge_minor, p.status, p.decided_by, p.decision_reason, p.reopened_at,
        )
        .select_from(page)
        .join(CUSTOMERS, c.id == p.customer_id)
        .order_by(p.id)
    )  # fmt: skip
    return [_notice_row(row) for row in conn.execute(query).mappings()]


def _notice_row(row: Any) -> NoticeRow:
    same = ("id", "run_id", "as_of", "customer", "customer_name", "portfolio", "language", "kind", "step",
            "level", "currency", "status", "decided_by")  # fmt: skip
    return NoticeRow(
        **{name: row[name] for name in same},
        amount=int(row["amount"] or 0),
        fee=int(row["fee_minor"] or 0),
        interest=int(row["interest_charge_minor"] or 0),
        reason=row["decision_reason"],
        reopened=row["reopened_at"] is not None,
    )


# --- proposing and deciding ---------------------------------------------------------------------


def propose(conn: Connection, *, user: User, as_of: date, today: date, max_days_ahead: int) -> Proposal:
    """The run for `as_of` as it would commit now, summarised; nothing is written."""
    require(user, Permission.RUN_PROPOSE)
    outcome = service.propose(conn, as_of=as_of, today=today, max_days_ahead=max_days_ahead)
    amounts = outcome.decisions.notice_items.group_by("notice_key").agg(amount=pl.col("open_minor").sum())
    frame = outcome.notices.join(amounts, on="notice_key", how="left").with_columns(
        amount=pl.col("amount").fill_null(0),
        pending=pl.col("status") == "pending_approval",
    )
    steps = frame.group_by("step", "kind", "level", "currency").agg(
        notices=pl.len(),
        customers=pl.col("customer_id").n_unique(),
        amount=pl.col("amount").sum(),
        fees=pl.col("fee_minor").fill_null(0).sum(),
        interest=pl.col("interest_charge_minor").fill_null(0).sum(),
        pending=pl.col("pending").sum(),
    )
    return Proposal(
        as_of=as_of,
        policy_version=outcome.policy.version,
        notices=frame.height,
        steps=_in_policy_order(
            [StepTotal(**row) for row in steps.iter_rows(named=True)], outcome.policy.policies
        ),
        customers=_largest(conn, user, frame),
    )


def _largest(conn: Connection, user: User, frame: pl.DataFrame) -> tuple[ProposedCustomer, ...]:
    top = frame.sort("amount", "notice_key", descending=[True, False]).head(SHOWN_CUSTOMERS)
    ids = top["customer_id"].unique().to_list()
    query = select(CUSTOMERS.c.id, CUSTOMERS.c.external_id, CUSTOMERS.c.name).where(
        CUSTOMERS.c.id.in_(ids), customer_scope(user)
    )
    names = {row.id: (row.external_id, row.name) for row in conn.execute(query)}
    return tuple(
        ProposedCustomer(
            *names[row["customer_id"]], row["step"], row["currency"], row["amount"], row["pending"]
        )
        for row in top.iter_rows(named=True)
        if row["customer_id"] in names
    )


def commit(
    conn: Connection,
    *,
    user: User,
    as_of: date,
    today: date,
    now: datetime,
    max_days_ahead: int,
    templates_dir: Path | None,
    alerting: AlertRules | None = None,
) -> int:
    """Commit the run for `as_of` as `user` (the template gate first); returns the run's id."""
    require(user, Permission.RUN_PROPOSE)
    outcome = service.commit(conn, as_of=as_of, today=today, now=now, actor=user.login,
                             max_days_ahead=max_days_ahead, templates_dir=templates_dir,
                             alerting=alerting)  # fmt: skip
    return int(outcome.run_id or 0)  # a committed outcome always has its run's id


def approve_run(
    conn: Connection,
    *,
    user: User,
    run_id: int,
    now: datetime,
    templates_dir: Path | None,
    alerting: AlertRules | None = None,
) -> int:
    """Approve every notice of the run waiting for approval among the user's customers; how many."""
    require(user, Permission.RUN_APPROVE)
    run_of(conn, user=user, run_id=run_id)
    return approve_pending(conn, run_id, _scoped(user), now=now, actor=user.login, by=user.login,
                           templates_dir=templates_dir, alerting=alerting)  # fmt: skip


def reject(conn: Connection, *, user: User, notice_id: int, reason: str, now: datetime) -> None:
    """Reject one pending notice with a reason (required, bounded: see `service.reject`)."""
    require(user, Permission.NOTICE_REJECT)
    notice(conn, user=user, notice_id=notice_id)
    service.reject(conn, notice_id, reason=reason, by=user.login, now=now, actor=user.login)


def reopen(conn: Connection, *, user: User, notice_id: int, now: datetime) -> int:
    """Lift a standing rejection: the next run may propose its step again."""
    require(user, Permission.NOTICE_REJECT)
    notice(conn, user=user, notice_id=notice_id)
    return service.reopen(conn, notice_id, by=user.login, now=now, actor=user.login)
