"""What a collector sets on a customer or an invoice between runs: holds, disputes, cease-contact.

A hold takes the customer (or one invoice) out of dunning; a dispute takes the disputed amount out of
every sum (the database stamps when it grew); cease-contact leaves only the channels the settings
allow (letters) for that debtor. What each does to the pending deliveries, in the same transaction,
is `dunmore.delivery.stops`: the functions the interfaces call.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, select, update

from dunmore.domain.money import Money
from dunmore.errors import AmountError, NotFound
from dunmore.ledger.models import CUSTOMERS, INVOICES


def set_customer(conn: Connection, external_id: str, *, on_hold: bool | None = None,
                 cease_contact: bool | None = None) -> int:  # fmt: skip
    """Hold or release a customer, stop or resume contacting it; returns the customer's id."""
    values = {
        name: value
        for name, value in (("on_hold", on_hold), ("cease_contact", cease_contact))
        if value is not None
    }
    done = conn.execute(
        update(CUSTOMERS)
        .where(CUSTOMERS.c.external_id == external_id)
        .values(values)
        .returning(CUSTOMERS.c.id)
    ).scalar()
    if done is None:
        raise NotFound(f"no customer {external_id!r}: use the customer id of your ERP, as imported")
    return int(done)


def set_invoice(conn: Connection, external_id: str, *, on_hold: bool | None = None,
                disputed: Decimal | None = None) -> int:  # fmt: skip
    """Hold or release an invoice; set the amount of it the customer disputes (0 ends the dispute).
    Returns the id of the invoice's customer."""
    row = conn.execute(
        select(INVOICES.c.id, INVOICES.c.customer_id, INVOICES.c.currency, INVOICES.c.amount_minor).where(
            INVOICES.c.external_id == external_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no invoice {external_id!r}: use the invoice number of your ERP, as imported")
    values: dict[str, object] = {} if on_hold is None else {"on_hold": on_hold}
    if disputed is not None:
        minor = Money.of(disputed, row.currency).minor
        if not 0 <= minor <= row.amount_minor:
            amount = Money(row.amount_minor, row.currency)
            raise AmountError(
                f"a disputed amount is between 0 and the invoice's amount {amount}, not {disputed}"
            )
        values["disputed_minor"] = minor
    conn.execute(update(INVOICES).where(INVOICES.c.id == row.id).values(values))
    return int(row.customer_id)
