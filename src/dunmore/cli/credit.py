"""`dunmore credit check|release`: may a new order ship to a customer, and a manager's release of a
credit hold."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from dunmore.cli.context import console, reported, state, transaction
from dunmore.cli.grades import Customer, now, operator
from dunmore.cli.language import _
from dunmore.errors import BadArgument
from dunmore.i18n import _m

credit_app = typer.Typer(help="Credit checks and credit holds.", no_args_is_help=True)
EXIT = {"ok": 0, "over_limit": 8, "on_hold": 9}


@credit_app.command("check")
def check(
    ctx: typer.Context,
    customer: Customer,
    amount: Annotated[str, typer.Argument(help="The new order's amount, e.g. 25000.00.")],
    currency: Annotated[
        str | None, typer.Option("--currency", help="Its currency (default: the customer's credit currency).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
) -> None:
    """May a new order of this amount ship? Exit code 0: ok; 8: over the credit limit; 9: on credit hold."""
    from dunmore.credit import limits
    from dunmore.domain.money import format_minor

    with reported():
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:
            raise BadArgument(
                _m("%(amount)s is not an amount: write it as 25000.00", amount=repr(amount))
            ) from exc
        with transaction(state(ctx).engine()) as conn:
            v = limits.check(conn, user=operator(), customer=customer, amount=value, currency=currency)
    money = {
        name: None if minor is None else format_minor(minor, v.currency)
        for name, minor in (
            ("amount", v.amount_minor),
            ("exposure", v.exposure_minor),
            ("limit", v.limit_minor),
            ("over", v.over_minor),
        )
    }
    if as_json:
        holds = [{"rule": h.rule, "set_on": h.set_on.isoformat(), **h.detail} for h in v.holds]
        print(
            json.dumps(
                {
                    "status": v.status,
                    "customer": v.customer,
                    "grade": v.grade,
                    "currency": v.currency,
                    "limit_source": v.limit_source,
                    **money,
                    "holds": holds,
                },
                indent=2,
            )
        )
    elif v.status == "on_hold":
        why = ", ".join(_hold(h.rule, h.detail) for h in v.holds)
        console.print(_("Refused: %(customer)s is on credit hold (%(why)s)", customer=customer, why=why))
    elif v.status == "over_limit":
        console.print(
            _(
                "Refused: %(over)s %(currency)s over the credit limit of %(limit)s (open now: %(exposure)s)",
                currency=v.currency,
                **money,
            )
        )
    else:
        limit = money["limit"] or _("no limit")
        console.print(
            _(
                "OK: %(amount)s %(currency)s within the credit limit of %(limit)s (open now: %(exposure)s)",
                currency=v.currency,
                amount=money["amount"],
                limit=limit,
                exposure=money["exposure"],
            )
        )
    raise typer.Exit(EXIT[v.status])


def _hold(rule: str, detail: dict[str, object]) -> str:
    if rule == "grade":
        return _("grade %(grade)s", grade=str(detail.get("grade")))
    if rule == "signal":
        return _("risk signal: %(kind)s", kind=str(detail.get("kind")))
    return _("overdue %(days)s days", days=str(detail.get("days")))


@credit_app.command("release")
def release(
    ctx: typer.Context,
    customer: Customer,
    reason: Annotated[
        str, typer.Option("--reason", help="Why the customer may have credit again (audited).")
    ],
) -> None:
    """Lift a customer's credit hold (a manager's decision): new orders are checked against its limit."""
    from dunmore.credit import limits

    with reported(), transaction(state(ctx).engine()) as conn:
        limits.release(conn, user=operator(), customer=customer, reason=reason, now=now())
    console.print(_("%(customer)s released from credit hold", customer=customer))


def register(app: typer.Typer) -> None:
    from dunmore.cli import admission  # noqa: F401  (its commands join `credit`)

    app.add_typer(credit_app, name="credit")
