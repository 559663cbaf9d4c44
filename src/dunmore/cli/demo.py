"""`dunmore demo`: build the demo portfolio, run today's dunning, and show what there is.

The command only declares its options; the work (generator, Polars, the database) lives in
`cli/demo_run.py` and loads when the demo runs, not when `dunmore --help` registers the command.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dunmore.cli.context import state


def demo_command(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(min=1, help="How many customers to generate.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same portfolio.")] = 7,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last day of the 12 months of history (default: today).")
    ] = None,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Delete the ledger's documents and runs first (only in a database the demo built).",
        ),
    ] = False,
) -> None:
    """Build a realistic demo portfolio (12 months of history), run the day's dunning, and summarise."""
    from dunmore.cli.demo_run import run_demo

    run_demo(state(ctx), customers=customers, seed=seed, as_of=as_of, reset=reset)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
