"""`dunmore hold|release|dispute|cease-contact|resume-contact`: what a collector sets between runs."""

from __future__ import annotations

from typing import Annotated

import typer

from dunmore.cli.context import console, reported, state
from dunmore.domain.money import parse_decimal
from dunmore.ledger import holds
from dunmore.store.db import transaction

Customer = Annotated[str, typer.Argument(help="The customer id of your ERP, as imported (e.g. C000016).")]
Invoice = Annotated[
    str | None,
    typer.Option("--invoice", help="Only this invoice (its number in your ERP), not the customer."),
]


def hold(ctx: typer.Context, customer: Customer, invoice: Invoice = None) -> None:
    """Take a customer (or one of its invoices) out of dunning; its pending deliveries are cancelled."""
    _set(ctx, customer, invoice, on_hold=True)
    console.print(f"{invoice or customer} on hold: no notices, and pending deliveries will not go out")


def release(ctx: typer.Context, customer: Customer, invoice: Invoice = None) -> None:
    """End a hold: the next run duns the customer (or the invoice) again."""
    _set(ctx, customer, invoice, on_hold=False)
    console.print(f"{invoice or customer} released: the next run includes it")


def _set(ctx: typer.Context, customer: str, invoice: str | None, *, on_hold: bool) -> None:
    with reported(), transaction(state(ctx).engine()) as conn:
        if invoice is None:
            holds.set_customer(conn, customer, on_hold=on_hold)
        else:
            holds.set_invoice(conn, invoice, on_hold=on_hold)


def dispute(
    ctx: typer.Context,
    invoice: Annotated[str, typer.Argument(help="The invoice number of your ERP.")],
    amount: Annotated[str, typer.Argument(help="The disputed amount in the invoice's currency; 0 ends it.")],
) -> None:
    """Record the amount of an invoice the customer disputes: it leaves every sum, and the pending
    deliveries of notices listing the invoice are cancelled."""
    with reported(), transaction(state(ctx).engine()) as conn:
        holds.set_invoice(conn, invoice, disputed=parse_decimal(amount))
    console.print(f"invoice {invoice}: {amount} disputed")


def cease_contact(ctx: typer.Context, customer: Customer) -> None:
    """The debtor asked not to be contacted: from now on only letters (settings:
    delivery.cease_contact_channels) go out to it; other pending deliveries are cancelled."""
    with reported(), transaction(state(ctx).engine()) as conn:
        holds.set_customer(conn, customer, cease_contact=True)
    console.print(f"{customer}: contact stopped, letters only")


def resume_contact(ctx: typer.Context, customer: Customer) -> None:
    """Lift a cease-contact request (record why in your notes: the debtor's consent)."""
    with reported(), transaction(state(ctx).engine()) as conn:
        holds.set_customer(conn, customer, cease_contact=False)
    console.print(f"{customer}: contact resumed")


def register(app: typer.Typer) -> None:
    for command in (hold, release, dispute):
        app.command(command.__name__)(command)
    app.command("cease-contact")(cease_contact)
    app.command("resume-contact")(resume_contact)
