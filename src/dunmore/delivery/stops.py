"""What a collector sets between runs, with its effect on the outbox in the same transaction.

A hold (of a customer or one invoice) and a new dispute make the pending deliveries of the notices
they touch wrong; a cease-contact request leaves only the channels the settings allow (letters).
Each function here records the change on the ledger (`dunmore.ledger.holds`) and cancels those
deliveries at once, so that nothing the collector stopped is still `pending` when a worker next
looks; each returns how many it cancelled. Each change is one audit row in `actor`'s name, on
`customer:<id>` or `invoice:<id>` (ERP ids), before and after. The CLI calls these, and so will the
web application. The worker's guard still checks the same before every send, for holds that
arrive by import.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from dunmore.access import audit
from dunmore.delivery import outbox
from dunmore.i18n import _m
from dunmore.ledger import holds
from dunmore.webhooks import emit as webhooks


def _audit(conn: Connection, change: holds.Change, *, action: str, object: str, now: datetime,
           actor: str, **after: Any) -> None:  # fmt: skip
    about = {"customer": change.customer} if object.startswith("invoice:") else {}
    audit.record(conn, at=now, actor=actor, action=action, object=object, before=change.before,
                 after=about | change.after | after)  # fmt: skip


def hold(conn: Connection, *, customer: str, invoice: str | None = None, now: datetime, actor: str) -> int:
    """Take a customer, or one invoice (`invoice`), out of dunning; cancels the pending deliveries of
    its notices and returns how many."""
    if invoice is None:
        change = holds.set_customer(conn, customer, on_hold=True)
        detail = str(_m("customer %(customer)s put on hold", customer=customer))
        action, object = "customer.hold", f"customer:{customer}"
    else:
        change = holds.set_invoice(conn, invoice, on_hold=True)
        detail = str(_m("invoice %(invoice)s put on hold", invoice=invoice))
        action, object = "invoice.hold", f"invoice:{invoice}"
    count = outbox.cancel_held(conn, now=now, customers=[change.customer_id], reason="hold", detail=detail)
    _audit(conn, change, action=action, object=object, now=now, actor=actor, deliveries_cancelled=count)
    return count


def release(
    conn: Connection, *, customer: str, invoice: str | None = None, now: datetime, actor: str
) -> None:
    """End a hold: the next run duns the customer (or the invoice) again."""
    if invoice is None:
        change = holds.set_customer(conn, customer, on_hold=False)
        action, object = "customer.release", f"customer:{customer}"
    else:
        change = holds.set_invoice(conn, invoice, on_hold=False)
        action, object = "invoice.release", f"invoice:{invoice}"
    _audit(conn, change, action=action, object=object, now=now, actor=actor)


def dispute(conn: Connection, *, invoice: str, amount: Decimal, now: datetime, actor: str) -> int:
    """Set the amount of an invoice the customer disputes (0 ends the dispute); when it grew, cancels
    the pending deliveries of the notices listing the invoice and returns how many."""
    change = holds.set_invoice(conn, invoice, disputed=amount)
    detail = str(
        _m("invoice %(invoice)s disputed (%(amount)s) after the notice", invoice=invoice, amount=amount)
    )
    count = outbox.cancel_held(conn, now=now, customers=[change.customer_id], reason="dispute", detail=detail)
    _audit(conn, change, action="invoice.dispute", object=f"invoice:{invoice}", now=now, actor=actor,
           deliveries_cancelled=count)  # fmt: skip
    if Decimal(change.before["disputed"]) == 0 < Decimal(change.after["disputed"]):
        data = {"invoice": invoice, "customer": change.customer, "currency": change.after["currency"],
                "disputed": change.after["disputed"], "deliveries_cancelled": count}  # fmt: skip
        webhooks.emit(conn, "dispute.opened", lambda: [data], now=now)
    return count


def cease_contact(
    conn: Connection, *, customer: str, keep: Collection[str], now: datetime, actor: str
) -> int:
    """The debtor asked not to be contacted: only the channels in `keep` (the settings'
    `delivery.cease_contact_channels`) go on; cancels its other pending deliveries, returns how many."""
    change = holds.set_customer(conn, customer, cease_contact=True)
    detail = str(_m("customer %(customer)s asked not to be contacted", customer=customer))
    count = outbox.cancel_ceased(conn, now=now, customers=[change.customer_id], keep=keep, detail=detail)
    _audit(conn, change, action="customer.cease_contact", object=f"customer:{customer}", now=now, actor=actor,
           channels_kept=sorted(keep), deliveries_cancelled=count)  # fmt: skip
    return count


def resume_contact(conn: Connection, *, customer: str, now: datetime, actor: str) -> None:
    """Lift a cease-contact request."""
    change = holds.set_customer(conn, customer, cease_contact=False)
    _audit(
        conn, change, action="customer.resume_contact", object=f"customer:{customer}", now=now, actor=actor
    )
