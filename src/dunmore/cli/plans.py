"""`dunmore plan add|show|activate|approve|reject|cancel` and `dunmore plans list`: instalment
plans, agreed by a person and decided by the run. The command line acts as an operator who reaches
every customer."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from dunmore.cli.context import cli_actor, console, os_user, parse_as_of, reported, state, transaction
from dunmore.cli.language import _
from dunmore.cli.promises import _date, _operator
from dunmore.errors import BadArgument
from dunmore.i18n import _m

plan_app = typer.Typer(
    help="Agree, show, approve or cancel a customer's instalment plan.", no_args_is_help=True
)
plans_app = typer.Typer(help="List instalment plans.", no_args_is_help=True)

PlanId = Annotated[int, typer.Argument(min=1, help="The plan's number.")]


def _typed(entries: list[str] | None) -> list[tuple[date, Decimal]]:
    """`--at 2026-10-01=3000.00` entries as (date, amount), in the order given."""
    from dunmore.domain.money import parse_decimal

    found = []
    for entry in entries or []:
        on, _sep, amount = entry.partition("=")
        if not amount:
            raise BadArgument(
                _m("--at %(entry)s: write DATE=AMOUNT, e.g. 2026-10-01=3000.00", entry=repr(entry))
            )
        found.append((_date(on.strip(), "--at") or date.min, parse_decimal(amount.strip())))
    return found


def _print(view: Any) -> None:
    console.print(
        _(
            "plan %(id)s: %(customer)s, %(total)s %(currency)s, %(status)s",
            id=view.id,
            customer=view.customer,
            total=view.total,
            currency=view.currency,
            status=view.status,
        )
    )
    table = Table(_("#"), _("due on"), _("amount"), _("paid"), _("status"))
    for one in view.as_dict()["instalments"]:
        table.add_row(str(one["number"]), one["due_on"], one["amount"], one["paid"], one["status"])
    console.print(table)


@plan_app.command("add")
def add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="The customer id of your ERP, as imported.")],
    instalments: Annotated[
        int | None, typer.Option("--instalments", min=1, max=120, help="How many even instalments.")
    ] = None,
    first: Annotated[
        str | None, typer.Option("--first", help="The first instalment's date (YYYY-MM-DD).")
    ] = None,
    every_months: Annotated[
        int, typer.Option("--every-months", min=1, max=12, help="Months between instalments.")
    ] = 1,
    at: Annotated[
        list[str] | None,
        typer.Option("--at", help="A typed instalment DATE=AMOUNT (repeat it; instead of --instalments)."),
    ] = None,
    invoices: Annotated[
        str | None,
        typer.Option("--invoices", help="Invoice numbers, comma-separated (default: every open invoice)."),
    ] = None,
    down_payment: Annotated[
        str | None, typer.Option("--down-payment", help="A down payment, e.g. 1000.00, due on --down-on.")
    ] = None,
    down_on: Annotated[
        str | None,
        typer.Option("--down-on", help="The down payment's date (default: a period before --first)."),
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="The currency (default: the customer's only one).")
    ] = None,
    proposed: Annotated[
        bool, typer.Option("--proposed", help="Only propose it: it takes effect after `plan activate`.")
    ] = False,
    note: Annotated[str, typer.Option("--note", help="A note kept with the plan.")] = "",
    waive: Annotated[
        str,
        typer.Option(
            "--waive",
            help="Waive the covered fee and interest items, for this reason (at most 500 characters); "
            "above the approval threshold the plan waits for a manager.",
        ),
    ] = "",
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who asks for the waivers, as recorded (default: your login name)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day the plan is agreed (YYYY-MM-DD; default: today).")
    ] = None,
) -> None:
    """Agree an instalment plan over open invoices: even instalments on business days (the last
    takes the rounding) or typed ones; while it is kept its invoices do not escalate."""
    from dunmore.domain.money import parse_decimal
    from dunmore.workspace import plans

    app = state(ctx)
    with reported():
        today = parse_as_of(as_of, app.settings)
        with transaction(app.engine()) as conn:
            made = plans.add(
                conn,
                user=_operator(),
                customer=customer,
                today=today,
                now=datetime.now(UTC),
                country=app.settings.creditor.country,
                instalments=instalments,
                first=_date(first, "--first"),
                every_months=every_months,
                invoices=[n.strip() for n in (invoices or "").split(",") if n.strip()],
                down_payment=parse_decimal(down_payment) if down_payment else None,
                down_on=_date(down_on, "--down-on"),
                typed=_typed(at),
                currency=currency,
                proposed=proposed,
                note=note[:2000],
                waive=waive,
                by=by or os_user(),
                thresholds=app.settings.workspace.waiver_approval_minor,
            )
    _print(made)
    if made.status == "waiting":
        console.print(
            _(
                "plan %(id)s waits for a manager to approve its waivers: "
                "dunmore plan approve %(id)s --by LOGIN",
                id=made.id,
            )
        )


@plan_app.command("show")
def show(
    ctx: typer.Context,
    plan_id: PlanId,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
) -> None:
    """A plan with its instalments and what was paid toward each."""
    from dunmore.workspace import plans

    with reported(), transaction(state(ctx).engine()) as conn:
        view = plans.get(conn, user=_operator(), plan_id=plan_id)
    if as_json:
        print(json.dumps(view.as_dict(), ensure_ascii=False, indent=2))
        return
    _print(view)


@plan_app.command("activate")
def activate(ctx: typer.Context, plan_id: PlanId) -> None:
    """The customer agreed a proposed plan: the run reads it from now on."""
    from dunmore.workspace import plans

    with reported(), transaction(state(ctx).engine()) as conn:
        plans.activate(conn, user=_operator(), plan_id=plan_id, now=datetime.now(UTC))
    console.print(_("plan %(id)s active", id=plan_id))


@plan_app.command("counter")
def counter(
    ctx: typer.Context,
    plan_id: PlanId,
    instalments: Annotated[
        int, typer.Option("--instalments", min=2, max=120, help="How many even instalments.")
    ],
    first: Annotated[str, typer.Option("--first", help="The first instalment's date (YYYY-MM-DD).")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The business day (YYYY-MM-DD; default: today).")
    ] = None,
) -> None:
    """Answer a plan the customer asked for in the portal with another schedule: the request is
    cancelled, yours proposed, and the customer told it by e-mail."""
    from dunmore.portal.answers import counter_plan

    app = state(ctx)
    with reported():
        today = parse_as_of(as_of, app.settings)
        day = _date(first, "--first") or today
        with transaction(app.engine()) as conn:
            offered = counter_plan(
                conn,
                user=_operator(),
                plan_id=plan_id,
                instalments=instalments,
                first=day,
                country=app.settings.creditor.country,
                now=datetime.now(UTC),
                today=today,
            )
    console.print(_("plan %(id)s countered with plan %(new)s", id=plan_id, new=offered.id))


@plan_app.command("cancel")
def cancel(
    ctx: typer.Context,
    plan_id: PlanId,
    reason: Annotated[str, typer.Option("--reason", help="Why it is cancelled (kept in the audit log).")],
) -> None:
    """Cancel a proposed or active plan: its invoices escalate again at the next run."""
    from dunmore.workspace import plans

    with reported(), transaction(state(ctx).engine()) as conn:
        plans.cancel(conn, user=_operator(), plan_id=plan_id, reason=reason[:500], now=datetime.now(UTC))
    console.print(_("plan %(id)s cancelled", id=plan_id))


def _decide(ctx: typer.Context, plan_id: int, *, approve: bool, by: str | None, as_of: str | None) -> None:
    from dunmore.workspace import plan_waivers

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        done = plan_waivers.decide_plan(
            conn,
            plan_id=plan_id,
            approve=approve,
            checker=by or os_user(),
            on=parse_as_of(as_of, app.settings),
            now=datetime.now(UTC),
            actor=cli_actor(),
        )
    console.print(_("plan %(id)s: %(status)s", id=done.id, status=done.status))


By = Annotated[
    str | None,
    typer.Option(
        "--by", help="The manager deciding (a login; default: your login name); not the one who asked."
    ),
]
AsOf = Annotated[str | None, typer.Option("--as-of", help="The business date (YYYY-MM-DD); default: today.")]


@plan_app.command("approve")
def approve(ctx: typer.Context, plan_id: PlanId, by: By = None, as_of: AsOf = None) -> None:
    """Approve a plan waiting for its waivers: they are applied and the plan takes effect."""
    _decide(ctx, plan_id, approve=True, by=by, as_of=as_of)


@plan_app.command("reject")
def reject(ctx: typer.Context, plan_id: PlanId, by: By = None, as_of: AsOf = None) -> None:
    """Reject a plan waiting for its waivers: nothing is waived and the plan is cancelled."""
    _decide(ctx, plan_id, approve=False, by=by, as_of=as_of)


@plans_app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="proposed, waiting, active, kept, broken or cancelled.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
) -> None:
    """The latest plans (500 at most), newest first."""
    from dunmore.workspace import plan_views, plans

    with reported(), transaction(state(ctx).engine()) as conn:
        if status is not None and status not in plan_views.STATUSES:
            raise BadArgument(
                _m(
                    "--status %(status)s: give proposed, waiting, active, kept, broken or cancelled",
                    status=repr(status),
                )
            )
        found = plans.list_plans(conn, user=_operator(), customer=customer, status=status, limit=500)
    if as_json:
        print(json.dumps([view.as_dict() for view in found], ensure_ascii=False, indent=2))
        return
    table = Table(_("#"), _("customer"), _("total"), _("paid"), _("next due"), _("status"))
    for view in found:
        nxt = view.next_due
        table.add_row(
            str(view.id),
            view.customer,
            f"{view.total} {view.currency}",
            view.as_dict()["paid"],
            nxt.due_on.isoformat() if nxt else "",
            view.status,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
    app.add_typer(plans_app, name="plans")
