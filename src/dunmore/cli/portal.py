"""`dunmore portal link|revoke`: make a signed link to a customer's portal, or withdraw links."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dunmore.cli.context import cli_actor, console, reported, state, transaction
from dunmore.cli.language import _

portal_app = typer.Typer(
    help="Links to the debtor's portal: make one, or withdraw them.", no_args_is_help=True
)
Customer = Annotated[str, typer.Argument(help="The customer id of your ERP, as imported (e.g. C000016).")]


def _now() -> datetime:
    return datetime.now(UTC)


@portal_app.command("link")
def link(
    ctx: typer.Context,
    customer: Customer,
    days: Annotated[
        int, typer.Option("--days", min=1, max=366, help="How many days the link opens for.")
    ] = 30,
    statement: Annotated[
        int | None, typer.Option("--statement", min=1, help="Also name this statement (its id) in the link.")
    ] = None,
) -> None:
    """Print a signed link that opens CUSTOMER's portal for --days days."""
    from dunmore.portal import links

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        token = links.make_token(
            conn, settings=app.settings, customer=customer, now=_now(), days=days, statement=statement
        )
    console.print(links.url_of(app.settings, token), soft_wrap=True)


@portal_app.command("revoke")
def revoke(
    ctx: typer.Context,
    customer: Customer,
    token: Annotated[
        str | None, typer.Option("--link", help="Only this link (the token after /portal/l/).")
    ] = None,
) -> None:
    """Withdraw every link of CUSTOMER made until now (or only --link): they no longer open."""
    from dunmore.portal import links

    with reported(), transaction(state(ctx).engine()) as conn:
        links.revoke(conn, customer=customer, now=_now(), actor=cli_actor(), token=token)
    console.print(_("%(customer)s: portal links withdrawn", customer=customer))


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
