"""`dunmore db …`: the database itself."""

from __future__ import annotations

import typer

from dunmore.cli.context import console, reported, state
from dunmore.cli.language import _

db_app = typer.Typer(help="The database: schema upgrades and status.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Bring the database to the newest schema (every command also does this by itself)."""
    from dunmore.store.db import make_engine, upgrade

    with reported():
        engine = make_engine(state(ctx).settings.database_url)
        changed = upgrade(engine)
        console.print(_("upgraded to the newest schema") if changed else _("already at the newest schema"))


@db_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Show the database URL and its schema revision."""
    from dunmore.store.db import current_revision, head_revision

    with reported():
        engine = state(ctx).engine()
        with engine.connect() as conn:
            revision = current_revision(conn)
        url = engine.url.render_as_string(hide_password=True)
        console.print(_("database: %(url)s", url=url), markup=False, highlight=False)
        console.print(
            _("schema: %(revision)s (newest: %(newest)s)", revision=revision, newest=head_revision())
        )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
