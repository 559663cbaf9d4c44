"""What a collector sets on a customer or an invoice between runs: holds, disputes, cease-contact.

A hold takes the customer (or one invoice) out of dunning; a dispute takes the disputed amount out of
every sum (the database stamps when it grew); cease-contact leaves only the channels the settings
allow (letters) for that debtor. What each does to the pending deliveries, in the same transaction,
is `dunmore.delivery.stops`: the functions the interfaces call, which also audit each change.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update

from dunmore.domain.money import Money
from dunmore.errors import AmountError, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS, INVOICES


@dataclass(frozen=True)
class Change:
    """What a setting was and became, for the audit log; `customer_id` is the customer's row id and
    `customer` its id in the ERP (the invoice's customer, for an invoice)."""

    customer_id: int
    customer: str
    before: dict[str, Any]
    after: dict[str, Any]


def set_customer(conn: Connection, external_id: str, *, on_hold: bool | None = None,
                 cease_contact: bool | None = None) -> Change:  # fmt: skip
    """Hold or release a customer, stop or resume contacting it."""
    values = {
        name: value
        for name, value in (("on_hold", on_hold), ("cease_contact", cease_contact))
        if value is not None
    }
    c = CUSTOMERS.c
    row = conn.execute(
        select(c.id, *(c[name] for name in values)).where(c.external_id == external_id)
    ).first()
    if row is None:
        raise NotFound(
            _m(
                "no customer %(customer)s: use the customer id of your ERP, as imported",
                customer=repr(external_id),
            )
        )
    conn.execute(update(CUSTOMERS).where(c.id == row.id).values(values))
    before = {name: bool(row._mapping[name]) for name in values}
    return Change(int(row.id), external_id, before, values)


def set_invoice(conn: Connection, external_id: str, *, on_hold: bool | None = None,
                disputed: Decimal | None = None) -> Change:  # fmt: skip
    """Hold or release an invoice; set the amount of it the customer disputes (0 ends the dispute).
    The amounts in the change are decimal text in the invoice's currency (`"120.00"`)."""
    i = INVOICES.c
    row = conn.execute(
        select(
            i.id,
            i.customer_id,
            i.currency,
            i.amount_minor,
            i.on_hold,
            i.disputed_minor,
            CUSTOMERS.c.external_id,
        )
        .join(CUSTOMERS, CUSTOMERS.c.id == i.customer_id)
        .where(i.external_id == external_id)
    ).first()
    if row is None:
        raise NotFound(
            _m(
                "no invoice %(invoice)s: use the invoice number of your ERP, as imported",
                invoice=repr(external_id),
            )
        )
    values: dict[str, object] = {} if on_hold is None else {"on_hold": on_hold}
    before: dict[str, Any] = {} if on_hold is None else {"on_hold": bool(row.on_hold)}
    after: dict[str, Any] = dict(values)
    if disputed is not None:
        minor = Money.of(disputed, row.currency).minor
        if not 0 <= minor <= row.amount_minor:
            amount = Money(row.amount_minor, row.currency)
            raise AmountError(
                _m(
                    "a disputed amount is between 0 and the invoice's amount %(amount)s, not %(disputed)s",
                    amount=str(amount),
                    disputed=str(disputed),
                )
            )
        values["disputed_minor"] = minor
        before["disputed"] = _amount(row.disputed_minor or 0, row.currency)
        after |= {"disputed": _amount(minor, row.currency), "currency": row.currency}
    conn.execute(update(INVOICES).where(i.id == row.id).values(values))
    return Change(int(row.customer_id), row.external_id, before, after)


def _amount(minor: int, currency: str) -> str:
    return str(Money(minor, currency).amount)
