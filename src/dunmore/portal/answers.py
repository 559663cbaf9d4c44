"""Telling the customer the collector's answer to what they asked for in the portal.

A plan asked for in the portal (created by `portal:<customer>`, status proposed) that a collector
accepts (`plans.activate`) or refuses (`plans.cancel`) is answered to the customer by e-mail, in
their language, through the outbox the one-time codes use (`alert_mails`: transactional, not a
dunning notice, so the guard's caps do not apply), in the collector's transaction. The accepted plan
says its schedule; a refusal says an account manager will call — never the collector's own reason,
which stays in the audit log. A customer without an e-mail address on file is not told (audited).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import Connection, insert, select

from dunmore import i18n
from dunmore.access import audit
from dunmore.domain.money import format_minor
from dunmore.i18n import N_
from dunmore.ledger.models import CUSTOMERS
from dunmore.portal.codes import contact_address, masked
from dunmore.workspace.mail_models import ALERT_MAILS
from dunmore.workspace.plan_views import PlanView

ANSWERS: Final = ("accepted", "refused")


def tell_plan_answer(conn: Connection, *, plan: PlanView, answer: str, now: datetime) -> bool:
    """Queue the answer to a plan the customer asked for in the portal; False when the plan was not
    asked for there, or the customer has no e-mail address on file."""
    if answer not in ANSWERS or plan.status != "proposed" or not plan.created_by.startswith("portal:"):
        return False
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
        lines = [
            f"{one.number}. {one.due_on.isoformat()}  {format_minor(one.amount_minor, plan.currency)}"
            for one in plan.instalments
        ]
        body = i18n.translate(
            language,
            N_("Your request for %(count)s instalments of %(total)s was accepted. Please pay on these days:"),
            count=len(plan.instalments),
            total=format_minor(plan.total_minor, plan.currency),
        )
        body += "\n\n" + "\n".join(lines)
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
    audit.record(conn, at=now, actor="system", action="portal.answer", object=f"plan:{plan.id}",
                 after={"answer": answer, "sent": True, "to": masked(address)})  # fmt: skip
    return True
