"""`dunmore contact set`: a contact person's preferred channel and do-not-call / do-not-email
wishes, which the run's channel choice respects (docs/next-steps.md). The command line acts as an
operator who reaches every customer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dunmore.cli.context import console, reported, state, transaction
from dunmore.cli.language import _

contact_app = typer.Typer(help="A contact person's channel wishes.", no_args_is_help=True)


@contact_app.command("set")
def set_(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="The customer id of your ERP, as imported.")],
    contact: Annotated[str, typer.Argument(help="The contact's name or id.")],
    prefer: Annotated[
        str | None,
        typer.Option("--prefer", help="The channel the contact prefers: email, sms, letter, call, or none."),
    ] = None,
    do_not_call: Annotated[
        bool | None, typer.Option("--do-not-call/--may-call", help="Whether the contact may be called.")
    ] = None,
    do_not_email: Annotated[
        bool | None, typer.Option("--do-not-email/--may-email", help="Whether the contact may be e-mailed.")
    ] = None,
) -> None:
    """Record how a contact wishes to be reached: the run sends an e-mail by the preferred SMS or
    letter instead, and sends no call or e-mail the contact refused (the guard still applies)."""
    from dunmore.cli.promises import _operator
    from dunmore.workspace.contacts import ContactWishes, set_wishes

    wishes = ContactWishes(prefer=prefer, do_not_call=do_not_call, do_not_email=do_not_email)
    with reported(), transaction(state(ctx).engine()) as conn:
        view = set_wishes(
            conn,
            user=_operator(),
            customer=customer,
            contact=contact[:200],
            change=wishes,
            now=datetime.now(UTC),
        )
    console.print(
        _(
            "contact %(name)s: prefers %(channel)s; %(call)s; %(email)s",
            name=view.name or view.id,
            channel=view.preferred_channel or "-",
            call=_("not to be called") if view.do_not_call else _("may be called"),
            email=_("not to be e-mailed") if view.do_not_email else _("may be e-mailed"),
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(contact_app, name="contact")
