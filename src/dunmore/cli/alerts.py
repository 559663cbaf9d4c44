"""`dunmore alerts …` (the inbox from the terminal, the daily digest, sending staff mail) and
`dunmore users set-email`: internal alerts (内催) to account owners and managers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from dunmore.cli.context import cli_actor, console, parse_as_of, reported, state, transaction
from dunmore.cli.language import _

alerts_app = typer.Typer(
    help="Internal alerts to account owners and managers: list, mark read, e-mail digests.",
    no_args_is_help=True,
)
UserLogin = Annotated[str, typer.Option("--user", help="Whose alerts (a user's login).", max=64)]


def _now() -> datetime:
    return datetime.now(UTC)


@alerts_app.command("list")
def list_command(
    ctx: typer.Context,
    user: UserLogin,
    unread: Annotated[bool, typer.Option("--unread", help="Only the alerts not read yet.")] = False,
    page: Annotated[int, typer.Option(help="Page of 50, newest first.", min=1, max=10_000)] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
) -> None:
    """A user's alerts, newest first, said in the user's language."""
    from dunmore.access.service import get_user
    from dunmore.workspace.inbox import list_alerts

    with reported(), transaction(state(ctx).engine()) as conn:
        found = list_alerts(conn, user=get_user(conn, login=user), unread_only=unread, page=page)
    if as_json:
        rows = [
            {"id": r.id, "kind": r.kind, "text": r.text, "customer": r.customer_code,
             "created_at": r.created_at.isoformat(), "read": r.read_at is not None}
            for r in found.rows
        ]  # fmt: skip
        typer.echo(
            json.dumps({"alerts": rows, "total": found.total, "unread": found.unread}, ensure_ascii=False)
        )
        return
    for r in found.rows:
        mark = " " if r.read_at is not None else "*"
        console.print(
            f"{mark} {r.id:>7}  {r.created_at:%Y-%m-%d %H:%M}  {r.text}", highlight=False, markup=False
        )
    console.print(_("%(unread)s unread of %(total)s alerts", unread=found.unread, total=found.total))


@alerts_app.command("read")
def read_command(
    ctx: typer.Context,
    user: UserLogin,
    ids: Annotated[list[int] | None, typer.Argument(help="Alert ids (see `dunmore alerts list`).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Mark every alert of the user read.")] = False,
) -> None:
    """Mark a user's alerts read: the ids given, or --all."""
    from dunmore.access.service import get_user
    from dunmore.errors import BadArgument
    from dunmore.i18n import _m
    from dunmore.workspace.inbox import mark_read

    with reported():
        if every == bool(ids):
            raise BadArgument(_m("give alert ids or --all, not both and not neither"))
        with transaction(state(ctx).engine()) as conn:
            count = mark_read(conn, user=get_user(conn, login=user), ids=None if every else ids, at=_now(),
                              actor=cli_actor())  # fmt: skip
    console.print(_("%(count)s alerts marked read", count=count))


@alerts_app.command("digest")
def digest_command(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day whose alerts to send (default: today).")
    ] = None,
    send: Annotated[
        bool, typer.Option(help="Send the queued staff mail at once (needs an SMTP host).")
    ] = True,
) -> None:
    """Queue one e-mail per user who chose the daily digest, with the alerts of the day; run it each
    evening (cron). A second run the same day queues nothing."""
    from dunmore.workspace.staff_mail import queue_digests

    with reported():
        settings = state(ctx).settings
        day = parse_as_of(as_of, settings)
        with transaction(state(ctx).engine()) as conn:
            count = queue_digests(conn, day=day, zone=settings.timezone, at=_now())
        console.print(_("%(count)s digests queued for %(day)s", count=count, day=day.isoformat()))
        if send:
            _send(ctx)


@alerts_app.command("send")
def send_command(ctx: typer.Context) -> None:
    """Send the staff mail that is due (alerts at once, digests); failures are retried later."""
    with reported():
        _send(ctx)


def _send(ctx: typer.Context) -> None:
    from dunmore.delivery.wiring import outlets
    from dunmore.workspace.staff_mail import From, send_due

    settings = state(ctx).settings
    channel = outlets(settings).email
    if channel is None:
        console.print(_("staff mail waits: no SMTP host is set (settings smtp.host)"))
        return
    sender = From(settings.creditor.email or "dunmore@localhost", settings.smtp.from_name or "Dunmore")
    tally = send_due(state(ctx).engine(), channel=channel, sender=sender, now=_now)
    console.print(
        _(
            "staff mail: %(sent)s sent, %(retried)s to retry, %(failed)s failed",
            sent=tally.sent,
            retried=tally.retried,
            failed=tally.failed,
        )
    )


def set_email(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The user's login.")],
    address: Annotated[str, typer.Argument(help="The e-mail address; 'none' removes it.")],
    alerts: Annotated[
        str, typer.Option("--alerts", help="E-mail alerts: immediate, digest (once a day) or none.")
    ] = "immediate",
) -> None:
    """Set a user's e-mail address and how they get their alerts by e-mail."""
    from dunmore.workspace.staff_mail import set_email as set_address

    given = None if address.lower() == "none" else address
    with reported(), transaction(state(ctx).engine()) as conn:
        mode = "none" if given is None else alerts
        set_address(conn, login=login, address=given, mode=mode, actor=cli_actor(), at=_now())
    console.print(_("%(login)s: e-mail %(address)s, alerts by e-mail: %(mode)s", login=login.lower(),
                    address=given or "—", mode=mode))  # fmt: skip


calendar_app = typer.Typer(
    help="Private calendar feeds (iCalendar) of follow-ups, promise dates and task deadlines.",
    no_args_is_help=True,
)
FeedLogin = Annotated[str, typer.Argument(help="The user's login.")]


@calendar_app.command("token")
def calendar_token(
    ctx: typer.Context,
    login: FeedLogin,
    base: Annotated[
        str, typer.Option("--base-url", help="Where Dunmore is served, as its users reach it.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Make the user's private calendar feed link and print it (shown once; the old link stops working)."""
    from dunmore.workspace.calendar import make_token

    with reported(), transaction(state(ctx).engine()) as conn:
        secret = make_token(conn, login=login, actor=cli_actor(), at=_now())
    typer.echo(f"{base.rstrip('/')}/calendar/{secret}.ics")


@calendar_app.command("revoke")
def calendar_revoke(ctx: typer.Context, login: FeedLogin) -> None:
    """End the user's calendar feed: its link answers 404 from now on."""
    from dunmore.workspace.calendar import revoke_token

    with reported(), transaction(state(ctx).engine()) as conn:
        had = revoke_token(conn, login=login, actor=cli_actor(), at=_now())
    if had:
        console.print(_("%(login)s: calendar feed revoked", login=login.lower()))
    else:
        console.print(_("%(login)s had no calendar feed", login=login.lower()))


def register(app: typer.Typer) -> None:
    """`alerts` and `calendar` (`users set-email` joins `users`, in `dunmore.cli.access`)."""
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(calendar_app, name="calendar")
