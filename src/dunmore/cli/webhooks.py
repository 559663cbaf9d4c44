"""`dunmore webhooks add|list|remove|test`: signed events posted to other systems (an ERP, a chat).

Changes are made in the name of the person at the terminal, `cli:<os user>`, and each is one audit
row. The worker (`dunmore worker`) posts the events; see docs/webhooks.md.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dunmore.cli.context import cli_actor, console, reported, state, transaction
from dunmore.cli.language import _
from dunmore.webhooks.events import EVENT_TYPES  # a plain table: no database, nothing heavy

if TYPE_CHECKING:  # the database and the webhook modules load when a command runs, not for `--help`
    from dunmore.webhooks.service import Subscription

webhooks_app = typer.Typer(
    help=f"Signed events posted to other systems (ERP, chat): {', '.join(EVENT_TYPES)}.", no_args_is_help=True
)
SubscriptionId = Annotated[
    int,
    typer.Argument(
        help="The subscription id (see `dunmore webhooks list`).", metavar="ID", min=1, max=2**31 - 1
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]


def _now() -> datetime:
    return datetime.now(UTC)


def _json(subscription: Subscription) -> dict[str, Any]:
    found = asdict(subscription)
    found["events"] = list(subscription.events)
    for moment in ("created_at", "removed_at"):
        found[moment] = found[moment] and found[moment].isoformat()
    return found


@webhooks_app.command("add")
def add(
    ctx: typer.Context,
    url: Annotated[
        str,
        typer.Argument(
            help="Where to POST the events: an http(s) URL, at most 2000 characters.", metavar="URL"
        ),
    ],
    event: Annotated[
        list[str],
        typer.Option(
            "--event",
            help=f"An event type to send (repeat for several): {', '.join(EVENT_TYPES)}.",
        ),
    ],
    as_json: AsJson = False,
) -> None:
    """Subscribe a URL to event types; prints the signing secret, once: give it to the receiver."""
    from dunmore.webhooks import service

    with reported(), transaction(state(ctx).engine()) as conn:
        new = service.add(conn, url=url, events=event, now=_now(), actor=cli_actor())
    if as_json:
        console.print_json(json.dumps(_json(new.subscription) | {"secret": new.secret}, ensure_ascii=False))
        return
    added = new.subscription
    said = _(
        "webhook %(id)s added: %(events)s → %(url)s",
        id=added.id,
        events=", ".join(added.events),
        url=added.url,
    )
    console.print(said, markup=False, soft_wrap=True)
    label = _("secret:")  # Babel reads no message inside an f-string
    console.print(f"{label} {new.secret}", markup=False, highlight=False, soft_wrap=True)  # never cut
    console.print(
        _(
            "keep the secret now: it is not shown again. The receiver checks X-Dunmore-Signature with "
            "it (docs/webhooks.md)."
        ),
        style="dim",
        markup=False,
    )


@webhooks_app.command("list")
def list_subscriptions(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List the subscriptions (removed ones too) with their deliveries waiting, sent and dead."""
    from rich.table import Table

    from dunmore.webhooks import service

    with reported(), transaction(state(ctx).engine()) as conn:
        found = service.listing(conn)
    if as_json:
        console.print_json(json.dumps([_json(s) for s in found], ensure_ascii=False))
        return
    table = Table(_("id"), _("status"), _("waiting/sent/dead"))  # creation: in --json
    table.add_column(_("events"), overflow="fold")
    table.add_column(_("URL"), overflow="fold")  # folded on a narrow terminal, never cut short
    for s in found:
        standing = "active" if s.active else "removed"
        table.add_row(str(s.id), standing, f"{s.pending}/{s.sent}/{s.dead}", "\n".join(s.events), s.url)
    console.print(table)


@webhooks_app.command("remove")
def remove(ctx: typer.Context, subscription_id: SubscriptionId) -> None:
    """Stop a subscription: nothing more is posted to it; its waiting deliveries are cancelled."""
    from dunmore.webhooks import service

    with reported(), transaction(state(ctx).engine()) as conn:
        cancelled = service.remove(conn, subscription_id, now=_now(), actor=cli_actor())
    said = _(
        "webhook %(id)s removed; %(count)s waiting deliveries cancelled", id=subscription_id, count=cancelled
    )
    console.print(said)


@webhooks_app.command("test")
def test(ctx: typer.Context, subscription_id: SubscriptionId) -> None:
    """Post a signed `ping` event to a subscription now and print the receiver's answer; exits 1
    when it is not a 2xx (a ping is not retried)."""
    from dunmore.webhooks import service
    from dunmore.webhooks.dispatch import WebhookPoster

    with reported():
        app = state(ctx)
        lease = timedelta(seconds=app.settings.delivery.lease_seconds)
        with transaction(app.engine()) as conn:
            job = service.ping(conn, subscription_id, now=_now(), actor=cli_actor(), lease=lease)
        answer = WebhookPoster(app.engine(), app.settings, name=cli_actor()).attempt(job, final=True)
    console.print(
        _("ping %(event)s to %(url)s: %(answer)s", event=job.event.id, url=job.url, answer=answer),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if not answer.delivered:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
