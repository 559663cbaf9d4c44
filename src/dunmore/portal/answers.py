"""Telling the customer the collector's answer to what they asked for in the portal.

A plan asked for in the portal (created by `portal:<customer>`, status proposed) that a collector
accepts (`plans.activate`), refuses (`plans.cancel`) or counters (`counter_plan`: the request is
cancelled and the collector's own schedule proposed instead) is answered to the customer by e-mail, in
their language, through the outbox the one-time codes use (`alert_mails`: transactional, not a
dunning notice, so the guard's caps do not apply), in the collector's transaction. The accepted plan
says its schedule; a refusal says an account manager will call — never the collector's own reason,
which stays in the audit log. A customer without an e-mail address on file is not told (audited).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import Connection, insert, select

from dunmore import i18n
from dunmore.access import audit
from dunmore.access.values import User
from dunmore.domain.money import format_minor
from dunmore.errors import PlanRefused
from dunmore.i18n import N_, _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.portal.codes import contact_address, masked
from dunmore.workspace import plans
from dunmore.workspace.mail_models import ALERT_MAILS
from dunmore.workspace.plan_views import PlanView

ANSWERS: Final = ("accepted", "refused", "countered")
COUNTERED: Final = "countered"  # the reason a counter cancels the request with


def _asked_in_portal(plan: PlanView) -> bool:
    return plan.status == "proposed" and plan.created_by.startswith("portal:")


def _schedule(plan: PlanView) -> str:
    return "\n".join(
        f"{one.number}. {one.due_on.isoformat()}  {format_minor(one.amount_minor, plan.currency)}"
        for one in plan.instalments
    )


def tell_plan_answer(
    conn: Connection, *, plan: PlanView, answer: str, now: datetime, reason: str = ""
) -> bool:
    """Queue the answer to a plan the customer asked for in the portal (`plans` calls this when a
    proposed plan is activated or cancelled); False when the plan was not asked for there, when the
    cancellation is a counter's (`counter_plan` tells that itself), or the customer has no e-mail
    address on file."""
    if answer not in ANSWERS or not _asked_in_portal(plan) or reason == COUNTERED:
        return False
    return _queue(conn, asked=plan, answer=answer, schedule=plan, now=now)


def counter_plan(
    conn: Connection,
    *,
    user: User,
    plan_id: int,
    instalments: int,
    first: date,
    country: str,
    now: datetime,
    today: date,
) -> PlanView:
    """Answer a plan the customer asked for in the portal with another schedule: the request is
    cancelled (reason `countered`), the collector's plan proposed over the same currency's open
    invoices, and the customer told it by e-mail; the counter-proposal is activated when they agree."""
    asked = plans.get(conn, user=user, plan_id=plan_id)
    if not _asked_in_portal(asked):
        raise PlanRefused(
            _m("plan %(id)s was not asked for in the portal, or is answered already: it cannot be countered",
               id=plan_id)
        )  # fmt: skip
    plans.cancel(conn, user=user, plan_id=plan_id, reason=COUNTERED, now=now)
    offered = plans.add(
        conn,
        user=user,
        customer=asked.customer,
        today=today,
        now=now,
        country=country,
        instalments=instalments,
        first=first,
        currency=asked.currency,
        proposed=True,
        note=f"counter-proposal to plan {plan_id}, asked for in the portal",
    )
    _queue(conn, asked=asked, answer=COUNTERED, schedule=offered, now=now)
    return offered


def _queue(conn: Connection, *, asked: PlanView, answer: str, schedule: PlanView, now: datetime) -> bool:
    plan = asked
    c = CUSTOMERS.c
    customer = conn.execute(select(c.id, c.language).where(c.external_id == plan.customer)).one()
    language = customer.language if customer.language in i18n.LANGUAGES else "zh-CN"
    address = contact_address(conn, customer.id)
    actor = f"portal:{plan.customer}"
    if address is None:
        audit.record(conn, at=now, actor="system", action="portal.answer", object=f"plan:{plan.id}",
                     after={"answer": answer, "sent": False})  # fmt: skip
        return False
    if answer == "accepted":
        subject = i18n.translate(language, N_("Your instalment plan is accepted"))
        body = i18n.translate(
            language,
            N_("Your request for %(count)s instalments of %(total)s was accepted. Please pay on these days:"),
            count=len(plan.instalments),
            total=format_minor(plan.total_minor, plan.currency),
        )
        body += "\n\n" + _schedule(plan)
    elif answer == COUNTERED:
        subject = i18n.translate(language, N_("Your request for instalments"))
        body = i18n.translate(
            language,
            N_(
                "We cannot accept your request for instalments as asked, but we propose %(count)s "
                "instalments of %(total)s on these days. Reply to this e-mail or call your account "
                "manager to agree:"
            ),
            count=len(schedule.instalments),
            total=format_minor(schedule.total_minor, schedule.currency),
        )
        body += "\n\n" + _schedule(schedule)
    else:
        subject = i18n.translate(language, N_("Your request for instalments"))
        body = i18n.translate(
            language,
            N_(
                "We could not accept your request for instalments as asked. Your account manager will "
                "call you."
            ),
        )
    conn.execute(
        insert(ALERT_MAILS).values(
            key=f"plan-answer:{plan.id}",
            recipient=actor,
            address=address,
            language=language,
            subject=subject,
            body=body + "\n",
            status="pending",
            created_at=now,
            attempts=0,
        )
    )
    told = {"answer": answer, "sent": True, "to": masked(address), "plan": schedule.id}
    audit.record(conn, at=now, actor="system", action="portal.answer", object=f"plan:{plan.id}", after=told)
    return True
