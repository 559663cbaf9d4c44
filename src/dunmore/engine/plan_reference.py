"""The plans' states on D, one plan at a time with the domain's own rule (`domain.plans.plan_state`,
`paused_until`): written for reading, not speed. The run uses the vectorised `engine.plans.
decide_plans`; a property test holds the two equal.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import polars as pl

from dunmore.domain.plans import Instalment, Payment, paused_until, plan_state
from dunmore.engine.plans import CHANGES, STATES


def decide_plans_one_by_one(
    plans: pl.DataFrame, schedule: pl.DataFrame, payments: pl.DataFrame, as_of: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(`STATES`, `CHANGES`) as `engine.plans.decide_plans` gives them, plan by plan."""
    steps: dict[int, list[Instalment]] = defaultdict(list)
    for row in schedule.iter_rows(named=True):
        steps[row["plan_id"]].append(Instalment(row["number"], row["due_on"], row["amount_minor"]))
    paid: dict[int, list[Payment]] = defaultdict(list)
    for row in payments.iter_rows(named=True):
        paid[row["plan_id"]].append(Payment(row["on"], row["amount_minor"]))
    states: list[Any] = []
    changes: list[Any] = []
    for plan in plans.sort("plan_id").iter_rows(named=True):
        schedule_of, paid_of = steps[plan["plan_id"]], paid[plan["plan_id"]]
        if not schedule_of:
            continue
        found = plan_state(schedule_of, paid_of, grace_days=plan["grace_days"], as_of=as_of)
        keys = (plan["plan_id"], plan["customer_id"], plan["currency"])
        states.append((*keys, found.status, paused_until(schedule_of, grace_days=plan["grace_days"])))
        if found.status != "pending":
            missed = found.missed
            total = sum(p.amount_minor for p in paid_of)
            if missed is None:
                changes.append((*keys, found.status, found.reason, None, None, None, total))
            else:
                changes.append(
                    (
                        *keys,
                        found.status,
                        found.reason,
                        missed.number,
                        missed.due_on,
                        missed.amount_minor,
                        total,
                    )
                )
    return (
        pl.DataFrame(states, schema=STATES, orient="row"),
        pl.DataFrame(changes, schema=CHANGES, orient="row"),
    )


__all__ = ["decide_plans_one_by_one"]
