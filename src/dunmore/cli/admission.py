"""`dunmore credit apply|applications|approve|reject|attach|signal|orders`: credit admission for new
customers and higher limits (maker–checker), external risk signals and the open orders that count
in a credit check (docs/credit.md). Commands act in the name of `--by` (default: your login name);
the audit log names the person at the terminal, `cli:<os user>`."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dunmore.cli.context import cli_actor, console, os_user, parse_as_of, reported, state, transaction
from dunmore.cli.credit import credit_app
from dunmore.cli.grades import Customer
from dunmore.cli.language import _

Number = Annotated[int, typer.Argument(help="The application's number, as `credit apply` printed it.", min=1)]
By = Annotated[str | None, typer.Option("--by", help="Who acts, as recorded (default: your login name).")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]


def _now() -> datetime:
    return datetime.now(UTC)


def _amount(text: str | None) -> Decimal | None:
    from dunmore.domain.money import parse_decimal

    return None if text is None else parse_decimal(text)


@credit_app.command("apply")
def apply(
    ctx: typer.Context,
    customer: Customer,
    limit: Annotated[str, typer.Option("--limit", help="The credit limit proposed, e.g. 300000.00.")],
    terms: Annotated[
        str, typer.Option("--terms", help='The payment terms proposed, e.g. "net 30" or "eom 15".')
    ],
    currency: Annotated[
        str | None, typer.Option("--currency", help="The limit's currency (default: the customer's).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="new (credit for a new customer: grade N until approved) or increase (a higher limit); "
            "default: increase when the customer has a limit or invoices, else new.",
        ),
    ] = None,
    registry: Annotated[
        str, typer.Option("--registry", help="Company registry data: registration number, legal person, …")
    ] = "",
    years: Annotated[int | None, typer.Option("--years", help="Years in business.", min=0, max=300)] = None,
    capital: Annotated[
        str | None, typer.Option("--capital", help="Registered capital, in the limit's currency.")
    ] = None,
    references: Annotated[str, typer.Option("--references", help="Trade or bank references.")] = "",
    report_agency: Annotated[
        str | None, typer.Option("--report-agency", help="Who issued the external credit report.")
    ] = None,
    report_score: Annotated[
        int | None, typer.Option("--report-score", help="The external credit report's score (0–1000).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Anything else the manager should know.")] = "",
    by: By = None,
) -> None:
    """Draft a credit application: the facts, a proposed limit and terms; a manager decides it."""
    from dunmore.credit import admission

    with reported():
        facts = admission.Facts(
            registry, years, _amount(capital), references, report_agency, report_score, note
        )
        proposed = _amount(limit)
        assert proposed is not None
        with transaction(state(ctx).engine()) as conn:
            number = admission.apply(
                conn,
                customer=customer,
                limit=proposed,
                currency=currency,
                terms=terms,
                facts=facts,
                kind=kind,
                by=by or os_user(),
                actor=cli_actor(),
                now=_now(),
            )
    console.print(
        _("credit application %(number)s drafted for %(customer)s", number=number, customer=customer)
    )


@credit_app.command("applications")
def applications(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="draft, approved or rejected.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's.")] = None,
    as_json: AsJson = False,
) -> None:
    """The credit applications, newest first."""
    from dunmore.credit import admission
    from dunmore.domain.money import format_minor

    with reported(), transaction(state(ctx).engine()) as conn:
        found = admission.applications(conn, status=status, customer=customer)
    if as_json:
        rows = []
        for a in found:
            row = asdict(a) | {"limit": format_minor(a.limit_minor, a.currency)}
            rows.append(row)
        print(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    table = Table(_("number"), _("customer"), _("kind"), _("status"), _("limit"), _("terms"), _("drafted by"))
    for a in found:
        limit = f"{format_minor(a.limit_minor, a.currency)} {a.currency}"
        table.add_row(str(a.id), a.customer, a.kind, a.status, limit, a.terms, a.drafted_by)
    console.print(table)


@credit_app.command("approve")
def approve(
    ctx: typer.Context,
    number: Number,
    reason: Annotated[str, typer.Option("--reason", help="Why (optional for an approval).")] = "",
    by: Annotated[
        str | None, typer.Option("--by", help="The manager who approves (a login); not who drafted it.")
    ] = None,
) -> None:
    """Approve a credit application: the customer's credit limit becomes the one proposed."""
    _decide(ctx, number, approve=True, reason=reason, by=by)


@credit_app.command("reject")
def reject(
    ctx: typer.Context,
    number: Number,
    reason: Annotated[str, typer.Option("--reason", help="Why the application is rejected (audited).")],
    by: Annotated[
        str | None, typer.Option("--by", help="The manager who rejects (a login); not who drafted it.")
    ] = None,
) -> None:
    """Reject a credit application, with a reason."""
    _decide(ctx, number, approve=False, reason=reason, by=by)


def _decide(ctx: typer.Context, number: int, *, approve: bool, reason: str, by: str | None) -> None:
    from dunmore.credit import admission

    with reported(), transaction(state(ctx).engine()) as conn:
        admission.decide(
            conn,
            number=number,
            approve=approve,
            reason=reason,
            by=by or os_user(),
            actor=cli_actor(),
            now=_now(),
        )
    if approve:
        console.print(_("credit application %(number)s approved", number=number))
    else:
        console.print(_("credit application %(number)s rejected", number=number))


@credit_app.command("attach")
def attach(
    ctx: typer.Context,
    number: Number,
    file: Annotated[
        Path,
        typer.Argument(help="A financial statement or other paper: PDF, PNG, JPEG or WebP, at most 10 MiB."),
    ],
    by: By = None,
) -> None:
    """Keep a paper with a draft credit application, with its SHA-256."""
    from dunmore.cli.contracts import _read
    from dunmore.credit import admission
    from dunmore.workspace.activities import Upload

    with reported():
        content = _read(file)
        with transaction(state(ctx).engine()) as conn:
            kept = admission.attach(
                conn,
                number=number,
                upload=Upload(file.name, content),
                by=by or os_user(),
                actor=cli_actor(),
                now=_now(),
            )
    console.print(_("%(file)s kept, SHA-256 %(sha256)s", file=kept.filename, sha256=kept.sha256))


@credit_app.command("signal")
def signal(
    ctx: typer.Context,
    customer: Customer,
    kind: Annotated[str, typer.Option("--kind", help="lawsuit, negative-news, insolvency or other.")],
    on: Annotated[str, typer.Option("--date", help="When it happened (YYYY-MM-DD).")],
    note: Annotated[str, typer.Option("--note", help="What happened, and where it was learnt.")] = "",
    by: By = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The business date (YYYY-MM-DD); default: today.")
    ] = None,
) -> None:
    """Record an external risk signal: the owner and managers are alerted; insolvency sets a credit hold."""
    from dunmore.credit import signals

    app = state(ctx)
    with reported():
        happened = parse_as_of(on, app.settings)
        today: date = parse_as_of(as_of, app.settings)
        with transaction(app.engine()) as conn:
            done = signals.record(
                conn,
                customer=customer,
                kind=kind,
                happened_on=happened,
                note=note,
                by=by or os_user(),
                actor=cli_actor(),
                today=today,
                now=_now(),
            )
    console.print(
        _("risk signal recorded for %(customer)s: %(alerts)s alerts", customer=customer, alerts=done.alerts)
    )
    if done.hold_set:
        console.print(_("%(customer)s is on credit hold", customer=customer))


@credit_app.command("orders")
def orders(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX file of the open orders not invoiced yet.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the whole file; write nothing.")] = False,
    encoding: Annotated[
        str, typer.Option("--encoding", help="auto, utf-8, utf-8-sig, gb18030 or big5 (CSV only).")
    ] = "auto",
    sheet: Annotated[str | None, typer.Option("--sheet", help="The XLSX sheet (default: the first).")] = None,
) -> None:
    """Import the uninvoiced open orders (replacing those stored): they count in credit checks."""
    from dunmore.credit.orders import import_orders

    with reported(), transaction(state(ctx).engine()) as conn:
        done = import_orders(
            conn, file, actor=cli_actor(), now=_now(), encoding=encoding, sheet=sheet, dry_run=dry_run
        )
    console.print(
        _(
            "%(file)s: %(orders)s open orders (%(replaced)s before)",
            file=done.file,
            orders=done.orders,
            replaced=done.replaced,
        )
    )
