"""Instalment reminders to the customer: the run writes, before each unpaid instalment's date and
on it, a notice of kind `instalment` (step `instalment-reminder`) sent like every notice — the
step's template in the customer's language, the outbox `deliveries`, the worker and the compliance
guard with its contact windows and caps.

Each reminder is written once: `instalment_notices` holds one row per (plan, instalment, moment), so
a second run on the same day, or any later day, finds it and writes nothing again. A revert of the
run deletes its rows (its notices are marked reverted and their deliveries cancelled by the revert,
as every notice's), so the next run writes them again. See docs/plans.md.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, delete, insert, select, tuple_

from dunmore.domain.plan_reminders import INSTALMENT_KIND, INSTALMENT_STEP, moment_of
from dunmore.domain.policy import PolicySet
from dunmore.engine.partition import Part
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.apply import insert_deliveries, next_id, sync_id_sequence
from dunmore.run.instalment_notice_models import INSTALMENT_NOTICES
from dunmore.run.models import NOTICES
from dunmore.run.plans import Unpaid, unpaid_instalments


def remind_customers(
    conn: Connection,
    policies: PolicySet,
    *,
    run_id: int,
    as_of: date,
    now: datetime,
    part: Part | None = None,
) -> int:
    """Write the instalment reminders due on D of the plans in `part` (all: None) with their pending
    deliveries; the number of notices written."""
    ahead = max(
        (p.plans.days_before for p in policies.policies.values() if p.plans.remind_customer), default=-1
    )
    if ahead < 0:
        return 0
    due = unpaid_instalments(conn, as_of=as_of, ahead=ahead, part=part)
    wanted = _wanted(conn, policies, due, as_of)
    if not wanted:
        return 0
    first = next_id(conn, NOTICES)
    ids = list(range(first, first + len(wanted)))
    conn.execute(
        insert(NOTICES),
        [
            {"id": notice_id, "run_id": run_id, "as_of": as_of, "customer_id": one.customer_id,
             "currency": one.currency, "kind": INSTALMENT_KIND, "step": INSTALMENT_STEP, "policy": policy,
             "level": None, "fee_minor": None, "interest_charge_minor": None, "status": "committed"}
            for notice_id, (one, policy, _) in zip(ids, wanted, strict=True)
        ],
    )  # fmt: skip
    sync_id_sequence(conn, NOTICES)
    conn.execute(
        insert(INSTALMENT_NOTICES),
        [
            {"notice_id": notice_id, "run_id": run_id, "plan_id": one.plan_id,
             "number": one.instalment.number, "moment": moment, "due_on": one.instalment.due_on,
             "amount_minor": one.left_minor, "remaining_minor": one.remaining_minor}
            for notice_id, (one, _, moment) in zip(ids, wanted, strict=True)
        ],
    )  # fmt: skip
    insert_deliveries(conn, NOTICES.c.id.in_(ids), policies, now)
    return len(ids)


def _wanted(
    conn: Connection, policies: PolicySet, due: list[Unpaid], as_of: date
) -> list[tuple[Unpaid, str, str]]:
    """(instalment, the customer's policy, moment) of each reminder due on D and not yet written."""
    if not due:
        return []
    c = CUSTOMERS.c
    customers = {row.id: row for row in conn.execute(
        select(c.id, c.grade, c.tags).where(c.id.in_({one.customer_id for one in due}))
    )}  # fmt: skip
    wanted = []
    for one in due:
        customer = customers[one.customer_id]
        tags = frozenset(tag for tag in (customer.tags or "").split(";") if tag)
        name = policies.route(customer.grade, tags)
        reminders = policies.policies[name].plans
        moment = moment_of(
            one.instalment.due_on, as_of, days_before=reminders.days_before, grace_days=one.grace_days
        )
        if reminders.remind_customer and moment is not None:
            wanted.append((one, name, moment))
    k = INSTALMENT_NOTICES.c
    keys = [(one.plan_id, one.instalment.number, moment) for one, _, moment in wanted]
    if not keys:
        return []
    query = select(k.plan_id, k.number, k.moment).where(tuple_(k.plan_id, k.number, k.moment).in_(keys))
    written = {(row.plan_id, row.number, row.moment) for row in conn.execute(query)}
    return [entry for entry, key in zip(wanted, keys, strict=True) if key not in written]


def forget_instalment_reminders(conn: Connection, run_id: int) -> None:
    """Forget the reminders run `run_id` wrote (a revert): the next run writes them again."""
    conn.execute(delete(INSTALMENT_NOTICES).where(INSTALMENT_NOTICES.c.run_id == run_id))


__all__ = ["forget_instalment_reminders", "remind_customers"]
