"""The command line in the reader's language: help texts, messages and errors.

The language is `DUNMORE_LANG`, else the terminal's locale (`dunmore.i18n.from_environment`); the
command line has no signed-in user whose setting would come first. Typer builds the help texts at
import, in English: `TranslatedGroup`, the root command's class, says them in the reader's language
just before the command line parses its arguments, so that the help, the usage errors and nothing
else need the catalog, read from a cached `.mo` without Babel (see `dunmore.i18n.gettext_for`); click's
and Typer's own words follow the same language (`dunmore.cli.framework`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from typing import Any

from typer.core import TyperGroup

from dunmore import i18n


def language() -> str:
    """The reader's language, read from the environment on each use (tests change it per call)."""
    return i18n.from_environment(os.environ)


def _(message: str, **values: Any) -> str:
    """`message` (an English msgid with named placeholders) in the reader's language."""
    return i18n.translate(language(), message, **values)


def help_msgid(text: str) -> str:
    """A help text as its msgid: dedented, each paragraph on one line (as Typer shows it), so that
    re-wrapping a docstring in the source does not change what is translated."""
    paragraphs = inspect.cleandoc(text).partition("\f")[0].split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines()) for p in paragraphs
    )


def _subcommands(command: Any) -> dict[str, Any]:
    """A group's sub-commands (Typer's commands are its own copy of click's: read by duck typing)."""
    found = getattr(command, "commands", None)
    return found if isinstance(found, dict) else {}


def help_texts(command: Any, path: str = "dunmore") -> Iterator[tuple[str, str]]:
    """Every help text of `command` and its sub-commands, as (command path, msgid)."""
    for text in (command.help, command.short_help, command.epilog):
        if text:
            yield path, help_msgid(text)
    for param in command.params:
        if text := getattr(param, "help", None):
            yield path, help_msgid(text)
    for name, sub in _subcommands(command).items():
        yield from help_texts(sub, f"{path} {name}")


def translate_help(command: Any, language: str) -> None:
    """Replace every help text of `command` and its sub-commands by its translation."""
    catalog = i18n.gettext_for(language)

    def said(text: str | None) -> str | None:
        return catalog.gettext(help_msgid(text)) if text else text

    command.help, command.short_help, command.epilog = (
        said(command.help),
        said(command.short_help),
        said(command.epilog),
    )
    for param in command.params:
        if getattr(param, "help", None):
            param.help = said(param.help)
    for sub in _subcommands(command).values():
        translate_help(sub, language)


class TranslatedGroup(TyperGroup):
    """The root `dunmore` command: its help, and every sub-command's, in the reader's language."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from dunmore.cli.framework import speaking

        said = language()
        translate_help(self, said)
        with speaking(said):  # click's and Typer's own words too: "Usage:", "Missing argument"…
            return super().main(*args, **kwargs)
