"""Contract due dates in the customer owner's calendar (`workspace.calendar`): each open invoice an
approved schedule made, on its due date, so that the owner sees a milestone coming before the
debtor's reminders start. Only the owner's customers within their reach; lines still waiting for an
event have no date yet and appear once it is recorded."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from dunmore import i18n
from dunmore.access.permissions import customer_scope
from dunmore.access.values import User
from dunmore.credit.contract_models import CONTRACT_INVOICES, CONTRACTS
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.workspace.alert_texts import money_text

if TYPE_CHECKING:
    from dunmore.workspace.calendar import Event


def contract_events(conn: Connection, *, user: User, start: date, end: date, limit: int) -> list[Event]:
    """The open contract invoices of the user's customers due from `start` to `end`."""
    from dunmore.workspace.calendar import Event

    ci, i, k, c = CONTRACT_INVOICES.c, INVOICES.c, CONTRACTS.c, CUSTOMERS.c
    query = (
        select(ci.contract_id, ci.line, k.number, i.due_date, i.open_minor, i.currency, c.external_id, c.name)
        .join(INVOICES, i.id == ci.invoice_id)
        .join(CONTRACTS, k.id == ci.contract_id)
        .join(CUSTOMERS, c.id == k.customer_id)
        .where(
            func.lower(c.owner) == user.login.lower(),
            customer_scope(user),
            i.open_minor > 0,
            i.due_date >= start,
            i.due_date <= end,
        )
        .limit(limit)
    )
    language = user.language.value
    return [
        Event(
            f"contract-{row.contract_id}-{row.line}@dunmore",
            row.due_date,
            "contract",
            i18n.translate(
                language,
                "Contract %(number)s, line %(line)s due: %(amount)s (%(customer)s)",
                number=row.number,
                line=row.line,
                amount=money_text(row.open_minor, row.currency, language),
                customer=f"{row.name} ({row.external_id})",
            ),
            row.external_id,
        )
        for row in conn.execute(query)
    ]
