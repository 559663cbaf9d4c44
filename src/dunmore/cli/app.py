"""The `dunmore` command: the root callback builds the settings; the sub-commands live beside it, one
module per capability (`dunmore.cli.commands.MODULES`), each imported when one of its commands is used."""

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


def main() -> None:
    app()
