"""Alerts the run raises when it commits: a customer reaching the alert level, a high-value invoice
becoming overdue. Called once in the run's transaction (`run.service.commit`), after its notices
are written; set-based (two reads and the bulk `raise_alerts`, whatever the ledger's size).

- `level_passed` (key `level-passed:<notice id>`): a level notice of this run, committed, of level ≥
  `alert_level`, in a group (customer × currency) that had not reached that level yet in its
  episode (a notice that waited for approval alerts when it is approved, by the same rule:
  `raise_approval_alerts`, called by `run.approvals`) — the group's episode opened in this run, or
  its previous level notice was below the level (levels only rise within an episode). The next
  day's run raises nothing new.
- `high_value_overdue` (key `high-value-overdue:<invoice id>`): an open invoice of at least the
  currency's `high_value_minor` whose due date passed since the previous run (due on or after the
  previous run's date, before this run's; the first run: due the day before). No threshold set: no
  query at all.

A revert of the run withdraws what it raised (`withdraw_run_alerts`): see docs/alerts.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    and_,
    cast,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from dunmore.ledger.models import INVOICES
from dunmore.run.models import GROUPS_BEFORE, NOTICES, RUNS
from dunmore.settings import WorkspaceSettings
from dunmore.workspace.alerts import CHUNK, NewAlert, raise_alerts
from dunmore.workspace.mail_models import ALERT_MAILS
from dunmore.workspace.models import ALERTS, PROMISES

EFFECTIVE = ("committed", "approved")


@dataclass(frozen=True)
class AlertRules:
    """The settings `workspace.alert_level` and `workspace.high_value_minor`, as the run reads them."""

    level: int = 3
    high_value_minor: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: WorkspaceSettings) -> AlertRules:
        return cls(settings.alert_level, dict(settings.high_value_minor))


def raise_run_alerts(conn: Connection, *, run_id: int, as_of: date, rules: AlertRules, now: datetime) -> int:
    """Raise the alerts of committed run `run_id`; how many (alert × recipient) were stored."""
    committed = and_(NOTICES.c.run_id == run_id, NOTICES.c.status == "committed")
    found = _levels_passed(conn, committed, rules.level) + _high_value_overdue(conn, run_id, as_of, rules)
    return raise_alerts(conn, found, at=now)


def raise_approval_alerts(
    conn: Connection, *, notice_ids: Sequence[int], rules: AlertRules, now: datetime
) -> int:
    """Raise the `level_passed` alerts of level notices just approved (a notice that waited for
    approval reaches its level when approved, not when its run committed): the same rule as a
    commit's, so an approved final notice alerts like one committed at once."""
    found: list[NewAlert] = []
    ids = sorted(notice_ids)
    for start in range(0, len(ids), CHUNK):
        approved = and_(NOTICES.c.id.in_(ids[start : start + CHUNK]), NOTICES.c.status == "approved")
        found += _levels_passed(conn, approved, rules.level)
    return raise_alerts(conn, found, at=now)


def _levels_passed(conn: Connection, which: ColumnElement[bool], level: int) -> list[NewAlert]:
    """The level notices `which` selects, of level ≥ `level`, whose group had not reached it before
    in its episode (the episode opened with the notice's run, or the group's previous effective
    level notice, of an earlier run, was below the level)."""
    n, before = NOTICES.c, GROUPS_BEFORE.c
    prior, last = aliased(NOTICES), aliased(NOTICES)
    previous = (
        select(func.max(prior.c.id))
        .where(
            prior.c.customer_id == n.customer_id,
            prior.c.currency == n.currency,
            prior.c.kind == "level",
            prior.c.status.in_(EFFECTIVE),
            prior.c.run_id < n.run_id,
        )
        .correlate(NOTICES)
        .scalar_subquery()
    )
    reached_before = exists().where(last.c.id == previous, last.c.level >= level)
    opened_now = exists().where(
        before.run_id == n.run_id, before.customer_id == n.customer_id, before.currency == n.currency,
        ~before.episode_open,
    )  # fmt: skip
    query = select(n.id, n.customer_id, n.currency, n.level, n.step).where(
        which, n.kind == "level", n.level >= level, or_(opened_now, ~reached_before),
    )  # fmt: skip
    return [
        NewAlert(
            "level_passed",
            f"level-passed:{row.id}",
            row.customer_id,
            {"level": int(row.level), "currency": row.currency, "step": row.step, "notice": row.id},
        )
        for row in conn.execute(query)
    ]


def _previous_run_date(conn: Connection, run_id: int) -> date | None:
    query = select(func.max(RUNS.c.as_of)).where(RUNS.c.status == "committed", RUNS.c.id != run_id)
    found: date | None = conn.execute(query).scalar()
    return found


def _high_value_overdue(conn: Connection, run_id: int, as_of: date, rules: AlertRules) -> list[NewAlert]:
    if not rules.high_value_minor:
        return []
    i = INVOICES.c
    since = _previous_run_date(conn, run_id) or as_of - timedelta(days=1)
    large = or_(
        *(and_(i.currency == c, i.amount_minor >= m) for c, m in sorted(rules.high_value_minor.items()))
    )
    query = select(i.id, i.external_id, i.customer_id, i.currency, i.amount_minor, i.due_date).where(
        i.due_date >= min(since, as_of - timedelta(days=1)), i.due_date < as_of, i.open_minor > 0,
        i.kind == "invoice", large,
    )  # fmt: skip
    return [_overdue(row) for row in conn.execute(query)]


def _overdue(row: Any) -> NewAlert:
    params = {"invoice": row.external_id, "amount_minor": int(row.amount_minor), "currency": row.currency,
              "due_on": row.due_date.isoformat()}  # fmt: skip
    return NewAlert("high_value_overdue", f"high-value-overdue:{row.id}", row.customer_id, params)


def withdraw_run_alerts(conn: Connection, *, run_id: int, committed_at: datetime) -> list[str]:
    """Delete the alerts run `run_id` raised (called by its revert, before its promises go back to
    pending), and the e-mails of them not yet tried; the keys withdrawn, for the revert's audit row.

    Deleted rather than marked: a revert puts back the day before the run, and an alert's key is
    unique per recipient, so a kept row would stop the next run from raising it again when the same
    thing happens; every reader (inbox, badge, digest, mail) then simply no longer sees it. Mails
    already sent stay in `alert_mails` as the record of what was said."""
    n, p, a = NOTICES.c, PROMISES.c, ALERTS.c
    level_keys = select(literal("level-passed:") + cast(n.id, String)).where(n.run_id == run_id)
    promise_keys = select(literal("promise-broken:") + cast(p.id, String)).where(p.decided_run_id == run_id)
    raised = or_(
        a.key.in_(level_keys.union_all(promise_keys).scalar_subquery()),
        and_(a.kind == "high_value_overdue", a.created_at == committed_at),
    )
    rows = conn.execute(select(a.id, a.key).where(raised)).all()
    ids = [row.id for row in rows]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        mails = [f"alert:{alert_id}" for alert_id in chunk]
        m = ALERT_MAILS.c
        conn.execute(delete(ALERT_MAILS).where(m.key.in_(mails), m.status == "pending", m.attempts == 0))
        conn.execute(delete(ALERTS).where(a.id.in_(chunk)))
    return sorted({row.key for row in rows})
