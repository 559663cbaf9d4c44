"""Reverting a run: undo what the latest run changed, while none of its deliveries has gone out.

The rule (docs/design/dunning-run.md, "Reverting a run"): only the latest run still standing can be
reverted, runs go back one at a time, newest first, so each puts back exactly the state the one
before it left. A revert cancels the run's pending deliveries, deletes its fee and interest items,
takes back the interest it charged, puts back the levels and group states it replaced (kept when it
applied them), forgets the reminders it recorded, and keeps the run and its notices, marked
`reverted`, and withdraws the alerts the run raised (`workspace.run_alerts.withdraw_run_alerts`).
It refuses when any of the run's deliveries was sent or claimed by a worker, when a notice of an
earlier run was approved after it, or when a payment or credit note names one of its charges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)

from dunmore.access import audit
from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS
from dunmore.errors import NotFound, RunError
from dunmore.i18n import _m
from dunmore.ledger import balances
from dunmore.ledger.models import CREDIT_NOTES, INVOICES, ITEM_LEVELS, PAYMENTS
from dunmore.ledger.service import reallocate
from dunmore.run.apply import APPLIED, uncharge_interest
from dunmore.run.instalment_notices import forget_instalment_reminders
from dunmore.run.models import DUNNING_GROUPS, GROUPS_BEFORE, LEVELS_BEFORE, NOTICES, REMINDER_RECORDS, RUNS
from dunmore.run.next_step_models import NEXT_STEPS
from dunmore.run.plans import undo_plan_changes
from dunmore.run.promises import undo_promise_changes
from dunmore.workspace.run_alerts import withdraw_run_alerts

SHOWN = 5  # delivery ids named in a refusal
SHOWN_ALERTS = 100  # alert keys named in the audit row (a big run raises thousands)


@dataclass(frozen=True)
class Reverted:
    """What a revert undid."""

    run_id: int
    as_of: date
    notices: int
    deliveries_cancelled: int
    charges_removed: int
    levels_restored: int


def revert(conn: Connection, run_id: int, *, now: datetime, actor: str) -> Reverted:
    """Undo run `run_id` in the caller's transaction, or refuse with what stands in the way; one audit
    row (`run.revert` on `run:<id>`) with what it undid."""
    run = _run(conn, run_id)
    _refuse_unless_latest(conn, run)
    _refuse_after_later_approvals(conn, run)
    charges = _charge_items(conn, run_id)
    _refuse_when_charges_named(conn, charges)
    # Cancelling first locks the run's untouched deliveries (a worker's claim skips them or, having
    # claimed one a moment earlier, leaves it `sending` for the check that follows).
    cancelled = _cancel_deliveries(conn, run_id, now)
    _refuse_when_gone_out(conn, run_id)
    customers = _delete_charges(conn, charges)
    uncharge_interest(conn, NOTICES.c.run_id == run_id)
    levels = _restore_levels(conn, run_id)
    _restore_groups(conn, run_id)
    conn.execute(delete(REMINDER_RECORDS).where(REMINDER_RECORDS.c.run_id == run_id))
    withdrawn = withdraw_run_alerts(conn, run_id=run_id, committed_at=run.committed_at)
    undo_promise_changes(conn, run_id)
    undo_plan_changes(conn, run_id)
    forget_instalment_reminders(conn, run_id)
    conn.execute(update(NOTICES).where(NOTICES.c.run_id == run_id).values(status="reverted"))
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(status="reverted", reverted_at=now))
    reallocate(conn, customers)
    noticed = select(NOTICES.c.customer_id).where(NOTICES.c.run_id == run_id)
    balances.refresh(conn, customer_ids=noticed, as_of=run.as_of)
    done = Reverted(run_id, run.as_of, run.notices, cancelled, len(charges), levels)
    after = {
        "status": "reverted",
        "as_of": run.as_of.isoformat(),
        "notices": done.notices,
        "deliveries_cancelled": cancelled,
        "charges_removed": len(charges),
        "levels_restored": levels,
        "alerts_withdrawn": withdrawn[:SHOWN_ALERTS],
    }
    audit.record(conn, at=now, actor=actor, action="run.revert", object=f"run:{run_id}",
                 before={"status": "committed"}, after=after)  # fmt: skip
    return done


def _run(conn: Connection, run_id: int) -> Any:
    row = conn.execute(select(RUNS).where(RUNS.c.id == run_id)).first()
    if row is None:
        raise NotFound(
            _m(
                "no run %(run)s: the run id is printed when a run commits (`dunmore run --approve`)",
                run=run_id,
            )
        )
    if row.status == "reverted":
        raise RunError(
            _m("run %(run)s (%(date)s) was already reverted", run=run_id, date=row.as_of.isoformat())
        )
    return row


def _refuse_unless_latest(conn: Connection, run: Any) -> None:
    r = RUNS.c
    later = select(r.id, r.as_of).where(r.status == "committed", r.sequence > run.sequence)
    newest = conn.execute(later.order_by(r.sequence.desc()).limit(1)).first()
    if newest is not None:
        raise RunError(
            _m(
                "run %(run)s (%(date)s) is not the latest run: run %(newest)s (%(newest_date)s) came "
                "after it; "
                "runs are reverted newest first, so revert it first",
                run=run.id,
                date=run.as_of.isoformat(),
                newest=newest.id,
                newest_date=newest.as_of.isoformat(),
            )
        )


def _refuse_when_gone_out(conn: Connection, run_id: int) -> None:
    """Refuse when a delivery of the run was sent, or claimed by a worker (it may be on its way)."""
    d, n = DELIVERIES.c, NOTICES.c
    retried = and_(d.status == "pending", d.attempts > 0)  # a transient error: it may have arrived
    tried = or_(d.status.in_(("sending", "sent", "failed", "dead")), retried)
    gone = DELIVERIES.join(NOTICES, n.id == d.notice_id)
    where = and_(n.run_id == run_id, tried)
    # Counted in the database: after a big run has gone out, that is hundreds of thousands of rows.
    counts = conn.execute(
        select(d.status, func.count()).select_from(gone).where(where).group_by(d.status).order_by(d.status)
    ).all()
    if counts:
        total = sum(count for _, count in counts)
        tally = ", ".join(f"{count} {status}" for status, count in counts)
        first = select(d.id).select_from(gone).where(where).order_by(d.id).limit(SHOWN)
        ids = ", ".join(map(str, conn.execute(first).scalars())) + (", …" if total > SHOWN else "")
        raise RunError(
            _m(
                "run %(run)s cannot be reverted: %(total)s of its deliveries already went out or were "
                "claimed by a worker (%(tally)s; deliveries %(ids)s); its notices stand, correct them "
                "by hand",
                run=run_id,
                total=total,
                tally=tally,
                ids=ids,
            )
        )


def _refuse_after_later_approvals(conn: Connection, run: Any) -> None:
    """An approval after the run applied on top of it: reverting would undo that approval as well."""
    n = NOTICES.c
    query = select(n.id, n.run_id).where(
        n.run_id != run.id, n.status == "approved", n.decided_at > run.committed_at
    )
    row = conn.execute(query.order_by(n.id).limit(1)).first()
    if row is not None:
        raise RunError(
            _m(
                "run %(run)s cannot be reverted: notice %(notice)s of run %(other)s was approved after it "
                "committed, and reverting would undo that approval's levels too",
                run=run.id,
                notice=row.id,
                other=row.run_id,
            )
        )


def _charge_items(conn: Connection, run_id: int) -> list[int]:
    """The fee and interest items the run's applied notices created (external ids FEE-/INT-notice)."""
    n = NOTICES.c
    applied = and_(n.run_id == run_id, n.status.in_(APPLIED))
    names = (
        select(literal("FEE-") + cast(n.id, String))
        .where(applied, n.fee_minor.is_not(None))
        .union_all(
            select(literal("INT-") + cast(n.id, String)).where(applied, n.interest_charge_minor.is_not(None))
        )
    )
    query = select(INVOICES.c.id).where(
        INVOICES.c.kind.in_(("fee", "interest")), INVOICES.c.external_id.in_(names.scalar_subquery())
    )
    return list(conn.execute(query).scalars())


def _refuse_when_charges_named(conn: Connection, charges: list[int]) -> None:
    for table, what in ((PAYMENTS, _m("payment")), (CREDIT_NOTES, _m("credit note"))):
        named = select(table.c.external_id).where(table.c.invoice_id.in_(charges)).limit(1)
        found = conn.execute(named).scalar() if charges else None
        if found is not None:
            raise RunError(
                _m(
                    "the run cannot be reverted: %(what)s %(found)s was recorded against one of its fee or "
                    "interest items; remove that reference first",
                    what=what,
                    found=found,
                )
            )


def _cancel_deliveries(conn: Connection, run_id: int, now: datetime) -> int:
    d, n = DELIVERIES.c, NOTICES.c
    of_run = d.notice_id.in_(select(n.id).where(n.run_id == run_id))
    steps = select(NEXT_STEPS.c.delivery_id).where(NEXT_STEPS.c.run_id == run_id)  # on earlier notices too
    pending = and_(d.status == "pending", d.attempts == 0, of_run | d.id.in_(steps))
    events = select(d.id, literal(now, DELIVERY_EVENTS.c.at.type), d.attempts, literal("cancelled"),
                    literal("run_reverted"), literal(f"run {run_id} reverted")).where(pending)  # fmt: skip
    columns = ["delivery_id", "at", "attempt", "outcome", "reason", "detail"]
    conn.execute(insert(DELIVERY_EVENTS).from_select(columns, events))
    done = conn.execute(
        update(DELIVERIES).where(pending).values(status="cancelled", last_error=f"run {run_id} reverted")
    )
    return int(done.rowcount)


def _delete_charges(conn: Connection, charges: list[int]) -> list[int]:
    """Delete the fee and interest items (their allocations go with them); returns their customers."""
    if not charges:
        return []
    i = INVOICES.c
    customers = list(conn.execute(select(i.customer_id).where(i.id.in_(charges)).distinct()).scalars())
    conn.execute(delete(INVOICES).where(i.id.in_(charges)))
    return customers


def _restore_levels(conn: Connection, run_id: int) -> int:
    """Put back the levels the run replaced: an item that was at level 0 loses its level row."""
    b, lv = LEVELS_BEFORE.c, ITEM_LEVELS.c
    raised = select(b.invoice_id).where(b.run_id == run_id)
    restored = int(conn.execute(delete(ITEM_LEVELS).where(lv.invoice_id.in_(raised))).rowcount)
    before = select(b.invoice_id, b.level, b.level_date).where(b.run_id == run_id, b.level > 0)
    conn.execute(insert(ITEM_LEVELS).from_select(["invoice_id", "level", "level_date"], before))
    return restored


def _restore_groups(conn: Connection, run_id: int) -> None:
    """Put back each group the run changed as it was; a group the run created goes."""
    g, b = DUNNING_GROUPS.c, GROUPS_BEFORE.c
    changed = select(b.customer_id, b.currency).where(b.run_id == run_id)
    conn.execute(delete(DUNNING_GROUPS).where(tuple_(g.customer_id, g.currency).in_(changed)))
    columns = ["customer_id", "currency", "last_level_notice", "fee_levels", "episode_open"]
    existed = select(*(b[c] for c in columns)).where(b.run_id == run_id, b.existed)
    conn.execute(insert(DUNNING_GROUPS).from_select(columns, existed))


def latest_run(conn: Connection) -> int | None:
    """The id of the latest run still standing (what `run revert` takes back first)."""
    r = RUNS.c
    query = select(r.id).where(r.status == "committed").order_by(r.sequence.desc()).limit(1)
    return conn.execute(query).scalar()


__all__ = ["Reverted", "latest_run", "revert"]
