"""`dunmore portfolios …`: which customers each portfolio holds, and moving them — by rules, by hand,
or when a collector leaves. Changes are made in the name of `cli:<os user>`, one audit row each."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dunmore.cli.context import cli_actor, console, parse_as_of, reported, state, transaction
from dunmore.cli.language import _
from dunmore.errors import BadArgument, InputFileError
from dunmore.i18n import _m

if TYPE_CHECKING:  # the services load when a command runs, not for `--help`
    from dunmore.access.portfolios import Moved

portfolios_app = typer.Typer(
    help="Portfolios: the books of customers collectors work; assign customers by rules or by hand.",
    no_args_is_help=True,
)
FILE_MAX = 1_000_000  # bytes of a rules file or a customers file

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="The date whose overdue amounts the rules read, YYYY-MM-DD (default: today)."
    ),
]


def _now() -> datetime:
    return datetime.now(UTC)


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > FILE_MAX:
            raise InputFileError(
                _m("%(path)s is larger than %(most)s bytes: split it", path=str(path), most=FILE_MAX)
            )
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(_m("cannot read %(path)s: %(reason)s", path=str(path), reason=str(exc))) from exc


def _show(moved: Moved) -> None:
    from rich.table import Table

    if not moved.transfers:
        console.print(_("no customer changes portfolio"))
        return
    table = Table(_("from"), _("to"), _("customers"))
    for transfer in moved.transfers:
        table.add_row(transfer.source, transfer.target, str(transfer.customers))
    console.print(table)
    if moved.applied:
        console.print(_("%(count)s customers moved", count=moved.customers))
    else:
        console.print(
            _("dry run: %(count)s customers would move, nothing was changed", count=moved.customers)
        )


@portfolios_app.command("assign")
def assign(
    ctx: typer.Context,
    rules: Annotated[
        Path, typer.Option("--rules", help="The YAML file of ordered rules (see docs/portfolios.md).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show who would move where; change nothing.")
    ] = False,
    as_of: AsOf = None,
) -> None:
    """Place every customer by the rules, first match wins; customers no rule matches go to the
    default portfolio (or stay, without one)."""
    from dunmore.access import portfolios
    from dunmore.domain.portfolio_rules import read_rules

    with reported():
        read = read_rules(_read(rules), str(rules))
        day = parse_as_of(as_of, state(ctx).settings)
        with transaction(state(ctx).engine()) as conn:
            moved = portfolios.assign(
                conn, rules=read, as_of=day, dry_run=dry_run, actor=cli_actor(), at=_now()
            )
    _show(moved)


def _codes_of(customers: str | None, file: Path | None) -> list[str] | None:
    """The customer codes of `--customers C1,C2` or of the first column of a CSV file (a header
    line `customer_id` or `客户编号` is skipped)."""
    if customers is not None:
        return [code for code in customers.split(",") if code.strip()]
    if file is None:
        return None
    rows = [row[0].strip() for row in csv.reader(io.StringIO(_read(file))) if row and row[0].strip()]
    if rows and rows[0].lower() in ("customer_id", "customer", "code", "客户编号", "客戶編號"):
        rows = rows[1:]
    return rows


@portfolios_app.command("move")
def move(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="The portfolio the customers go to.")],
    customers: Annotated[
        str | None, typer.Option("--customers", help="Customer codes, comma-separated: C1,C2,…")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--from", help="Move every customer of this portfolio.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A CSV file whose first column holds the customer codes.")
    ] = None,
) -> None:
    """Move customers by hand, in bulk: those named, those of a file, or a whole portfolio."""
    from dunmore.access import portfolios

    with reported():
        if sum(given is not None for given in (customers, source, file)) != 1:
            raise BadArgument(_m("give exactly one of --customers, --from and --file"))
        codes = _codes_of(customers, file)
        with transaction(state(ctx).engine()) as conn:
            moved = portfolios.move(conn, to=to, codes=codes, source=source, actor=cli_actor(), at=_now())
    _show(moved)


@portfolios_app.command("reassign")
def reassign(
    ctx: typer.Context,
    from_user: Annotated[str, typer.Option("--from-user", help="The login of the collector who leaves.")],
    to_user: Annotated[str, typer.Option("--to-user", help="The login of the collector who takes over.")],
) -> None:
    """A collector leaves: their portfolios go to another collector, and the customers they own get
    the new owner."""
    from dunmore.access import portfolios

    with reported(), transaction(state(ctx).engine()) as conn:
        done = portfolios.reassign(conn, source=from_user, target=to_user, actor=cli_actor(), at=_now())
    console.print(
        _(
            "%(target)s now works %(portfolios)s and owns %(count)s customers of %(source)s",
            target=done.target,
            portfolios=", ".join(done.portfolios) or "-",
            count=done.customers,
            source=done.source,
        )
    )


@portfolios_app.command("list")
def list_portfolios(ctx: typer.Context, as_of: AsOf = None) -> None:
    """The portfolios: their customers, overdue amounts per currency and collectors."""
    from rich.table import Table

    from dunmore.access import portfolios
    from dunmore.domain.money import format_minor

    with reported():
        day = parse_as_of(as_of, state(ctx).settings)
        with transaction(state(ctx).engine()) as conn:
            found = portfolios.list_portfolios(conn, as_of=day, actor=cli_actor())
    table = Table(_("portfolio"), _("customers"), _("overdue"), _("collectors"))
    for row in found:
        overdue = "\n".join(
            f"{format_minor(amount, currency)} {currency}" for currency, amount in row.overdue.items()
        )
        table.add_row(row.name, str(row.customers), overdue or "-", ", ".join(row.collectors) or "-")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(portfolios_app, name="portfolios")
