"""Fees and interest waived with an instalment plan: when a plan is agreed, the collector may waive
the fee and interest items it covers, each in full, through the waiver service
(`workspace.waivers`: the same credit note, the same threshold per currency, the same audit row).

Under the threshold every waiver is applied at once and the plan takes effect. When one of them is
above it, the plan is `waiting`: the run does not read it (its items escalate as before) until a
manager other than the person who asked approves the plan (its waivers are applied, the plan becomes
active) or rejects it (its waivers are rejected, the plan is cancelled with `plan_waiver_rejected`).
A waiver asked with a plan is decided only with its plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.errors import NotFound, PlanRefused
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace import waivers
from dunmore.workspace.disputes import reach
from dunmore.workspace.models import WAIVERS
from dunmore.workspace.plan_models import PLANS
from dunmore.workspace.plan_views import PlanView, views
from dunmore.workspace.waivers import WaiverView

WAIVABLE = ("fee", "interest")
REJECTED = "plan_waiver_rejected"


def waive_covered(
    conn: Connection,
    *,
    plan_id: int,
    items: Sequence[Any],
    reason: str,
    on: date,
    now: datetime,
    by: str,
    thresholds: Mapping[str, int],
    user: User,
) -> list[WaiverView]:
    """Waive each of `items` (the plan's covered fee and interest items, by `external_id`) in full,
    one waiver each, asked with the plan."""
    return [
        waivers.request_waiver(
            conn,
            item=item.external_id,
            reason=reason,
            on=on,
            now=now,
            actor=user.login,
            by=by,
            thresholds=thresholds,
            user=user,
            plan_id=plan_id,
        )
        for item in items
    ]


def _plan(conn: Connection, plan_id: int, user: User | None) -> Any:
    p = PLANS.c
    query = select(p.id, p.status).join_from(PLANS, CUSTOMERS, CUSTOMERS.c.id == p.customer_id)
    row = conn.execute(query.where(p.id == plan_id, reach(user))).first()
    if row is None:
        raise NotFound(_m("no plan %(id)s among yours: check the number", id=plan_id))
    if row.status != "waiting":
        raise PlanRefused(
            _m(
                "plan %(id)s is not waiting for the approval of its waivers: it is %(status)s",
                id=plan_id,
                status=row.status,
            )
        )
    return row


def decide_plan(
    conn: Connection,
    *,
    plan_id: int,
    approve: bool,
    checker: str,
    on: date,
    now: datetime,
    actor: str,
    user: User | None = None,
) -> PlanView:
    """Approve (its waivers are applied, the plan becomes active) or reject (its waivers are
    rejected, the plan is cancelled) a plan waiting for the approval of its waivers. The checker is
    a manager other than the person who asked (`waivers.decide_waiver` holds both rules)."""
    if user is not None:
        require(user, Permission.RUN_APPROVE)
    _plan(conn, plan_id, user)
    w = WAIVERS.c
    pending = conn.execute(
        select(w.id).where(w.plan_id == plan_id, w.status == "pending").order_by(w.id)
    ).scalars()
    decided = [
        waivers.decide_waiver(
            conn,
            waiver_id=waiver_id,
            approve=approve,
            checker=checker,
            on=on,
            now=now,
            actor=actor,
            user=user,
            with_plan=True,
        )
        for waiver_id in list(pending)
    ]
    values: dict[str, Any] = {"status": "active"}
    if not approve:
        values = {"status": "cancelled", "reason": REJECTED, "decided_on": on}
    p = PLANS.c
    conn.execute(update(PLANS).where(p.id == plan_id, p.status == "waiting").values(values))
    audit.record(
        conn,
        at=now,
        actor=actor,
        action=f"plan.{'approve' if approve else 'reject'}",
        object=f"plan:{plan_id}",
        before={"status": "waiting"},
        after={"status": values["status"], "waivers": [one.id for one in decided]}
        | ({"by": decided[0].decided_by} if decided else {}),
    )
    return views(conn, p.id == plan_id)[0]


__all__ = ["REJECTED", "WAIVABLE", "decide_plan", "waive_covered"]
