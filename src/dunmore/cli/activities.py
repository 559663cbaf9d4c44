"""`dunmore activity add|list`, `dunmore codes list|add|disable`, `dunmore timeline`: the customer's
story from the terminal.

The command line is the operator's: it reaches every customer and acts in the name of the person at
the terminal (`cli:<os user>`), as the audit log records it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from dunmore.access.values import Language, Role, User
from dunmore.cli.context import business_today, cli_actor, console, reported, state, transaction
from dunmore.cli.language import _, language
from dunmore.errors import BadArgument, InputFileError
from dunmore.i18n import _m
from dunmore.workspace.kinds import ATTACHMENT_MAX_BYTES, ActivityKind, Channel, CodeKind

if TYPE_CHECKING:
    from dunmore.workspace.activities import ActivityView, Upload

activity_app = typer.Typer(
    help="Contacts with a customer: calls, visits, e-mails, chats, meetings, notes.", no_args_is_help=True
)
codes_app = typer.Typer(help="Outcome and overdue-reason codes of contacts.", no_args_is_help=True)

Customer = Annotated[str, typer.Argument(help="The customer id of your ERP, as imported (e.g. C000016).")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]
Kind = Annotated[
    CodeKind, typer.Argument(help="outcome (how a contact ended) or reason (why it is overdue).")
]
Code = Annotated[str, typer.Argument(help="The code: 2-30 small letters, digits or _.")]


def _now() -> datetime:
    return datetime.now(UTC)


def operator() -> User:
    """The person at the terminal, as services see users: every customer, every permission."""
    return User(0, cli_actor(), Role.ADMIN, Language(language()), frozenset(), False, _now())


def _at(text: str | None, zone: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadArgument(
            _m(
                "--at %(text)s is not a moment: write it as 2026-03-10T09:30 (the creditor's time)",
                text=repr(text),
            )
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def _day(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadArgument(
            _m("%(option)s %(text)s is not a date: write it as YYYY-MM-DD", option=option, text=repr(text))
        ) from exc


def _uploads(paths: list[Path]) -> list[Upload]:
    from dunmore.workspace.activities import Upload

    found = []
    for path in paths:
        try:
            size = path.stat().st_size
            if size > ATTACHMENT_MAX_BYTES:  # refused before it is read whole
                raise BadArgument(
                    _m(
                        "%(file)s: a file holds 1 byte to 10 MiB, not %(size)s bytes",
                        file=path.name,
                        size=size,
                    )
                )
            content = path.read_bytes()
        except OSError as exc:
            raise InputFileError(
                _m("cannot read %(file)s: %(error)s", file=str(path), error=exc.strerror)
            ) from exc
        found.append(Upload(path.name, content))
    return found


@activity_app.command("add")
def add(
    ctx: typer.Context,
    customer: Customer,
    kind: Annotated[ActivityKind, typer.Option("--kind", help="What it was.")],
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="How it ended: `dunmore codes list`.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the customer says it is overdue.")
    ] = None,
    channel: Annotated[Channel | None, typer.Option("--channel", help="Through what.")] = None,
    contact: Annotated[str | None, typer.Option("--contact", help="The contact's name or id.")] = None,
    note: Annotated[str, typer.Option("--note", help="What was said (at most 4000 characters).")] = "",
    follow_up: Annotated[
        str | None, typer.Option("--follow-up", help="When to come back (YYYY-MM-DD); needed for call_back.")
    ] = None,
    duration: Annotated[int | None, typer.Option("--duration", help="How long it took, in minutes.")] = None,
    attach: Annotated[
        list[Path] | None,
        typer.Option(
            "--attach", help="An evidence file: PDF, PNG, JPEG or WebP, ≤ 10 MiB (repeat, at most 5)."
        ),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="When it happened (default: now), e.g. 2026-03-10T09:30.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Log a contact with a customer: its outcome, the reason given, a follow-up date, evidence."""
    from dunmore.workspace.activities import NewActivity, log_activity

    app = state(ctx)
    with reported():
        new = NewActivity(
            kind=kind,
            channel=channel,
            contact=contact,
            outcome=outcome,
            reason=reason,
            at=_at(at, app.settings.timezone),
            duration_minutes=duration,
            follow_up_on=_day("--follow-up", follow_up),
            note=note,
            attachments=_uploads(attach or []),
        )
        with transaction(app.engine()) as conn:
            logged = log_activity(
                conn,
                user=operator(),
                customer=customer,
                new=new,
                now=_now(),
                today=business_today(app.settings),
            )
    if as_json:
        console.print_json(json.dumps(_json(logged), ensure_ascii=False))
        return
    console.print(_("contact %(id)s logged on %(customer)s", id=logged.id, customer=customer), markup=False)
    _say_record_next(outcome, customer)
    for file in logged.attachments:
        console.print(f"  {file.filename}  sha256 {file.sha256}", markup=False, highlight=False)


def _json(found: ActivityView) -> dict[str, Any]:
    values = asdict(found)
    values["at"] = found.at.isoformat()
    values["follow_up_on"] = found.follow_up_on and found.follow_up_on.isoformat()
    return values


@activity_app.command("list")
def list_(
    ctx: typer.Context,
    customer: Customer,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=200, help="At most this many, newest first.")
    ] = 50,
    as_json: AsJson = False,
) -> None:
    """The customer's contacts, newest logged first."""
    from dunmore.workspace.activities import list_activities
    from dunmore.workspace.codes import labels_of

    with reported(), transaction(state(ctx).engine()) as conn:
        found = list_activities(conn, user=operator(), customer=customer, limit=limit)
        labels = labels_of(conn, language())
    if as_json:
        console.print_json(json.dumps([_json(a) for a in found], ensure_ascii=False))
        return
    table = Table(
        "id", _("when (UTC)"), _("kind"), _("outcome"), _("reason"), _("follow-up"), _("by"), _("note")
    )
    for a in found:
        table.add_row(
            str(a.id),
            a.at.strftime("%Y-%m-%d %H:%M"),
            a.kind,
            escape(labels.get(("outcome", a.outcome or ""), a.outcome or "")),
            escape(labels.get(("reason", a.reason or ""), a.reason or "")),
            a.follow_up_on.isoformat() if a.follow_up_on else "",
            escape(a.actor),
            escape(a.note),
        )
    console.print(table)


@codes_app.command("list")
def codes_list(
    ctx: typer.Context,
    kind: Annotated[CodeKind | None, typer.Option("--kind", help="Only outcomes or only reasons.")] = None,
    as_json: AsJson = False,
) -> None:
    """The codes, built-in first, with their labels in the three languages."""
    from dunmore.workspace.codes import list_codes

    with reported(), transaction(state(ctx).engine()) as conn:
        found = list_codes(conn, kind=kind)
    if as_json:
        console.print_json(
            json.dumps([asdict(c) | {"labels": dict(c.labels)} for c in found], ensure_ascii=False)
        )
        return
    table = Table(_("kind"), _("code"), "zh-CN", "zh-TW", "en", _("active"))
    for c in found:
        table.add_row(
            c.kind,
            c.code,
            *(escape(c.labels[lang]) for lang in ("zh-CN", "zh-TW", "en")),
            "✓" if c.active else "",
        )
    console.print(table)


@codes_app.command("add")
def codes_add(
    ctx: typer.Context,
    kind: Kind,
    code: Code,
    zh_cn: Annotated[str, typer.Option("--zh-cn", help="The label in simplified Chinese.")],
    zh_tw: Annotated[str, typer.Option("--zh-tw", help="The label in traditional Chinese.")],
    en: Annotated[str, typer.Option("--en", help="The label in English.")],
) -> None:
    """Add an outcome or reason code, labelled in the three languages."""
    from dunmore.workspace.codes import add_code

    labels = {"zh-CN": zh_cn, "zh-TW": zh_tw, "en": en}
    with reported(), transaction(state(ctx).engine()) as conn:
        add_code(conn, user=operator(), kind=kind, code=code, labels=labels, now=_now())
    console.print(_("%(kind)s code %(code)s added", kind=kind.value, code=code), markup=False)


@codes_app.command("disable")
def codes_disable(ctx: typer.Context, kind: Kind, code: Code) -> None:
    """Stop offering a code an admin added; contacts that name it keep it."""
    from dunmore.workspace.codes import disable_code

    with reported(), transaction(state(ctx).engine()) as conn:
        disable_code(conn, user=operator(), kind=kind, code=code, now=_now())
    console.print(_("%(kind)s code %(code)s disabled", kind=kind.value, code=code), markup=False)


def timeline(
    ctx: typer.Context,
    customer: Customer,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="Only these kinds: notice, delivery, activity, payment, promise, dispute, "
            "change, task (repeat or separate by commas).",
        ),
    ] = None,
    since: Annotated[str | None, typer.Option("--from", help="From this date (YYYY-MM-DD, UTC).")] = None,
    until: Annotated[str | None, typer.Option("--to", help="To this date, included.")] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write CSV (UTF-8 with BOM) to this file.")
    ] = None,
    pdf_file: Annotated[Path | None, typer.Option("--pdf", help="Write a PDF table to this file.")] = None,
    as_json: AsJson = False,
) -> None:
    """The customer's timeline, newest first: notices, deliveries, contacts, payments, promises,
    disputes, holds and tasks."""
    from dunmore.workspace import timeline_export
    from dunmore.workspace.codes import labels_of
    from dunmore.workspace.timeline import Filter, kinds_of, whole_timeline

    app = state(ctx)
    lang, zone = language(), app.settings.timezone
    with reported():
        which = Filter(kinds_of(kind or []), _day("--from", since), _day("--to", until))
        with transaction(app.engine()) as conn:
            events = whole_timeline(conn, user=operator(), customer=customer, which=which)
            labels = labels_of(conn, lang)
        if csv_file is not None:
            _write(csv_file, timeline_export.csv_bytes(events, lang, labels, zone))
        if pdf_file is not None:
            title = _("Timeline of %(customer)s", customer=customer)
            _write(pdf_file, timeline_export.pdf_bytes(events, lang, labels, zone, title=title))
    if csv_file or pdf_file:
        console.print(_("%(count)s events written", count=len(events)), markup=False)
    elif as_json:
        console.print_json(json.dumps([_event_json(e) for e in events], ensure_ascii=False))
    else:
        _print_timeline(events, lang, labels, zone)


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputFileError(
            _m("cannot write %(file)s: %(error)s", file=str(path), error=exc.strerror)
        ) from exc


def _event_json(event: Any) -> dict[str, Any]:
    values = asdict(event) | {"kind": event.kind, "at": event.at.isoformat()}
    values["on"] = event.on and event.on.isoformat()
    return values


def _print_timeline(events: list[Any], lang: str, labels: Any, zone: str) -> None:
    from dunmore.workspace.timeline_export import rows

    table = Table(_("when"), _("kind"), _("what happened"), _("amount"), _("by"), _("note"))
    for row in rows(events, lang, labels, zone):
        table.add_row(
            *(escape(row[i]) for i in (0, 1, 2)),
            escape(f"{row[3]} {row[4]}".strip()),
            *(escape(row[i]) for i in (5, 6)),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(activity_app, name="activity")
    app.add_typer(codes_app, name="codes")
    app.command("timeline")(timeline)


def _say_record_next(outcome: str | None, customer: str) -> None:
    """After a "promised" or "disputed" contact, the command that records it for the run."""
    from dunmore.workspace.codes import RECORD_NEXT

    record = RECORD_NEXT.get(outcome or "")
    if record == "promise":
        console.print(_("record the promise: dunmore promise add %(customer)s --amount AMOUNT --by DATE",
                        customer=customer), markup=False)  # fmt: skip
    elif record == "dispute":
        console.print(
            _("record the dispute: dunmore dispute open INVOICE AMOUNT --reason REASON"), markup=False
        )
