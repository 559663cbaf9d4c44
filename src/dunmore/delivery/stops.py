"""What a collector sets between runs, with its effect on the outbox in the same transaction.

A hold (of a customer or one invoice) and a new dispute make the pending deliveries of the notices
they touch wrong; a cease-contact request leaves only the channels the settings allow (letters).
Each function here records the change on the ledger (`dunmore.ledger.holds`) and cancels those
deliveries at once, so that nothing the collector stopped is still `pending` when a worker next
looks; each returns how many it cancelled. The CLI calls these, and so will the web application.
The worker's guard still checks the same before every send, for holds that arrive by import.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from dunmore.delivery import outbox
from dunmore.ledger import holds


def hold(conn: Connection, *, customer: str, invoice: str | None = None, now: datetime) -> int:
    """Take a customer, or one invoice (`invoice`), out of dunning; cancels the pending deliveries of
    its notices and returns how many."""
    if invoice is None:
        customer_id = holds.set_customer(conn, customer, on_hold=True)
        detail = f"customer {customer} put on hold"
    else:
        customer_id = holds.set_invoice(conn, invoice, on_hold=True)
        detail = f"invoice {invoice} put on hold"
    return outbox.cancel_held(conn, now=now, customers=[customer_id], reason="hold", detail=detail)


def release(conn: Connection, *, customer: str, invoice: str | None = None) -> None:
    """End a hold: the next run duns the customer (or the invoice) again."""
    if invoice is None:
        holds.set_customer(conn, customer, on_hold=False)
    else:
        holds.set_invoice(conn, invoice, on_hold=False)


def dispute(conn: Connection, *, invoice: str, amount: Decimal, now: datetime) -> int:
    """Set the amount of an invoice the customer disputes (0 ends the dispute); when it grew, cancels
    the pending deliveries of the notices listing the invoice and returns how many."""
    customer_id = holds.set_invoice(conn, invoice, disputed=amount)
    detail = f"invoice {invoice} disputed ({amount}) after the notice"
    return outbox.cancel_held(conn, now=now, customers=[customer_id], reason="dispute", detail=detail)


def cease_contact(conn: Connection, *, customer: str, keep: Collection[str], now: datetime) -> int:
    """The debtor asked not to be contacted: only the channels in `keep` (the settings'
    `delivery.cease_contact_channels`) go on; cancels its other pending deliveries, returns how many."""
    customer_id = holds.set_customer(conn, customer, cease_contact=True)
    detail = f"customer {customer} asked not to be contacted"
    return outbox.cancel_ceased(conn, now=now, customers=[customer_id], keep=keep, detail=detail)


def resume_contact(conn: Connection, *, customer: str) -> None:
    """Lift a cease-contact request."""
    holds.set_customer(conn, customer, cease_contact=False)
