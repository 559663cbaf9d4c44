"""The `dunmore` command: the root callback builds the settings; sub-commands live beside it."""

from __future__ import annotations

from typing import Annotated

import typer

from dunmore import __version__
from dunmore.cli.context import AppState, console, reported
from dunmore.cli.language import TranslatedGroup

app = typer.Typer(
    name="dunmore",
    help="Dunmore — accounts-receivable collections (催款 / 催收): ledger, aging, dunning runs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    cls=TranslatedGroup,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"dunmore {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (default: $DUNMORE_DATABASE_URL, then sqlite:///dunmore.db). "
            "PostgreSQL: postgresql://user@host/dbname.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    from dunmore.settings import load_settings  # not for `--help`: pydantic costs a tenth of a second

    with reported():
        ctx.obj = AppState(load_settings() if db is None else load_settings(database_url=db))


def _register() -> None:
    """Sub-commands, one module per capability; imported here so `app` is whole when used."""
    import dunmore.cli.contacts
    import dunmore.cli.contracts
    import dunmore.cli.disputes
    import dunmore.cli.plans
    import dunmore.cli.playbook
    import dunmore.cli.portal
    import dunmore.cli.statements
    import dunmore.cli.webhooks
    import dunmore.cli.worklist
    from dunmore.cli import (
        access,
        activities,
        db,
        delivery,
        demo,
        dunning,
        holds,
        imports,
        portfolios,
        promises,
        reports,
        templates,
        web,
    )
    from dunmore.cli import alerts as alerts_cli
    from dunmore.cli import credit as credit_cli
    from dunmore.cli import grades as grades_cli

    demo.register(app)
    imports.register(app)
    db.register(app)
    reports.register(app)
    dunning.register(app)
    delivery.register(app)
    templates.register(app)
    holds.register(app)
    promises.register(app)
    dunmore.cli.disputes.register(app)
    access.register(app)
    portfolios.register(app)
    web.register(app)
    dunmore.cli.webhooks.register(app)
    activities.register(app)
    dunmore.cli.worklist.register(app)
    alerts_cli.register(app)
    dunmore.cli.plans.register(app)
    grades_cli.register(app)
    credit_cli.register(app)
    dunmore.cli.contacts.register(app)
    dunmore.cli.playbook.register(app)
    dunmore.cli.contracts.register(app)
    dunmore.cli.portal.register(app)
    dunmore.cli.statements.register(app)


_register()


def main() -> None:
    app()
