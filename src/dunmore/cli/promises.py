"""`dunmore promise add|cancel` and `dunmore promises list|rate`: promises to pay, recorded by a
person and decided by the run. The command line acts as an operator who reaches every customer."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from dunmore.cli.context import cli_actor, console, parse_as_of, reported, state, transaction
from dunmore.cli.language import _
from dunmore.errors import BadArgument
from dunmore.i18n import _m

promise_app = typer.Typer(help="Record or cancel a customer's promise to pay.", no_args_is_help=True)
promises_app = typer.Typer(help="List promises to pay and their kept rate.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="The day the promise is made (YYYY-MM-DD; default: today).")
]


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


def _json(view: Any) -> dict[str, Any]:
    return {
        "id": view.id,
        "customer": view.customer,
        "currency": view.currency,
        "amount": view.amount,
        "made_on": view.made_on.isoformat(),
        "due_on": view.due_on.isoformat(),
        "until": view.until.isoformat(),
        "status": view.status,
        "paid": view.paid,
        "reason": view.reason,
        "invoices": list(view.invoices),
        "decided_on": view.decided_on.isoformat() if view.decided_on else None,
    }


@promise_app.command("add")
def add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="The customer id of your ERP, as imported.")],
    amount: Annotated[str, typer.Option("--amount", help="The promised amount, e.g. 5000.00.")],
    by: Annotated[str, typer.Option("--by", help="The date the customer will pay by (YYYY-MM-DD).")],
    currency: Annotated[
        str | None, typer.Option("--currency", help="The currency (default: the customer's only one).")
    ] = None,
    invoices: Annotated[
        str | None,
        typer.Option(
            "--invoices", help="Invoice numbers, comma-separated (default: the whole overdue balance)."
        ),
    ] = None,
    contact: Annotated[
        int | None, typer.Option("--contact", min=1, help="The id of the contact who promised.")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A note kept in the customer's story.")] = "",
    as_of: AsOf = None,
) -> None:
    """Record that a customer promised to pay an amount by a date: its invoices do not escalate until
    then (plus the policy's grace days); the run decides whether it was kept."""
    from dunmore.domain.money import parse_decimal
    from dunmore.workspace import promises

    app = state(ctx)
    with reported():
        today = parse_as_of(as_of, app.settings)
        numbers = [n.strip() for n in (invoices or "").split(",") if n.strip()]
        with transaction(app.engine()) as conn:
            made = promises.add(
                conn,
                user=_operator(),
                customer=customer,
                amount=parse_decimal(amount),
                by=_date(by, "--by") or today,
                today=today,
                now=datetime.now(UTC),
                currency=currency,
                invoices=numbers,
                contact_id=contact,
                note=note[:2000],
            )
    console.print(
        _(
            "promise %(id)s: %(customer)s pays %(amount)s %(currency)s by %(by)s (paused until %(until)s)",
            id=made.id,
            customer=customer,
            amount=made.amount,
            currency=made.currency,
            by=made.due_on.isoformat(),
            until=made.until.isoformat(),
        )
    )


@promise_app.command("cancel")
def cancel(
    ctx: typer.Context,
    promise_id: Annotated[int, typer.Argument(min=1, help="The promise's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is cancelled (kept in the audit log).")],
) -> None:
    """Cancel a pending promise: its invoices escalate again at the next run."""
    from dunmore.workspace import promises

    with reported(), transaction(state(ctx).engine()) as conn:
        promises.cancel(
            conn, user=_operator(), promise_id=promise_id, reason=reason[:500], now=datetime.now(UTC)
        )
    console.print(_("promise %(id)s cancelled", id=promise_id))


@promises_app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, kept, partial, broken or cancelled.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The latest promises (500 at most), newest first."""
    from dunmore.workspace import promises

    with reported(), transaction(state(ctx).engine()) as conn:
        if status is not None and status not in promises.STATUSES:
            raise BadArgument(
                _m(
                    "--status %(status)s: give pending, kept, partial, broken or cancelled",
                    status=repr(status),
                )
            )
        found = promises.list_promises(conn, user=_operator(), customer=customer, status=status, limit=500)
    if as_json:
        print(json.dumps([_json(view) for view in found], ensure_ascii=False, indent=2))
        return
    table = Table(_("#"), _("customer"), _("amount"), _("by"), _("until"), _("status"), _("paid"))
    for view in found:
        table.add_row(
            str(view.id),
            view.customer,
            f"{view.amount} {view.currency}",
            view.due_on.isoformat(),
            view.until.isoformat(),
            view.status,
            view.paid,
        )
    console.print(table)


@promises_app.command("rate")
def rate(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="customer, collector or portfolio.")] = "customer",
    date_from: Annotated[str | None, typer.Option("--from", help="Decided on or after (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Decided on or before (YYYY-MM-DD).")] = None,
    as_json: AsJson = False,
) -> None:
    """The promise-kept rate: kept / decided, partially kept ones counted apart."""
    from dunmore.workspace import promises

    with reported():
        if by not in promises.RATE_KEYS:
            raise BadArgument(_m("--by %(by)s: give customer, collector or portfolio", by=repr(by)))
        start, end = _date(date_from, "--from"), _date(date_to, "--to")
        with transaction(state(ctx).engine()) as conn:
            rows = promises.rate(conn, user=_operator(), by=by, date_from=start, date_to=end)
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "key": r.key,
                        "kept": r.kept,
                        "partial": r.partial,
                        "broken": r.broken,
                        "decided": r.decided,
                        "kept_rate": str(r.kept_rate),
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    table = Table(by, _("kept"), _("partially kept"), _("broken"), _("decided"), _("kept rate"))
    for r in rows:
        table.add_row(r.key, str(r.kept), str(r.partial), str(r.broken), str(r.decided), f"{r.kept_rate:.2%}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(promise_app, name="promise")
    app.add_typer(promises_app, name="promises")
