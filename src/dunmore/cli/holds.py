"""`dunmore hold|release|cease-contact|resume-contact`: what a collector sets between runs (`dunmore dispute`
is in `dunmore.cli.disputes`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dunmore.cli.context import cli_actor, console, reported, state, transaction
from dunmore.cli.language import _

Customer = Annotated[str, typer.Argument(help="The customer id of your ERP, as imported (e.g. C000016).")]
Invoice = Annotated[
    str | None,
    typer.Option("--invoice", help="Only this invoice (its number in your ERP), not the customer."),
]


def _now() -> datetime:
    return datetime.now(UTC)


def _cancelled(count: int) -> str:
    if count == 1:
        return _("1 pending delivery cancelled")
    return _("%(count)s pending deliveries cancelled", count=count)


def hold(ctx: typer.Context, customer: Customer, invoice: Invoice = None) -> None:
    """Take a customer (or one of its invoices) out of dunning; its pending deliveries are cancelled."""
    from dunmore.delivery import stops

    with reported(), transaction(state(ctx).engine()) as conn:
        count = stops.hold(conn, customer=customer, invoice=invoice, now=_now(), actor=cli_actor())
    console.print(
        _(
            "%(what)s on hold: no notices; %(cancelled)s",
            what=invoice or customer,
            cancelled=_cancelled(count),
        )
    )


def release(ctx: typer.Context, customer: Customer, invoice: Invoice = None) -> None:
    """End a hold: the next run duns the customer (or the invoice) again."""
    from dunmore.delivery import stops

    with reported(), transaction(state(ctx).engine()) as conn:
        stops.release(conn, customer=customer, invoice=invoice, now=_now(), actor=cli_actor())
    console.print(_("%(what)s released: the next run includes it", what=invoice or customer))


def cease_contact(ctx: typer.Context, customer: Customer) -> None:
    """The debtor asked not to be contacted: from now on only letters (settings:
    delivery.cease_contact_channels) go out to it; other pending deliveries are cancelled."""
    from dunmore.delivery import stops

    app = state(ctx)
    keep = app.settings.delivery.cease_contact_channels
    with reported(), transaction(app.engine()) as conn:
        count = stops.cease_contact(conn, customer=customer, keep=keep, now=_now(), actor=cli_actor())
    only = ", ".join(keep) if keep else "nothing"
    console.print(
        _(
            "%(customer)s: contact stopped, %(only)s only; %(cancelled)s",
            customer=customer,
            only=only,
            cancelled=_cancelled(count),
        )
    )


def resume_contact(ctx: typer.Context, customer: Customer) -> None:
    """Lift a cease-contact request (record why in your notes: the debtor's consent)."""
    from dunmore.delivery import stops

    with reported(), transaction(state(ctx).engine()) as conn:
        stops.resume_contact(conn, customer=customer, now=_now(), actor=cli_actor())
    console.print(_("%(customer)s: contact resumed", customer=customer))


def register(app: typer.Typer) -> None:
    for command in (hold, release):
        app.command(command.__name__)(command)
    app.command("cease-contact")(cease_contact)
    app.command("resume-contact")(resume_contact)
