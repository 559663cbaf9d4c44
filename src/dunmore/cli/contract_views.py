"""How `dunmore contract add|show` print a contract: a line, then its schedule as a table, or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from dunmore.cli.context import console
from dunmore.cli.language import _

if TYPE_CHECKING:
    from dunmore.credit.contract_reads import ContractView


def as_json_dict(view: ContractView) -> dict[str, Any]:
    latest = view.latest
    return {
        "number": view.number,
        "customer": view.customer,
        "version": latest.version,
        "status": latest.status,
        "title": latest.title,
        "signed_on": latest.signed_on.isoformat(),
        "ends_on": latest.ends_on.isoformat() if latest.ends_on else None,
        "currency": latest.currency,
        "amount": latest.amount,
        "terms": latest.terms,
        "interest_terms": latest.interest_terms,
        "fee_terms": latest.fee_terms,
        "drafted_by": latest.drafted_by,
        "approved_by": latest.approved_by,
        "events": {event.value: on.isoformat() for event, on in view.events.items()},
        "schedule": [
            {
                "line": v.line.seq,
                "part": v.line.label,
                "event_on": v.line.event_on.isoformat() if v.line.event_on else None,
                "due_on": v.line.due_on.isoformat() if v.line.due_on else None,
                "amount": v.amount,
                "remainder": v.remainder,
                "invoice": v.invoice,
            }
            for v in view.lines
        ],
        "files": [{"filename": f.filename, "sha256": f.sha256, "size": f.size} for f in view.files],
    }


def shown(view: ContractView) -> None:
    latest = view.latest
    console.print(
        _(
            "%(number)s of %(customer)s, version %(version)s (%(status)s): %(amount)s %(currency)s, "
            "%(terms)s",
            number=view.number,
            customer=view.customer,
            version=latest.version,
            status=latest.status,
            amount=latest.amount,
            currency=latest.currency,
            terms=latest.terms,
        ),
        highlight=False,
    )
    table = Table(_("line"), _("part"), _("event"), _("due"), _("amount"), _("invoice"))
    for v in view.lines:
        amount = (
            v.amount
            if not v.line.remainder_minor
            else _("%(amount)s (remainder %(rest)s)", amount=v.amount, rest=v.remainder)
        )
        due = (
            v.line.due_on.isoformat()
            if v.line.due_on
            else _("when %(event)s is recorded", event=v.line.event.value)
        )
        table.add_row(
            str(v.line.seq),
            v.line.label,
            v.line.event_on.isoformat() if v.line.event_on else "",
            due,
            amount,
            v.invoice or "",
        )
    console.print(table)
