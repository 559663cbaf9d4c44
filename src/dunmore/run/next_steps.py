"""The next step follows the answer, in the run: gather each group's contact facts into the
snapshot (`engine.next_steps.FACTS`), and write the steps the engine decided (`STEPS`).

Gather reads, per (customer, currency) group, on D: the last notice that went out by e-mail (a
delivery queued or sent: a cancelled or failed e-mail is no notice), the last answer (a contact
recorded — any activity but a note —, a payment of the group, a promise made), the last reason the
customer gave, and the trigger dates of the steps committed runs already took. Customer-level facts
(contacts, reasons, promises) hold for each currency group of the customer.

Write records each step (`next_steps`) and sends it through the outbox on the group's last notice:
a re-sent invoice is an e-mail delivery of that notice, a call to confirm receipt or to propose a
promise or a plan is a call delivery, which the worker turns into a task for the owner — through
the compliance guard and the contact's wishes, like every delivery. A group without a notice yet
gets the step recorded (and its pause) but no delivery: there is nothing to re-send or attach a task
to (`explain` says so).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, case, func, insert, select

from dunmore.delivery.contact_wishes import respect_contact_wishes
from dunmore.delivery.models import DELIVERIES
from dunmore.domain.next_steps import CONFIRM_RECEIPT, OUTCOME_PREFIX
from dunmore.engine.next_steps import FACTS, no_facts
from dunmore.engine.partition import Part
from dunmore.ledger.models import PAYMENTS
from dunmore.run.models import NOTICES, RUNS
from dunmore.run.next_step_models import NEXT_STEPS
from dunmore.store.bulk import read_frame
from dunmore.workspace.models import ACTIVITIES, PROMISES

GROUP = ["customer_id", "currency"]
WENT_OUT = ("pending", "sending", "sent")  # an e-mail that is going or went out
CHANNEL_OF = {"resend_invoice": "email"}  # every other step is a call for a person


def _scoped(condition: Any, customer_id: Any, part: Part | None, only: int | None) -> Any:
    if part is not None:
        condition = and_(condition, part.holds(customer_id))
    return condition if only is None else and_(condition, customer_id == only)


def _end_of(as_of: date) -> datetime:
    """The first instant after D (UTC): facts recorded before it are D's."""
    return datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)


def _emailed(conn: Connection, as_of: date, part: Part | None, only: int | None) -> pl.DataFrame:
    n, d = NOTICES.c, DELIVERIES.c
    went = and_(d.channel == "email", d.status.in_(WENT_OUT), d.next_step.is_(None), n.as_of <= as_of)
    query = (
        select(n.customer_id, n.currency, func.max(n.as_of))
        .join(DELIVERIES, d.notice_id == n.id)
        .where(_scoped(went, n.customer_id, part, only))
        .group_by(n.customer_id, n.currency)
    )
    return read_frame(conn, query, {"customer_id": pl.Int64, "currency": pl.String, "emailed_on": pl.Date})


def _paid(conn: Connection, as_of: date, part: Part | None, only: int | None) -> pl.DataFrame:
    p = PAYMENTS.c
    query = (
        select(p.customer_id, p.currency, func.max(p.date))
        .where(_scoped(p.date <= as_of, p.customer_id, part, only))
        .group_by(p.customer_id, p.currency)
    )
    return read_frame(conn, query, {"customer_id": pl.Int64, "currency": pl.String, "answered_on": pl.Date})


def _contacted(conn: Connection, as_of: date, part: Part | None, only: int | None) -> dict[int, date]:
    """Per customer: the day of the last answer recorded for D or before — a contact (any activity
    but a note) or a promise made."""
    a, p = ACTIVITIES.c, PROMISES.c
    contact = and_(a.at < _end_of(as_of), a.kind != "note")
    last_contact = select(a.customer_id, func.max(a.at)).where(_scoped(contact, a.customer_id, part, only))
    made = select(p.customer_id, func.max(p.made_on)).where(
        _scoped(p.made_on <= as_of, p.customer_id, part, only)
    )
    answered = {int(c): _day(at) for c, at in conn.execute(last_contact.group_by(a.customer_id))}
    for customer_id, on in conn.execute(made.group_by(p.customer_id)):
        answered[customer_id] = max(on, answered.get(customer_id, on))
    return answered


def _last_reasons(
    conn: Connection, as_of: date, part: Part | None, only: int | None, *, column: str = "reason"
) -> dict[int, tuple[str, date]]:
    """Per customer: the last reason given for D or before (the latest activity with a reason) and
    its day; `column="outcome"`: the last outcome recorded, the same way."""
    a = ACTIVITIES.c
    given = and_(a.at < _end_of(as_of), a[column].is_not(None))
    rank = func.row_number().over(partition_by=a.customer_id, order_by=(a.at.desc(), a.id.desc()))
    ranked = (
        select(a.customer_id, a[column].label("code"), a.at, rank.label("rank"))
        .where(_scoped(given, a.customer_id, part, only))
        .subquery()
    )
    last = select(ranked.c.customer_id, ranked.c.code, ranked.c.at).where(ranked.c["rank"] == 1)
    return {int(c): (str(reason), _day(at)) for c, reason, at in conn.execute(last)}


def _customer_facts(conn: Connection, as_of: date, part: Part | None, only: int | None) -> pl.DataFrame:
    """Per customer: the last answer (a contact or a promise), the last reason and the last outcome,
    each with its day."""
    answered, reasons = _contacted(conn, as_of, part, only), _last_reasons(conn, as_of, part, only)
    outcomes = _last_reasons(conn, as_of, part, only, column="outcome")
    rows = [
        (c, answered.get(c), *reasons.get(c, (None, None)), *outcomes.get(c, (None, None)))
        for c in sorted(answered.keys() | reasons.keys() | outcomes.keys())
    ]
    schema = {
        "customer_id": pl.Int64, "contacted_on": pl.Date, "reason": pl.String, "reason_on": pl.Date,
        "outcome": pl.String, "outcome_on": pl.Date,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date() if at.tzinfo else at.date()


def _taken(conn: Connection, part: Part | None, only: int | None) -> pl.DataFrame:
    """Per group: the trigger dates of the last confirm-receipt step, of the last reason step and of
    the last outcome step of the committed runs (a reverted run's steps were not taken)."""
    s, r = NEXT_STEPS.c, RUNS.c
    kind = case(
        (s.action == CONFIRM_RECEIPT, "confirm"),
        (s.reason.like(f"{OUTCOME_PREFIX}%"), "outcome"),
        else_="reason",
    )
    query = (
        select(s.customer_id, s.currency, kind.label("kind"), func.max(s.trigger_on))
        .join(RUNS, r.id == s.run_id)
        .where(_scoped(r.status == "committed", s.customer_id, part, only))
        .group_by(s.customer_id, s.currency, kind)
    )
    schema = {"customer_id": pl.Int64, "currency": pl.String, "kind": pl.String, "on": pl.Date}
    return _spread(read_frame(conn, query, schema))


def _spread(taken: pl.DataFrame) -> pl.DataFrame:
    """(group, kind, date) rows as one row per group with the three dates."""
    confirm = taken.filter(pl.col("kind") == "confirm").select(*GROUP, confirm_asked_on="on")
    reason = taken.filter(pl.col("kind") == "reason").select(*GROUP, reason_acted_on="on")
    outcome = taken.filter(pl.col("kind") == "outcome").select(*GROUP, outcome_acted_on="on")
    both = confirm.join(reason, on=GROUP, how="full", coalesce=True)
    return both.join(outcome, on=GROUP, how="full", coalesce=True)


def read_facts(
    conn: Connection, as_of: date, groups: pl.DataFrame, part: Part | None = None, *, only: int | None = None
) -> pl.DataFrame:
    """The contact facts (`FACTS`) of the snapshot's groups (`groups`: customer_id, currency) that
    have any; empty when none has."""
    customer = _customer_facts(conn, as_of, part, only)
    emailed, paid, taken = (
        _emailed(conn, as_of, part, only),
        _paid(conn, as_of, part, only),
        _taken(conn, part, only),
    )
    if customer.is_empty() and emailed.is_empty() and taken.is_empty():
        return no_facts()
    keys = groups.select(GROUP).unique()
    facts = (
        keys.join(customer, on="customer_id", how="left")
        .join(emailed, on=GROUP, how="left")
        .join(paid, on=GROUP, how="left")
        .join(taken, on=GROUP, how="left")
        .with_columns(answered_on=pl.max_horizontal("answered_on", "contacted_on"))
    )
    known = [c for c in FACTS if c not in GROUP]
    return (
        facts.filter(pl.any_horizontal(pl.col(known).is_not_null()))
        .select(list(FACTS))
        .cast(FACTS)
        .sort(GROUP)
    )


def write_next_steps(
    conn: Connection, steps: pl.DataFrame, *, run_id: int, as_of: date, now: datetime
) -> None:
    """Record the run's next steps and queue each one's delivery on its group's last notice."""
    if steps.is_empty():
        return
    n = NOTICES.c
    wanted = steps.select(GROUP).unique()
    last = (
        select(n.customer_id, n.currency, func.max(n.id))
        .where(n.customer_id.in_(wanted["customer_id"].to_list()), n.status.in_(("committed", "approved")))
        .group_by(n.customer_id, n.currency)
    )
    notices = {(c, cur): notice_id for c, cur, notice_id in conn.execute(last)}
    for step in steps.iter_rows(named=True):  # a few steps a run: what people asked for
        notice_id = notices.get((step["customer_id"], step["currency"]))
        delivery_id = None if notice_id is None else _queue(conn, notice_id, step["action"], now)
        row = {**step, "run_id": run_id, "as_of": as_of, "notice_id": notice_id, "delivery_id": delivery_id}
        conn.execute(insert(NEXT_STEPS).values(row))
    respect_contact_wishes(
        conn, DELIVERIES.c.next_step.is_not(None) & (DELIVERIES.c.created_at == now), now=now
    )


def _queue(conn: Connection, notice_id: int, action: str, now: datetime) -> int:
    row = {
        "notice_id": notice_id, "channel": CHANNEL_OF.get(action, "call"), "status": "pending",
        "created_at": now, "next_step": action,
    }  # fmt: skip
    return int(conn.execute(insert(DELIVERIES).values(row).returning(DELIVERIES.c.id)).scalar_one())


def steps_of_day(
    conn: Connection, customer_id: int, as_of: date, decided: pl.DataFrame
) -> dict[str, list[tuple[str, dict[str, object]]]]:
    """currency → the next steps of D: those a committed run took on D, else those decided now."""
    s = NEXT_STEPS.c
    query = select(s.currency, s.action, s.reason, s.trigger_on).where(
        s.customer_id == customer_id, s.as_of == as_of
    )
    rows: list[tuple[Any, ...]] = [tuple(row) for row in conn.execute(query.order_by(s.id))]
    if not rows:
        mine = decided.filter(pl.col("customer_id") == customer_id)
        rows = list(mine.select("currency", "action", "reason", "trigger_on").iter_rows())
    found: dict[str, list[tuple[str, dict[str, object]]]] = {}
    for currency, action, reason, trigger_on in rows:
        if reason.startswith(OUTCOME_PREFIX):  # said as the contact's outcome, with the step's code
            said = {"step": action, "outcome": reason.removeprefix(OUTCOME_PREFIX), "on": trigger_on}
            found.setdefault(currency, []).append(("outcome_step", said))
        else:
            found.setdefault(currency, []).append((action, {"reason": reason, "on": trigger_on}))
    return found
