"""`dunmore aging`: open amounts by days past due."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dunmore.cli.context import console, parse_as_of, reported, state
from dunmore.cli.language import _
from dunmore.domain.aging import DEFAULT_BOUNDS, buckets, parse_bounds
from dunmore.errors import DunmoreError
from dunmore.i18n import _m

if TYPE_CHECKING:  # Polars and the database load when the report is made, not for `--help`
    from dunmore.reports.aging import AgingReport


class By(StrEnum):
    currency = "currency"
    customer = "customer"


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


DEFAULT_BOUNDS_TEXT = ",".join(map(str, DEFAULT_BOUNDS))


class OutputMissing(DunmoreError):
    code = "output_missing"
    exit_code = 2


def show_aging(report: AgingReport, *, limit: int) -> None:
    """Print the report as Rich tables: the rows (at most `limit`) and the totals per currency."""
    from dunmore.cli.headings import heading
    from dunmore.reports.render import rich_buckets_table, rich_table

    if report.totals.is_empty():
        console.print(_("no open items as of %(date)s", date=report.as_of.isoformat()))
        return
    money = [*report.labels, "total"]
    title = _("Aging as of %(date)s (by %(by)s)", date=report.as_of.isoformat(), by=heading(report.by))
    if report.by == "customer":
        shown = report.rows.sort("total", descending=True).head(limit)
        console.print(rich_table(shown, title=title, money=money, heading=heading))
        if report.rows.height > limit:
            shown_text = _(
                "showing the %(limit)s largest of %(count)s rows; --format csv for all",
                limit=limit,
                count=report.rows.height,
            )
            console.print(f"[dim]{shown_text}[/]")
        title = _("Totals per currency")
    console.print(rich_buckets_table(report.totals, title=title, labels=report.labels, heading=heading))


def _json(report: AgingReport) -> str:
    from dunmore.reports.render import to_json, to_json_records

    money = [*report.labels, "total"]
    payload = {
        "as_of": report.as_of.isoformat(),
        "by": report.by,
        "buckets": report.labels,
        "rows": to_json_records(report.rows, money=money),
        "totals": to_json_records(report.totals, money=money),
    }
    return to_json(payload)


def _refuse_missing_folder(output: Path | None) -> None:
    """Say so before the work, not with a traceback after it, when -o names a folder that is not there."""
    if output is not None and not output.parent.is_dir():
        raise OutputMissing(
            _m(
                "cannot write %(path)s: folder %(folder)s does not exist; create it or give another -o",
                path=str(output),
                folder=str(output.parent),
            )
        )


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(_("wrote %(file)s", file=output), markup=False)


def aging_command(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The date to age at, YYYY-MM-DD (default: today).")
    ] = None,
    by: Annotated[By, typer.Option(help="One row per currency, or per customer and currency.")] = By.currency,
    output_format: Annotated[
        Format, typer.Option("--format", help="How to print the report.")
    ] = Format.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (required for xlsx).")
    ] = None,
    bucket_bounds: Annotated[
        str,
        typer.Option("--buckets", help="Upper bounds of the overdue buckets in days, comma-separated."),
    ] = DEFAULT_BOUNDS_TEXT,
    limit: Annotated[int, typer.Option(help="With --by customer and --format table: rows to show.")] = 50,
) -> None:
    """Open amounts by bucket of days past due, as of a date; each currency apart, never summed."""
    from dunmore.reports.aging import aging_report
    from dunmore.reports.render import to_csv, write_xlsx

    with reported():
        day = parse_as_of(as_of, state(ctx).settings)
        chosen = buckets(parse_bounds(bucket_bounds))
        _refuse_missing_folder(output)
        with state(ctx).engine().connect() as conn:
            report = aging_report(conn, as_of=day, buckets=chosen, by=by.value)
        money = [*report.labels, "total"]
        if output_format is Format.table:
            show_aging(report, limit=limit)
        elif output_format is Format.csv:
            _write(to_csv(report.rows, money=money), output)
        elif output_format is Format.json:
            _write(_json(report) + "\n", output)
        else:
            if output is None:
                raise OutputMissing(_m("--format xlsx needs --output FILE.xlsx"))
            write_xlsx(output, {"aging": report.rows, "totals": report.totals}, money=money)
            console.print(_("wrote %(file)s", file=output), markup=False)


def register(app: typer.Typer) -> None:
    app.command("aging")(aging_command)
