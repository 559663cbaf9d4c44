"""`dunmore templates check` and `templates show`: notice templates checked and previewed with samples."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from dunmore.cli.context import AppState, console, reported
from dunmore.cli.language import _
from dunmore.delivery.languages import LANGUAGES, Language
from dunmore.errors import BadArgument
from dunmore.i18n import _m

if TYPE_CHECKING:  # Jinja and the checks load when a command runs, not for `--help`
    from rich.table import Table

    from dunmore.delivery.check import TemplateProblem

templates_app = typer.Typer(
    help="Notice templates: check a template set in every language, preview a step.", no_args_is_help=True
)
SHOWN: Final = ("email", "text", "sms", "letter", "brief")

OverrideDir = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="A folder of your own templates ({step}/{lang}.jinja), used before the default set "
        "(default: the delivery.templates_dir setting, if any).",
        file_okay=False,
        exists=True,
    ),
]


def _folder(ctx: typer.Context, option: Path | None) -> Path | None:
    """The --dir folder, else the one of the settings (when the root command has built them)."""
    if option is not None:
        return option
    root = ctx.find_root().obj
    return root.settings.delivery.templates_dir if isinstance(root, AppState) else None


@templates_app.command("check")
def check_command(
    ctx: typer.Context,
    override_dir: OverrideDir = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="A policy file (YAML): check the templates its steps use, by their channels. "
            "Without it, every step folder of the default and --dir sets, for every channel.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check every template in zh-CN, zh-TW and en: syntax, variables, samples, wording, SMS length."""
    from dunmore.delivery.check import TemplateUse, check_templates, uses_for_policies
    from dunmore.delivery.render import Templates
    from dunmore.domain.policy import CHANNELS, load_policy_file

    with reported():
        templates = Templates(_folder(ctx, override_dir))
        if policy is not None:
            uses = uses_for_policies(load_policy_file(policy))
        else:
            uses = [TemplateUse(step, CHANNELS) for step in templates.step_templates()]
        problems = check_templates(templates, uses)
    if problems:
        console.print(_problem_table(problems))
        said = _("%(count)s problem(s) in %(templates)s templates", count=len(problems), templates=len(uses))
        console.print(said, style="red", markup=False)
        raise typer.Exit(1)
    languages = ", ".join(LANGUAGES)
    said = _(
        "all %(count)s templates pass in %(languages)s (%(files)s files)",
        count=len(uses), languages=languages, files=len(uses) * len(LANGUAGES),
    )  # fmt: skip
    console.print(said)


def _problem_table(problems: list[TemplateProblem]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(
        _("template"), _("language"), _("where"), _("code"), _("problem"), title=_("Template problems")
    )
    for problem in problems:
        where = _short(problem.file) + (f":{problem.line}" if problem.line else "")
        table.add_row(problem.template, problem.language or "-", where, problem.code, Text(problem.message))
    return table


def _short(file: str) -> str:
    """A path relative to the working folder when it lies inside it."""
    try:
        relative = os.path.relpath(file)
    except ValueError:  # another drive (Windows)
        return file
    return file if relative.startswith("..") else relative


@templates_app.command("show")
def show_command(
    ctx: typer.Context,
    step: Annotated[str, typer.Argument(help="The step template, e.g. overdue-1 (a folder of the set).")],
    lang: Annotated[str, typer.Option(help=f"Language: {', '.join(LANGUAGES)}.")] = "zh-CN",
    channel: Annotated[str, typer.Option(help=f"What to show: {', '.join(SHOWN)}.")] = "email",
    currency: Annotated[str, typer.Option(help="Currency of the sample notice, e.g. CNY, EUR, JPY.")] = "CNY",
    override_dir: OverrideDir = None,
) -> None:
    """Render a step with the sample notice (a reminder for reminder-* steps) and print it."""
    from dunmore.delivery.check import sample_notice
    from dunmore.delivery.render import Templates
    from dunmore.delivery.segments import count_segments

    with reported():
        language = _language(lang)
        if channel not in SHOWN:
            raise BadArgument(
                _m(
                    "--channel %(channel)s is not one of %(known)s",
                    channel=repr(channel),
                    known=", ".join(SHOWN),
                )
            )
        view = sample_notice(step, language, currency.upper(), reminder=step.startswith("reminder"))
        message = Templates(_folder(ctx, override_dir)).render(step, view)
        if channel == "letter" and not message.letter_html:
            raise BadArgument(_m("this template set has no letter layout (layouts/letter.html.jinja)"))
    if channel == "sms":
        typer.echo(message.sms)
        counted = count_segments(message.sms)
        said = _(
            "%(encoding)s, %(units)s units, %(segments)s SMS",
            encoding=counted.encoding, units=counted.units, segments=counted.segments,
        )  # fmt: skip
        console.print(said, style="dim", markup=False)
        return
    shown = {
        "email": message.html,
        "letter": message.letter_html,
        "text": f"{message.subject}\n\n{message.text}",
        "brief": message.brief or "(this template has no brief for staff)\n",
    }
    typer.echo(shown[channel], nl=False)


def _language(text: str) -> Language:
    for language in LANGUAGES:
        if language.lower() == text.lower():
            return language
    raise BadArgument(
        _m("--lang %(lang)s is not one of %(known)s", lang=repr(text), known=", ".join(LANGUAGES))
    )


def register(app: typer.Typer) -> None:
    app.add_typer(templates_app, name="templates")
