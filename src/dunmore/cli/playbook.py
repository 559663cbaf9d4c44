"""`dunmore playbook show|set|reset|load`: the call playbook, the answers a collector may give to each
overdue reason, in zh-CN, zh-TW and en. The command line acts as an operator who may edit it (whoever
opens the database can); every change is audited under the terminal's name."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from dunmore.cli.context import cli_actor, console, reported, state, transaction
from dunmore.cli.language import _
from dunmore.errors import BadArgument
from dunmore.i18n import _m

playbook_app = typer.Typer(
    help="The call playbook: answers to each overdue reason, per language.", no_args_is_help=True
)

Reason = Annotated[
    str, typer.Argument(help="The overdue reason code (`dunmore codes list`), e.g. cash_flow.")
]
Lang = Annotated[str, typer.Option("--lang", help="The language of the answer: zh-CN, zh-TW or en.")]


def _operator() -> Any:
    """The person at the terminal as a user who may edit the playbook."""
    from dunmore.access.values import Language, Role, User

    return User(0, cli_actor(), Role.ADMIN, Language.EN, frozenset(), False, datetime(2026, 1, 1, tzinfo=UTC))


def _now() -> datetime:
    return datetime.now(UTC)


@playbook_app.command("show")
def show(
    ctx: typer.Context,
    reason: Annotated[str | None, typer.Option("--reason", help="Only this overdue reason code.")] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Only this language: zh-CN, zh-TW or en.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
) -> None:
    """Show the answers of the playbook, shipped or written by a manager."""
    from dunmore.workspace import playbook

    with reported(), transaction(state(ctx).engine()) as conn:
        answers = playbook.playbook(conn, user=_operator(), reason=reason, language=lang)
    if as_json:
        rows = [{"reason": a.reason, "language": a.language, "text": a.text, "shipped": a.shipped,
                 "edited_by": a.edited_by} for a in answers]  # fmt: skip
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for a in answers:
        who = _("shipped with Dunmore") if a.shipped else _("written by %(login)s", login=a.edited_by or "")
        console.print(f"[bold]{a.reason}[/bold] · {a.reason_label} · {a.language} ({who})")
        console.print(a.text or _("No answer yet: a manager can write one."), markup=False)
        console.print()


@playbook_app.command("set")
def set_(
    ctx: typer.Context,
    reason: Reason,
    lang: Lang,
    text: Annotated[str, typer.Option("--text", help="The answer, at most 2000 characters.")],
) -> None:
    """Write the answer to one reason in one language (it replaces the shipped one)."""
    from dunmore.workspace import playbook

    with reported(), transaction(state(ctx).engine()) as conn:
        playbook.set_answer(conn, user=_operator(), reason=reason, language=lang, text=text, now=_now())
    console.print(_("answer to %(reason)s in %(language)s written", reason=reason, language=lang))


@playbook_app.command("reset")
def reset(ctx: typer.Context, reason: Reason, lang: Lang) -> None:
    """Drop a manager's answer: the shipped answer stands again."""
    from dunmore.workspace import playbook

    with reported(), transaction(state(ctx).engine()) as conn:
        playbook.reset_answer(conn, user=_operator(), reason=reason, language=lang, now=_now())
    console.print(_("answer to %(reason)s in %(language)s reset", reason=reason, language=lang))


@playbook_app.command("load")
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A YAML file: reason code → language → answer.")],
) -> None:
    """Write every answer of a YAML file, all or none."""
    from dunmore.workspace import playbook

    with reported():
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise BadArgument(
                _m("cannot read %(file)s: %(error)s", file=str(file), error=exc.strerror)
            ) from exc
        except UnicodeDecodeError as exc:
            raise BadArgument(_m("%(file)s is not UTF-8 text", file=str(file))) from exc
        answers = playbook.read_file(text)
        with transaction(state(ctx).engine()) as conn:
            count = playbook.load(conn, user=_operator(), answers=answers, now=_now())
    console.print(_("%(count)s answers written", count=count))


def register(app: typer.Typer) -> None:
    app.add_typer(playbook_app, name="playbook")
