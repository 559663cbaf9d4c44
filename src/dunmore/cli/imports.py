"""`dunmore import …` and `dunmore export`: the ledger in and out as CSV or XLSX files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dunmore.cli.context import cli_actor, console, reported, stage_progress, state, transaction
from dunmore.cli.language import _
from dunmore.imports.columns import Kind

if TYPE_CHECKING:  # Polars, openpyxl and the database load when a file is imported, not for `--help`
    from dunmore.imports.service import ImportReport

import_app = typer.Typer(
    help="Import customers, invoices, payments or credit notes from a CSV or XLSX file "
    "(导入客户、发票、收款、贷项). The whole file is checked first; one bad row and nothing is written.",
    no_args_is_help=True,
)


class ReadEncoding(StrEnum):
    AUTO = "auto"
    UTF8 = "utf-8"
    UTF8_SIG = "utf-8-sig"
    GB18030 = "gb18030"
    BIG5 = "big5"


class WriteEncoding(StrEnum):
    UTF8 = "utf-8"
    UTF8_SIG = "utf-8-sig"
    GB18030 = "gb18030"


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


FileArgument = Annotated[
    Path, typer.Argument(help="The CSV or XLSX file to import.", show_default=False, dir_okay=False)
]
EncodingOption = Annotated[
    ReadEncoding,
    typer.Option(
        "--encoding",
        help="Encoding of a CSV file; auto tries UTF-8 with BOM, UTF-8, then tells GB18030 from "
        "Big5 (what Excel writes on a simplified or traditional Chinese Windows).",
    ),
]
SheetOption = Annotated[
    str | None, typer.Option("--sheet", help="Sheet of an XLSX file to read (default: the first).")
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Check the file and report what would change, but write nothing.")
]


def _run(
    ctx: typer.Context, kind: Kind, file: Path, encoding: ReadEncoding, sheet: str | None, dry_run: bool
) -> None:
    from dunmore.imports.service import import_file

    with reported():
        engine = state(ctx).engine(create=not dry_run)  # an import may start a new ledger
        with stage_progress() as progress, transaction(engine) as conn:
            report = import_file(conn, kind, file, encoding=encoding.value, sheet=sheet, dry_run=dry_run,
                                 progress=progress, actor=cli_actor(), at=datetime.now(UTC))  # fmt: skip
        _print_report(report)


IMPORT_HELP = {
    Kind.CUSTOMERS: "Import customers (客户) and their primary contacts: customer_id, name, …",
    Kind.INVOICES: "Import invoices (发票): invoice_id, customer_id, issue_date, due_date, amount, …",
    Kind.PAYMENTS: "Import payments (收款): payment_id, customer_id, date, amount, currency[, invoice_id].",
    Kind.CREDIT_NOTES: "Import credit notes (红字发票): credit_note_id, customer_id, date, amount, …",
}


def _import_command(kind: Kind) -> Callable[..., None]:
    """The `dunmore import KIND` command: the same options for every kind of file."""

    def command(
        ctx: typer.Context,
        file: FileArgument,
        encoding: EncodingOption = ReadEncoding.AUTO,
        sheet: SheetOption = None,
        dry_run: DryRunOption = False,
    ) -> None:
        _run(ctx, kind, file, encoding, sheet, dry_run)

    command.__doc__ = IMPORT_HELP[kind]
    return command


for _kind in Kind:
    import_app.command(_kind.value)(_import_command(_kind))


def export_command(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(help="Folder to write the files into (created if missing).", file_okay=False)
    ],
    file_format: Annotated[
        FileFormat, typer.Option("--format", help="File format: csv or xlsx.")
    ] = FileFormat.CSV,
    encoding: Annotated[
        WriteEncoding,
        typer.Option(
            "--encoding", help="Encoding of CSV files; utf-8-sig or gb18030 open directly in Excel."
        ),
    ] = WriteEncoding.UTF8,
) -> None:
    """Export customers, invoices, credit notes and payments in the import format (导出)."""
    from dunmore.imports.export import export_ledger

    with reported():
        engine = state(ctx).engine()
        with transaction(engine) as conn:
            written = export_ledger(conn, directory, file_format=file_format.value, encoding=encoding.value)
        for exported in written:
            # soft_wrap: a path the user copies is never broken across lines, whatever the width
            written_text = _("%(path)s: %(rows)s rows", path=exported.path, rows=exported.rows)
            console.print(written_text, soft_wrap=True, highlight=False)


def _print_report(report: ImportReport) -> None:
    from rich.table import Table

    heading = _(
        "%(kind)s from %(file)s (%(encoding)s)",
        kind="[bold]" + str(report.kind) + "[/]",
        file=report.file,
        encoding=report.encoding,
    )
    console.print(heading, highlight=False)
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("rows", justify="right")
    table.add_row(_("rows read"), str(report.rows_read))
    table.add_row(_("new"), str(report.new))
    table.add_row(_("changed"), str(report.changed))
    table.add_row(_("unchanged"), str(report.unchanged))
    if report.duplicates:
        table.add_row(_("identical duplicates collapsed"), str(report.duplicates))
    if report.blank_rows:
        table.add_row(_("blank rows skipped"), str(report.blank_rows))
    console.print(table)
    if report.dry_run:
        console.print(_("dry run: the file is valid and nothing was written"))
    if report.ignored_columns:
        console.print(
            _("ignored columns: %(columns)s", columns=", ".join(report.ignored_columns)), highlight=False
        )
    _print_settlements(report)


def _print_settlements(report: ImportReport) -> None:
    if not report.settlements:
        return
    from rich.table import Table

    from dunmore.domain.money import format_minor

    table = Table(title=_("allocation"))
    table.add_column(_("currency"))
    for name in (_("amount"), _("allocated"), _("unapplied")):
        table.add_column(name, justify="right")
    for total in report.settlements:
        amounts = (total.amount_minor, total.allocated_minor, total.unapplied_minor)
        table.add_row(total.currency, *(format_minor(minor, total.currency) for minor in amounts))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `dunmore import …` and `dunmore export` to the application."""
    app.add_typer(import_app, name="import")
    app.command("export")(export_command)
