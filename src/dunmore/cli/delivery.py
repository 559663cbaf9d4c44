"""`dunmore worker`, `deliveries …`, `letters print`, `notice show|preview`: getting notices out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from dunmore.cli.context import cli_actor, console, errors, reported, state, transaction
from dunmore.cli.headings import word
from dunmore.cli.language import _, language
from dunmore.delivery.statuses import STATUSES
from dunmore.errors import BadArgument, SendingNotConfigured
from dunmore.i18n import _m

deliveries_app = typer.Typer(help="The outbox: list deliveries, retry dead letters, enter tracking numbers.")
notice_app = typer.Typer(help="One notice: its proof of delivery, or a preview of how it reads.")
letters_app = typer.Typer(help="Letters: the print file of a run for the print shop.")
DeliveryIds = Annotated[
    list[int] | None, typer.Argument(help="Delivery ids (see `dunmore deliveries list`).")
]
NoticeId = Annotated[
    int, typer.Argument(help="The notice id (see `dunmore run --json` or `deliveries list`).")
]


def _now() -> datetime:
    return datetime.now(UTC)


def worker(
    ctx: typer.Context,
    drain: Annotated[
        bool, typer.Option("--drain", help="Stop once nothing is due (deferred deliveries stay queued).")
    ] = False,
    poll: Annotated[float, typer.Option(help="Seconds to wait when nothing is due.", min=0.01)] = 2.0,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            help="Worker processes sending side by side, each with its own SMTP connection "
            "(PostgreSQL only; 1 on SQLite).",
            min=1,
            max=64,
        ),
    ] = 1,
) -> None:
    """Send the pending deliveries: email, SMS, letters into print batches, tasks for people.

    Every send passes the compliance guard first (contact windows in the debtor's timezone,
    frequency caps, cease-contact, holds and new disputes). Transient errors are retried with
    exponential backoff; permanent ones end in the dead letters (`dunmore deliveries list --status
    failed`). On SQLite one worker runs at a time; on PostgreSQL, as many as you like.

    Outside the demo database it refuses to start until the creditor (name, address, e-mail) and
    the channels in use (SMTP host, SMS gateway) are set, and names each setting missing.
    """
    from dunmore.delivery import readiness
    from dunmore.delivery.processes import check_processes, stop_on_signals
    from dunmore.delivery.render import Templates
    from dunmore.delivery.wiring import outlets
    from dunmore.delivery.worker import Tally, Worker

    with reported():
        app = state(ctx)
        settings = app.settings
        check_processes(processes, settings.database_url)
        with transaction(app.engine()) as conn:
            ready = readiness.check(conn, settings)
        if ready.missing:
            raise SendingNotConfigured([str(missing) for missing in ready.missing])
        for note in ready.notes:
            label = _("note:")  # Babel reads no message inside an f-string
            console.print(f"{label} {note.render(language())}", highlight=False, markup=False, soft_wrap=True)
        if processes > 1:
            _work_in_processes(settings, processes, demo=ready.demo, drain=drain, poll=poll)
            return
        templates = Templates(settings.delivery.templates_dir)
        job = Worker(app.engine(), settings, templates=templates, outlets=outlets(settings, demo=ready.demo))

        def report(tally: Tally) -> None:
            if tally.handled:
                console.print(_tally_line(tally), highlight=False)

        try:
            with stop_on_signals(job.stop):
                tally = job.run(drain=drain, poll=poll, on_batch=report if console.is_terminal else None)
        except KeyboardInterrupt:
            tally = job.tally
        console.print(_("worker done: %(tally)s", tally=_tally_line(tally)), highlight=False)


def _work_in_processes(settings: Any, processes: int, *, demo: bool, drain: bool, poll: float) -> None:
    from dunmore.delivery.processes import Job, combined, run_processes

    outcomes = run_processes(Job(settings, demo, drain, poll), processes)
    for outcome in outcomes:
        console.print(f"{outcome.name}: {_tally_line(outcome.tally)}", highlight=False)
    tally = combined([outcome.tally for outcome in outcomes])
    said = _(
        "worker done (%(processes)s processes): %(tally)s", processes=processes, tally=_tally_line(tally)
    )
    console.print(said, highlight=False)
    failed = [outcome for outcome in outcomes if outcome.error]
    for outcome in failed:
        said = _("worker %(name)s stopped: %(error)s", name=outcome.name, error=outcome.error)
        label = _("error:")
        errors.print(f"[bold red]{escape(label)}[/] {escape(said)}", highlight=False)
    if failed:
        raise typer.Exit(1)


def _tally_line(tally: Any) -> str:
    channels = ", ".join(f"{channel} {count}" for channel, count in sorted(tally.by_channel.items()))
    sent = f"{tally.sent} ({channels})" if channels else str(tally.sent)
    return _(
        "sent %(sent)s, retrying %(retried)s, deferred %(deferred)s, cancelled %(cancelled)s, "
        "failed %(failed)s, dead %(dead)s",
        sent=sent, retried=tally.retried, deferred=tally.deferred, cancelled=tally.cancelled,
        failed=tally.failed, dead=tally.dead,
    ) + _webhook_part(tally.webhooks)  # fmt: skip


def _webhook_part(hooks: Any) -> str:
    if not (hooks.posted or hooks.retried or hooks.dead):
        return ""
    return _(
        "; webhooks posted %(posted)s, retrying %(retried)s, dead %(dead)s",
        posted=hooks.posted, retried=hooks.retried, dead=hooks.dead,
    )  # fmt: skip


@deliveries_app.command("list")
def deliveries_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help=f"Only this status: {', '.join(STATUSES)}.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer (its id in your ERP).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.", min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
) -> None:
    """Deliveries with their status, attempts and last error; `--status failed` and `--status dead`
    are the dead letters an operator looks at."""
    from rich.table import Table

    from dunmore.delivery import outbox

    with reported():
        if status is not None and status not in STATUSES:
            raise BadArgument(
                _m(
                    "--status %(status)s is not a status: use one of %(known)s",
                    status=repr(status),
                    known=", ".join(STATUSES),
                )
            )
        with transaction(state(ctx).engine()) as conn:
            rows = outbox.listing(conn, status=status, customer=customer, limit=limit)
        if as_json:
            console.print_json(
                json.dumps([dict(row._mapping) for row in rows], default=str, ensure_ascii=False)
            )
            return
        table = Table(
            _("id"), _("notice"), _("customer"), _("step"), _("channel"), _("status"), _("tries"),
            _("recipient"), _("when"), _("last error"),
        )  # fmt: skip
        for row in rows:
            when = row.sent_at or row.next_attempt_at
            table.add_row(
                str(row.id), str(row.notice_id), row.customer, row.step, row.channel, row.status,
                str(row.attempts), row.recipient or "", f"{when:%Y-%m-%d %H:%M}" if when else "",
                (row.last_error or "")[:60],
            )  # fmt: skip
        console.print(table)


@deliveries_app.command("retry")
def deliveries_retry(
    ctx: typer.Context,
    ids: DeliveryIds = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Retry every failed and dead delivery.")] = False,
) -> None:
    """Put dead letters (failed or dead deliveries) back in the queue, after fixing their cause."""
    from dunmore.delivery import outbox

    with reported():
        if not ids and not all_dead:
            raise BadArgument(_m("name the deliveries to retry, or pass --all for every dead letter"))
        with transaction(state(ctx).engine()) as conn:
            chosen = outbox.dead_letters(conn) if all_dead else list(ids or [])
            count = outbox.retry(conn, chosen, now=_now(), actor=cli_actor()) if chosen else 0
        console.print(_("%(count)s deliveries back in the queue; `dunmore worker` sends them", count=count))


@deliveries_app.command("track")
def deliveries_track(
    ctx: typer.Context,
    delivery_id: Annotated[int, typer.Argument(help="The letter's delivery id.")],
    number: Annotated[str, typer.Argument(help="The postal tracking number (e.g. EMS / 挂号信 number).")],
) -> None:
    """Record the postal tracking number of a posted letter, as proof of delivery."""
    from dunmore.delivery import outbox

    with reported():
        with transaction(state(ctx).engine()) as conn:
            outbox.track(conn, delivery_id, number, now=_now(), actor=cli_actor())
        said = _("delivery %(id)s: tracking number %(number)s recorded", id=delivery_id, number=number)
        console.print(said, markup=False)


@letters_app.command("print")
def letters_print(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Option("--run", help="The run whose letters to print.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PDF file to write.")],
    duplex: Annotated[
        bool, typer.Option(help="Pad letters with an odd page count with a blank page (two-sided printing).")
    ] = True,
    shared_fonts: Annotated[
        bool,
        typer.Option(
            help="Embed each font once for the whole file (the letters' font subsets merged; the pages "
            "print the same). --no-shared-fonts keeps every letter's own subset: faster, much larger."
        ),
    ] = True,
) -> None:
    """Write one PDF with every letter of a run, exactly as stored, in delivery order, for a print shop."""
    from dunmore.delivery import outbox
    from dunmore.delivery.print_file import print_file
    from dunmore.delivery.worker import print_batch

    with reported():
        with transaction(state(ctx).engine()) as conn:
            pdfs = outbox.batch_contents(conn, print_batch(run_id))
        if not pdfs:
            raise BadArgument(
                _m(
                    "run %(run)s has no letters in its print batch yet: letters join it when "
                    "`dunmore worker` handles them",
                    run=run_id,
                )
            )
        output.write_bytes(print_file(pdfs, duplex=duplex, shared_fonts=shared_fonts))
        console.print(_("%(count)s letters written to %(file)s", count=len(pdfs), file=output), markup=False)


@notice_app.command("show")
def notice_show(
    ctx: typer.Context,
    notice_id: NoticeId,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
) -> None:
    """A notice and the proof of each delivery: recipient, idempotency key, the receiving side's
    reply and id, print batch and tracking number, SHA-256 of the content exactly as sent, and every
    attempt, deferral and cancellation."""
    from dunmore.delivery import outbox

    with reported():
        with transaction(state(ctx).engine()) as conn:
            proof = outbox.proof(conn, notice_id)
        if as_json:
            console.print_json(json.dumps(proof, default=str, ensure_ascii=False))
            return
        _print_proof(proof)


def _print_proof(proof: dict[str, Any]) -> None:
    n = proof["notice"]
    head = _("notice %(id)s", id=n["id"])
    said = _(
        "%(kind)s %(step)s for %(customer)s (%(currency)s), run %(run)s of %(date)s, %(status)s",
        kind=word("notice_kind", n["kind"]), step=n["step"], customer=n["customer"], currency=n["currency"],
        run=n["run_id"], date=n["as_of"], status=word("notice_status", n["status"]),
    )  # fmt: skip
    console.print(f"[bold]{escape(head)}[/] {escape(said)}", highlight=False)
    for d in proof["deliveries"]:
        head = _("delivery %(id)s", id=d["id"])
        said = _(
            "%(channel)s: %(status)s, attempts: %(attempts)s",
            channel=word("sent_by", d["channel"]),
            status=word("delivery_status", d["status"]),
            attempts=d["attempts"],
        )  # fmt: skip
        console.print(f"\n[bold]{escape(head)}[/] {escape(said)}")
        for label in _PROOF_LABELS:
            if d.get(label):
                value = f"{d[label]:%Y-%m-%d %H:%M:%S} UTC" if label == "sent_at" else d[label]
                console.print(f"  {label:<16} {value}", highlight=False, markup=False, soft_wrap=True)
        for e in d["events"]:
            why = f" [{e['reason']}]" if e["reason"] else ""
            line = (
                f"    {e['at']:%Y-%m-%d %H:%M:%S} UTC #{e['attempt']} {e['outcome']}{why} {e['detail'] or ''}"
            )
            console.print(line, highlight=False, markup=False, soft_wrap=True)


_PROOF_LABELS = (
    "recipient", "message_id", "reply", "provider_id", "provider_status", "print_batch", "tracking_number",
    "content_sha256", "sent_at", "last_error",
)  # fmt: skip


@notice_app.command("preview")
def notice_preview(
    ctx: typer.Context,
    notice_id: NoticeId,
    channel: Annotated[
        str, typer.Option(help="email (text and HTML), text, html, sms or letter (PDF; needs --output).")
    ] = "text",
    lang: Annotated[str | None, typer.Option(help="zh-CN, zh-TW or en (default: the customer's).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
) -> None:
    """Render a stored notice as it would go out, without sending anything."""
    from dunmore.delivery.notice_view import in_language, load_notices
    from dunmore.delivery.render import Templates
    from dunmore.delivery.view import LANGUAGES

    with reported():
        if lang is not None and lang not in LANGUAGES:
            raise BadArgument(
                _m("--lang %(lang)s: use one of %(known)s", lang=repr(lang), known=", ".join(LANGUAGES))
            )
        app = state(ctx)
        with transaction(app.engine()) as conn:
            stored = load_notices(conn, [notice_id], app.settings)[notice_id]
        view = in_language(stored.view, lang, app.settings) if lang else stored.view
        message = Templates(app.settings.delivery.templates_dir).render(stored.template, view)
        _write_preview(message, channel, output)


def _write_preview(message: Any, channel: str, output: Path | None) -> None:
    if channel == "letter":
        from dunmore.delivery.letter import print_letter

        if output is None:
            raise BadArgument(_m("a letter is a PDF: give --output FILE.pdf"))
        output.write_bytes(print_letter(message.letter))
        console.print(_("letter written to %(file)s", file=output), markup=False)
        return
    texts = {
        "text": f"{message.subject}\n\n{message.text}",
        "email": f"Subject: {message.subject}\n\n{message.text}\n\n{message.html}",
        "html": message.html,
        "sms": message.sms,
    }
    if channel not in texts:
        raise BadArgument(
            _m(
                "--channel %(channel)s: use one of %(known)s",
                channel=repr(channel),
                known=", ".join([*texts, "letter"]),
            )
        )
    if output is None:
        typer.echo(texts[channel])  # as it is, not re-wrapped to the terminal's width
    else:
        output.write_text(texts[channel], encoding="utf-8")
        console.print(
            _("%(channel)s preview written to %(file)s", channel=channel, file=output), markup=False
        )


def sms_callbacks(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8026,
) -> None:
    """Receive the SMS gateway's status callbacks (POST /sms/status) and record each on its delivery,
    as proof of delivery. Only callbacks signed by the gateway are recorded: Twilio's with the auth
    token over DUNMORE_SMS__STATUS_CALLBACK_URL (the public URL Twilio posts to), the webhook's with
    DUNMORE_SMS__CALLBACK_SECRET; the command refuses to start without them."""
    import uvicorn

    from dunmore.delivery.callbacks import PATH, StatusCallbacks, create_app, server_config
    from dunmore.delivery.wiring import callback_verifier, sms_gateway

    with reported():
        app = state(ctx)
        gateway = sms_gateway(app.settings.sms)
        if gateway is None:
            raise BadArgument(
                _m("no SMS gateway is configured: set DUNMORE_SMS__ADAPTER and DUNMORE_SMS__URL")
            )
        verifier = callback_verifier(app.settings.sms)
        callbacks = StatusCallbacks(app.engine(), gateway, verifier, clock=_now)
        config = server_config(create_app(callbacks), host=host, port=port, log_level="warning")
        url = f"http://{host}:{port}{PATH}"
        console.print(_("recording SMS status callbacks posted to %(url)s; Ctrl-C stops", url=url))
        uvicorn.Server(config).run()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("sms-callbacks")(sms_callbacks)
    app.add_typer(deliveries_app, name="deliveries")
    app.add_typer(notice_app, name="notice")
    app.add_typer(letters_app, name="letters")
