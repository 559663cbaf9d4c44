"""`dunmore dispute open|resolve`, `dunmore disputes list`, `dunmore waive`: disputes and waivers.

`dunmore dispute INVOICE AMOUNT` (the form before disputes had rows) still sets an invoice's
disputed total; it is the hidden sub-command `set`, chosen when the first word is no sub-command.
Changes are made in the name of the person at the terminal, `cli:<os user>`; see docs/disputes.md.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from dunmore.cli.context import cli_actor, console, os_user, parse_as_of, reported, state, transaction
from dunmore.cli.language import _

if TYPE_CHECKING:
    from dunmore.workspace.disputes import DisputeView
    from dunmore.workspace.waivers import WaiverView

ID_MAX = 2**31 - 1


class DefaultCommandGroup(TyperGroup):
    """A group whose first word, when it names no sub-command, is the first argument of the
    default one (`dunmore dispute INV-1 100` is `dunmore dispute set INV-1 100`)."""

    default_command = "set"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


class _WaiveGroup(DefaultCommandGroup):
    default_command = "item"


dispute_app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Open and resolve disputes of invoices; `dunmore dispute INVOICE AMOUNT` sets the disputed total.",
    no_args_is_help=True,
)
disputes_app = typer.Typer(help="List disputes, with their age and SLA.", no_args_is_help=True)
waive_app = typer.Typer(
    cls=_WaiveGroup,
    help="Waive a fee or interest item of a run (`dunmore waive ITEM --reason …`); approve or reject.",
    no_args_is_help=True,
)
AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="The business date (YYYY-MM-DD); default: today.")]
Note = Annotated[str, typer.Option("--note", help="A note for the record (at most 2000 characters).")]


def _now() -> datetime:
    return datetime.now(UTC)


def _cancelled(count: int) -> str:
    if count == 1:
        return _("1 pending delivery cancelled")
    return _("%(count)s pending deliveries cancelled", count=count)


@dispute_app.command("set", hidden=True)
def set_total(
    ctx: typer.Context,
    invoice: Annotated[str, typer.Argument(help="The invoice number of your ERP.")],
    amount: Annotated[str, typer.Argument(help="The disputed amount in the invoice's currency; 0 ends it.")],
) -> None:
    """Set the amount of an invoice the customer disputes: it leaves every sum, and the pending
    deliveries of notices listing the invoice are cancelled."""
    from dunmore.domain.money import parse_decimal
    from dunmore.workspace import disputes

    with reported(), transaction(state(ctx).engine()) as conn:
        count, _opened = disputes.set_disputed_total(
            conn, invoice=invoice, amount=parse_decimal(amount), now=_now(), actor=cli_actor()
        )
    console.print(
        _(
            "invoice %(invoice)s: %(amount)s disputed; %(cancelled)s",
            invoice=invoice,
            amount=amount,
            cancelled=_cancelled(count),
        )
    )


@dispute_app.command("open")
def open_(
    ctx: typer.Context,
    invoice: Annotated[str, typer.Argument(help="The invoice number of your ERP.")],
    amount: Annotated[str, typer.Argument(help="The disputed amount in the invoice's currency.")],
    reason: Annotated[
        str,
        typer.Option("--reason", help="quality, quantity, price, not-received, already-paid or other."),
    ],
    note: Note = "",
    owner: Annotated[
        str | None, typer.Option("--owner", help="Who works it (a login); default: the customer's owner.")
    ] = None,
) -> None:
    """Open a dispute: the amount leaves every sum until it is resolved; the owner and the managers
    are alerted."""
    from dunmore.domain.money import parse_decimal
    from dunmore.workspace import disputes

    with reported(), transaction(state(ctx).engine()) as conn:
        opened = disputes.open_dispute(
            conn,
            invoice=invoice,
            amount=parse_decimal(amount),
            reason=reason,
            note=note,
            owner=owner,
            now=_now(),
            actor=cli_actor(),
        )
    console.print(
        _(
            "dispute %(id)s opened: %(amount)s of invoice %(invoice)s; %(cancelled)s",
            id=opened.dispute_id,
            amount=str(opened.amount),
            invoice=opened.invoice,
            cancelled=_cancelled(opened.deliveries_cancelled),
        )
    )


@dispute_app.command("resolve")
def resolve(
    ctx: typer.Context,
    dispute_id: Annotated[int, typer.Argument(help="The dispute id.", metavar="ID", min=1, max=ID_MAX)],
    outcome: Annotated[str, typer.Option("--outcome", help="credit-note, rejected or withdrawn.")],
    amount: Annotated[
        str | None, typer.Option("--amount", help="The credit note's amount; default: all disputed.")
    ] = None,
    note: Note = "",
    as_of: AsOf = None,
) -> None:
    """Resolve a dispute: a credit note credits the invoice, the rest goes back to dunning."""
    from dunmore.domain.money import parse_decimal
    from dunmore.workspace import disputes

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        on = parse_as_of(as_of, app.settings)
        value = None if amount is None else parse_decimal(amount)
        done = disputes.resolve_dispute(
            conn,
            dispute_id=dispute_id,
            outcome=outcome,
            amount=value,
            note=note,
            on=on,
            now=_now(),
            actor=cli_actor(),
        )
    console.print(
        _(
            "dispute %(id)s resolved (%(outcome)s): %(credited)s credited, %(back)s back to dunning",
            id=done.dispute_id,
            outcome=done.outcome,
            credited=str(done.credited),
            back=str(done.back_to_dunning),
        )
    )


def _dispute_json(view: DisputeView) -> dict[str, Any]:
    return {
        "id": view.id,
        "invoice": view.invoice,
        "customer": view.customer,
        "currency": view.amount.currency,
        "amount": str(view.amount.amount),
        "reason": view.reason,
        "status": view.status,
        "outcome": view.outcome,
        "credited": None if view.credited is None else str(view.credited.amount),
        "owner": view.owner,
        "opened_at": view.opened_at.isoformat(),
        "resolved_at": view.resolved_at and view.resolved_at.isoformat(),
        "age_days": view.age_days,
        "sla_overdue": view.overdue,
    }


@disputes_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="open or resolved; default: both.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's (a login).")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's (ERP id).")] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="At most this many, newest first.", min=1, max=200)
    ] = 50,
    as_of: AsOf = None,
    as_json: AsJson = False,
) -> None:
    """The disputes, newest first, with their age in days; an open one past the SLA (settings:
    workspace.dispute_sla_days) is flagged."""
    from dunmore.errors import BadArgument
    from dunmore.i18n import _m
    from dunmore.workspace import disputes

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        if status not in (None, "open", "resolved"):
            raise BadArgument(_m("--status is open or resolved, not %(status)s", status=repr(status)))
        views = disputes.list_disputes(
            conn,
            as_of=parse_as_of(as_of, app.settings),
            status=status,
            owner=owner,
            customer=customer,
            limit=limit,
            sla_days=app.settings.workspace.dispute_sla_days,
        )
    if as_json:
        console.print_json(json.dumps([_dispute_json(view) for view in views], ensure_ascii=False))
        return
    for view in views:
        flag = " " + _("SLA overdue") if view.overdue else ""
        console.print(
            f"{view.id:>6} {view.status:<8} {view.invoice:<16} {view.customer:<12} {view.amount!s:>18} "
            f"{view.reason:<13} {view.owner or '-':<12} {view.age_days:>4}d{flag}",
            markup=False,
            highlight=False,
        )


@waive_app.command("item", hidden=True)
def waive_item(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="The fee or interest item (FEE-n or INT-n).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is waived (at most 500 characters).")],
    amount: Annotated[
        str | None, typer.Option("--amount", help="The amount to waive; default: all open.")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who asks, as recorded (default: your login name).")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Waive a fee or interest item, all or part; above the approval threshold it waits for a manager."""
    from dunmore.domain.money import parse_decimal
    from dunmore.workspace import waivers

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        value = None if amount is None else parse_decimal(amount)
        done = waivers.request_waiver(
            conn,
            item=item,
            amount=value,
            reason=reason,
            on=parse_as_of(as_of, app.settings),
            now=_now(),
            actor=cli_actor(),
            by=by or os_user(),
            thresholds=app.settings.workspace.waiver_approval_minor,
        )
    if done.status == "pending":
        console.print(
            _(
                "waiver %(id)s of %(amount)s waits for a manager's approval",
                id=done.id,
                amount=str(done.amount),
            )
        )
    else:
        console.print(_("waiver %(id)s: %(amount)s waived", id=done.id, amount=str(done.amount)))


def _decide(ctx: typer.Context, waiver_id: int, *, approve: bool, by: str | None, as_of: str | None) -> None:
    from dunmore.workspace import waivers

    app = state(ctx)
    with reported(), transaction(app.engine()) as conn:
        done = waivers.decide_waiver(
            conn,
            waiver_id=waiver_id,
            approve=approve,
            checker=by or os_user(),
            on=parse_as_of(as_of, app.settings),
            now=_now(),
            actor=cli_actor(),
        )
    console.print(_("waiver %(id)s: %(status)s", id=done.id, status=done.status))


WaiverId = Annotated[int, typer.Argument(help="The waiver id.", metavar="ID", min=1, max=ID_MAX)]
By = Annotated[
    str | None,
    typer.Option(
        "--by", help="The manager deciding (a login; default: your login name); not the one who asked."
    ),
]


@waive_app.command("approve")
def approve(ctx: typer.Context, waiver_id: WaiverId, by: By, as_of: AsOf = None) -> None:
    """Approve a waiver waiting for a manager: the amount is waived."""
    _decide(ctx, waiver_id, approve=True, by=by, as_of=as_of)


@waive_app.command("reject")
def reject(ctx: typer.Context, waiver_id: WaiverId, by: By, as_of: AsOf = None) -> None:
    """Reject a waiver waiting for a manager: nothing is waived."""
    _decide(ctx, waiver_id, approve=False, by=by, as_of=as_of)


def _waiver_json(view: WaiverView) -> dict[str, Any]:
    return {
        "id": view.id,
        "item": view.item,
        "customer": view.customer,
        "currency": view.amount.currency,
        "amount": str(view.amount.amount),
        "reason": view.reason,
        "status": view.status,
        "requested_by": view.requested_by,
        "decided_by": view.decided_by,
    }


@waive_app.command("list")
def list_waivers(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="pending, applied or rejected.")] = None,
    as_json: AsJson = False,
) -> None:
    """The waivers, newest first."""
    from dunmore.workspace import waivers

    with reported(), transaction(state(ctx).engine()) as conn:
        views = waivers.list_waivers(conn, status=status)
    if as_json:
        console.print_json(json.dumps([_waiver_json(view) for view in views], ensure_ascii=False))
        return
    for view in views:
        console.print(
            f"{view.id:>6} {view.status:<8} {view.item:<14} {view.customer:<12} {view.amount!s:>16} "
            f"{view.reason}",
            markup=False,
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(dispute_app, name="dispute")
    app.add_typer(disputes_app, name="disputes")
    app.add_typer(waive_app, name="waive")
