"""`dunmore contract add|change|show|list|event|approve|attach|import`: contracts whose payment terms
generate the receivables, approved before they count (docs/contracts.md).

Changes are made in the name of the person at the terminal, `cli:<os user>`, with `--by` naming the
person who drafts or approves (the command line reaches every customer)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from dunmore.cli.context import cli_actor, console, os_user, parse_as_of, reported, state, transaction
from dunmore.cli.contract_views import as_json_dict, shown
from dunmore.cli.language import _
from dunmore.errors import BadArgument
from dunmore.i18n import _m

if TYPE_CHECKING:
    from dunmore.credit.contract_reads import ContractView
    from dunmore.credit.contracts import Says

contract_app = typer.Typer(
    help="Contracts: their payment terms make the schedule that becomes invoices once approved.",
    no_args_is_help=True,
)

Number = Annotated[str, typer.Argument(help="The contract number (1 to 40 letters, digits, . _ -).")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="The business date (YYYY-MM-DD); default: today.")]
By = Annotated[
    str | None, typer.Option("--by", help="Who drafts or records, as recorded (default: your login name).")
]
Title = Annotated[str, typer.Option("--title", help="What the contract is for (at most 200 characters).")]
Signed = Annotated[
    str, typer.Option("--signed", help="The day it was signed (YYYY-MM-DD): the signing event.")
]
Amount = Annotated[str, typer.Option("--amount", help="The contract's amount, e.g. 100000.00.")]
Currency = Annotated[str, typer.Option("--currency", help="Its ISO 4217 currency, e.g. CNY.")]
Terms = Annotated[
    str,
    typer.Option(
        "--terms",
        help="Payment terms: `net 30`, `eom 15`, `instalments 6 every 2m`, or milestones such as "
        "`30% signing; 60% delivery+30d; 10% acceptance+12m`.",
    ),
]
Ends = Annotated[str | None, typer.Option("--ends", help="The day it ends (YYYY-MM-DD), if it says.")]
Interest = Annotated[
    str | None, typer.Option("--interest", help="Its late-payment interest clause, e.g. `0.05% per day`.")
]
Fee = Annotated[
    str | None, typer.Option("--fee", help="Its fee clause: an amount per notice, e.g. `200.00 per notice`.")
]


def _now() -> datetime:
    return datetime.now(UTC)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadArgument(
            _m(
                "%(option)s %(text)s is not a date: write it as YYYY-MM-DD",
                option=option,
                text=repr(text[:40]),
            )
        ) from exc


def _says(
    title: str,
    signed: str,
    amount: str,
    currency: str,
    terms: str,
    ends: str | None,
    interest: str | None,
    fee: str | None,
) -> Says:
    from dunmore.credit.contracts import Says
    from dunmore.domain.money import parse_decimal

    return Says(
        title=title,
        signed_on=_date(signed, "--signed"),
        amount=parse_decimal(amount),
        currency=currency,
        terms=terms,
        ends_on=None if ends is None else _date(ends, "--ends"),
        interest_terms=interest,
        fee_terms=fee,
    )


@contract_app.command("add")
def add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="The customer id of your ERP, as imported.")],
    number: Number,
    title: Title,
    signed: Signed,
    amount: Amount,
    currency: Currency,
    terms: Terms,
    ends: Ends = None,
    interest: Interest = None,
    fee: Fee = None,
    by: By = None,
) -> None:
    """Record a contract: version 1, a draft whose schedule waits for a colleague's approval."""
    from dunmore.credit import contracts

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        contracts.add_contract(
            conn,
            customer=customer,
            number=number,
            says=_says(title, signed, amount, currency, terms, ends, interest, fee),
            by=by or os_user(),
            actor=cli_actor(),
            now=_now(),
        )
        view = _show(conn, number, app.settings.creditor.country)
    console.print(_("contract %(number)s recorded: version 1 waits for approval", number=number))
    shown(view)


@contract_app.command("change")
def change(
    ctx: typer.Context,
    number: Number,
    title: Title,
    signed: Signed,
    amount: Amount,
    currency: Currency,
    terms: Terms,
    ends: Ends = None,
    interest: Interest = None,
    fee: Fee = None,
    by: By = None,
) -> None:
    """A new version of the contract (give every field): it needs approval again; the approved one
    stays in force until then."""
    from dunmore.credit import contracts

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        version = contracts.change_contract(
            conn,
            number=number,
            says=_says(title, signed, amount, currency, terms, ends, interest, fee),
            by=by or os_user(),
            actor=cli_actor(),
            now=_now(),
        )
    console.print(
        _("contract %(number)s: version %(version)s waits for approval", number=number, version=version)
    )


def _show(conn: Any, number: str, country: str) -> ContractView:
    from dunmore.credit import contract_reads

    return contract_reads.show(conn, number=number, country=country)


@contract_app.command("show")
def show(ctx: typer.Context, number: Number, as_json: AsJson = False) -> None:
    """A contract: its latest version, the schedule its terms make and the invoices it became."""
    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        view = _show(conn, number, app.settings.creditor.country)
    if as_json:
        print(json.dumps(as_json_dict(view), ensure_ascii=False, indent=2))
        return
    shown(view)


@contract_app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="draft, approved or superseded.")] = None,
    as_json: AsJson = False,
) -> None:
    """The contracts (500 at most), newest first, with their latest version."""
    from dunmore.credit import contract_reads

    with reported():
        if status is not None and status not in contract_reads.STATUSES:
            raise BadArgument(
                _m("--status %(status)s: give draft, approved or superseded", status=repr(status[:40]))
            )
        with transaction(state(ctx).engine()) as conn:
            found = contract_reads.list_contracts(conn, customer=customer, status=status)
    if as_json:
        rows = [
            {
                "number": s.number,
                "customer": s.customer,
                "title": s.title,
                "amount": s.amount,
                "currency": s.currency,
                "version": s.version,
                "status": s.status,
            }
            for s in found
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(_("contract"), _("customer"), _("title"), _("amount"), _("version"), _("status"))
    for s in found:
        table.add_row(s.number, s.customer, s.title, f"{s.amount} {s.currency}", str(s.version), s.status)
    console.print(table)


@contract_app.command("event")
def event(
    ctx: typer.Context,
    number: Number,
    name: Annotated[str, typer.Argument(help="delivery or acceptance.", metavar="EVENT")],
    on: Annotated[str, typer.Option("--date", help="The day it happened (YYYY-MM-DD).")],
    by: By = None,
) -> None:
    """Record that delivery or acceptance happened: the parts of the terms waiting for it fall due."""
    from dunmore.credit import contracts

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        made = contracts.record_event(
            conn,
            number=number,
            event=name,
            on=_date(on, "--date"),
            by=by or os_user(),
            actor=cli_actor(),
            now=_now(),
            country=app.settings.creditor.country,
        )
    console.print(_("contract %(number)s: %(event)s on %(on)s", number=number, event=name, on=on))
    for invoice in made:
        console.print(_("invoice %(invoice)s issued", invoice=invoice))


@contract_app.command("approve")
def approve(
    ctx: typer.Context,
    number: Number,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who approves (a login; default: your login name); not who drafted it."),
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Approve the contract's draft version: its due lines become invoices the run duns."""
    from dunmore.credit import contract_approval

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        made = contract_approval.approve(
            conn,
            number=number,
            checker=by or os_user(),
            thresholds=app.settings.workspace.contract_approval_minor,
            country=app.settings.creditor.country,
            on=parse_as_of(as_of, app.settings),
            now=_now(),
            actor=cli_actor(),
        )
    console.print(_("contract %(number)s approved", number=number))
    for invoice in made:
        console.print(_("invoice %(invoice)s issued", invoice=invoice))


@contract_app.command("attach")
def attach(
    ctx: typer.Context,
    number: Number,
    file: Annotated[
        Path, typer.Argument(help="The signed contract: a PDF, PNG, JPEG or WebP of at most 10 MiB.")
    ],
    by: By = None,
) -> None:
    """Keep the signed contract with its SHA-256."""
    from dunmore.credit import contracts
    from dunmore.workspace.activities import Upload

    app = state(ctx)
    with reported():
        content = _read(file)
        with transaction(app.engine()) as conn:
            kept = contracts.attach(
                conn,
                number=number,
                upload=Upload(file.name, content),
                by=by or os_user(),
                actor=cli_actor(),
                now=_now(),
            )
    console.print(_("%(file)s kept, SHA-256 %(sha256)s", file=kept.filename, sha256=kept.sha256))


def _read(file: Path) -> bytes:
    from dunmore.workspace.kinds import ATTACHMENT_MAX_BYTES

    try:
        with file.open("rb") as handle:
            return handle.read(ATTACHMENT_MAX_BYTES + 1)
    except OSError as exc:
        raise BadArgument(
            _m("cannot read %(file)s: %(why)s", file=str(file), why=exc.strerror or "")
        ) from exc


@contract_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A CSV or XLSX file, one contract per row (docs/contracts.md).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the whole file and count; write nothing.")
    ] = False,
    encoding: Annotated[
        str, typer.Option("--encoding", help="auto, utf-8, utf-8-sig, gb18030 or big5 (CSV only).")
    ] = "auto",
    sheet: Annotated[str | None, typer.Option("--sheet", help="The XLSX sheet (default: the first).")] = None,
    by: By = None,
) -> None:
    """Import contracts: the whole file is checked first, and nothing is written unless every row is
    good; new numbers become drafts, changed ones new draft versions."""
    from dunmore.credit.contract_import import import_contracts

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        report = import_contracts(
            conn,
            file,
            by=by or os_user(),
            actor=cli_actor(),
            now=_now(),
            encoding=encoding,
            sheet=sheet,
            dry_run=dry_run,
        )
    console.print(
        _(
            "%(file)s: %(rows)s rows, %(new)s new, %(changed)s changed, %(unchanged)s unchanged",
            file=report.file,
            rows=report.rows_read,
            new=report.new,
            changed=report.changed,
            unchanged=report.unchanged,
        )
        + (" " + _("(dry run: nothing written)") if report.dry_run else ""),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(contract_app, name="contract")
