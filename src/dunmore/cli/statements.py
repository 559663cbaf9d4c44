"""`dunmore statements issue|remind|send|list` and `dunmore statement show|pdf`: statements of
account (对账单), issued as immutable versions, e-mailed with their PDF, confirmed or disputed by the
customer in the portal. The command line acts as an operator who reaches every customer."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from dunmore.cli.context import cli_actor, console, parse_as_of, reported, stage_progress, state, transaction
from dunmore.cli.headings import word
from dunmore.cli.language import _
from dunmore.errors import BadArgument
from dunmore.i18n import _m

statements_app = typer.Typer(help="Issue, remind, send and list statements of account.", no_args_is_help=True)
statement_app = typer.Typer(help="Show one statement of account or write its PDF.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="The business day (YYYY-MM-DD; default: today).")]
Period = Annotated[str | None, typer.Option("--period", help="The month of the statement, e.g. 2026-11.")]
From = Annotated[str | None, typer.Option("--from", help="First day of the period (YYYY-MM-DD), with --to.")]
To = Annotated[str | None, typer.Option("--to", help="Last day of the period (YYYY-MM-DD), with --from.")]
StatementId = Annotated[int, typer.Argument(min=1, help="The statement's number (from `statements list`).")]


def _operator() -> Any:
    """The person at the terminal as a user of every customer (whoever opens the database can)."""
    from dunmore.access.values import Language, Role, User

    return User(0, cli_actor(), Role.ADMIN, Language.EN, frozenset(), False, datetime(2026, 1, 1, tzinfo=UTC))


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadArgument(
            _m("%(option)s %(text)s is not a date: write it as YYYY-MM-DD", option=option, text=repr(text))
        ) from exc


def _period(month: str | None, start: str | None, end: str | None) -> tuple[date, date]:
    from dunmore.statements.issue import period_of

    return period_of(month, _date(start, "--from"), _date(end, "--to"))


@statements_app.command("issue")
def issue(
    ctx: typer.Context,
    period: Period = None,
    date_from: From = None,
    date_to: To = None,
    customers: Annotated[
        str | None, typer.Option("--customers", help="Customer codes, comma-separated (default: every one).")
    ] = None,
    confirm_days: Annotated[
        int | None,
        typer.Option("--confirm-days", min=1, max=365, help="Days to confirm (default: settings, 14)."),
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Issue the period's statements (a new version per customer and currency) from the ledger as of
    the day, and queue each one's e-mail with its PDF (sent by `dunmore worker`, or at once by
    `dunmore statements send`)."""
    from dunmore.statements import issue as issuing

    app = state(ctx)
    with reported():
        days = _period(period, date_from, date_to)
        today = parse_as_of(as_of, app.settings)
        codes = [code.strip() for code in customers.split(",") if code.strip()] if customers else None
        wait = confirm_days or app.settings.workspace.statement_confirm_days
        with stage_progress() as progress, transaction(app.engine()) as conn:
            issued = issuing.issue(
                conn,
                user=_operator(),
                period=days,
                as_of=today,
                now=datetime.now(UTC),
                creditor=app.settings.creditor,
                confirm_days=wait,
                customers=codes,
                progress=progress,
                settings=app.settings,
            )
    mailed = sum(1 for one in issued if one.mailed)
    console.print(
        _(
            "%(count)s statements issued for %(start)s – %(end)s, %(mailed)s queued by e-mail",
            count=len(issued),
            start=days[0].isoformat(),
            end=days[1].isoformat(),
            mailed=mailed,
        )
    )


@statements_app.command("remind")
def remind(ctx: typer.Context, as_of: AsOf = None) -> None:
    """Queue the one reminder of each statement unanswered half-way through its window, and mark as
    lapsed those whose window has ended without an answer (cron-able, once a day)."""
    from dunmore.statements import issue as issuing

    app = state(ctx)
    with reported():
        today = parse_as_of(as_of, app.settings)
        with transaction(app.engine()) as conn:
            done = issuing.remind(
                conn, user=_operator(), as_of=today, now=datetime.now(UTC), settings=app.settings
            )
    console.print(
        _("%(reminded)s statements reminded, %(lapsed)s lapsed", reminded=done.reminded, lapsed=done.lapsed)
    )


@statements_app.command("send")
def send(ctx: typer.Context) -> None:
    """Send at once the statements and reminders queued for e-mail (`dunmore worker` sends them
    too, beside the notices); failures are retried later."""
    from dunmore.delivery.wiring import outlets
    from dunmore.statements.mail import send_due
    from dunmore.workspace.staff_mail import From as Sender

    settings = state(ctx).settings
    channel = outlets(settings).email
    if channel is None:
        console.print(_("statement e-mails wait: no SMTP host is set (settings smtp.host)"))
        return
    sender = Sender(
        settings.creditor.email or "dunmore@localhost", settings.smtp.from_name or settings.creditor.name
    )
    with reported():
        tally = send_due(
            state(ctx).engine(),
            channel=channel,
            sender=sender,
            now=lambda: datetime.now(UTC),
            settings=settings,
        )
    console.print(
        _(
            "statement e-mails: %(sent)s sent, %(retried)s to retry, %(failed)s failed",
            sent=tally.sent,
            retried=tally.retried,
            failed=tally.failed,
        )
    )


@statements_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="sent, viewed, confirmed, disputed or lapsed.")
    ] = None,
    period: Period = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's.")] = None,
    as_json: AsJson = False,
) -> None:
    """The latest statements (500 at most), newest first, with their state."""
    from dunmore.statements import views
    from dunmore.statements.issue import period_of
    from dunmore.statements.service import STATUSES

    with reported():
        if status is not None and status not in STATUSES:
            raise BadArgument(
                _m(
                    "--status %(status)s: give one of %(statuses)s",
                    status=repr(status),
                    statuses=", ".join(STATUSES),
                )
            )
        days = period_of(period, None, None) if period else None
        with transaction(state(ctx).engine()) as conn:
            found = views.listing(
                conn, user=_operator(), status=status, period=days, customer=customer, limit=500
            )
    if as_json:
        print(json.dumps([view.as_json() for view in found], ensure_ascii=False, indent=2))
        return
    table = Table(
        _("#"), _("customer"), _("period"), _("version"), _("closing balance"), _("status"), _("confirm by")
    )
    for view in found:
        table.add_row(
            str(view.id),
            view.customer,
            f"{view.period_from.isoformat()} – {view.period_to.isoformat()}",
            str(view.version),
            f"{view.closing} {view.currency}",
            view.status,
            view.confirm_by.isoformat(),
        )
    console.print(table)


@statement_app.command("show")
def show(ctx: typer.Context, statement_id: StatementId, as_json: AsJson = False) -> None:
    """One statement: its lines and open items, its state, the confirmation and disputes, its e-mails."""
    from dunmore.domain.money import format_minor
    from dunmore.statements import views

    with reported(), transaction(state(ctx).engine()) as conn:
        found = views.detail(conn, user=_operator(), statement_id=statement_id)
    if as_json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return
    content, currency = found["content"], found["currency"]
    console.print(
        _(
            "statement %(id)s of %(customer)s, %(start)s – %(end)s, version %(version)s: %(status)s",
            id=found["id"],
            customer=found["customer"],
            start=found["period_from"],
            end=found["period_to"],
            version=found["version"],
            status=word("statement_status", found["status"]),
        )
    )
    table = Table(_("date"), _("kind"), _("document"), _("amount"))
    table.add_row(
        found["period_from"], _("opening balance"), "", format_minor(content["opening_minor"], currency)
    )
    for line in content["lines"]:
        table.add_row(
            line["on"],
            word("statement_line", line["kind"]),
            line["reference"],
            format_minor(line["amount_minor"], currency),
        )
    table.add_row(
        found["period_to"], _("closing balance"), "", format_minor(content["closing_minor"], currency)
    )
    console.print(table)
    console.print(_("SHA-256 %(sha256)s", sha256=found["sha256"]))


@statement_app.command("pdf")
def pdf(
    ctx: typer.Context,
    statement_id: StatementId,
    out: Annotated[
        Path,
        typer.Option("--output", "-o", "--out", help="The file to write (default: the statement's name)."),
    ] = Path(),
    receipt: Annotated[bool, typer.Option("--receipt", help="The confirmation receipt instead.")] = False,
) -> None:
    """Write the statement's PDF as issued (or its confirmation receipt) to a file."""
    from dunmore.statements import views

    with reported(), transaction(state(ctx).engine()) as conn:
        name, data = views.pdf(conn, user=_operator(), statement_id=statement_id, receipt=receipt)
    target = out / name if out.is_dir() else out
    target.write_bytes(data)
    console.print(_("written %(path)s", path=str(target)))


def register(app: typer.Typer) -> None:
    app.add_typer(statements_app, name="statements")
    app.add_typer(statement_app, name="statement")
