"""The command line in the reader's language: help texts, messages and errors.

The language is `DUNMORE_LANG`, else the terminal's locale (`dunmore.i18n.from_environment`); the
command line has no signed-in user whose setting would come first. Typer builds the help texts in
English: `TranslatedGroup`, the root command's class, says its own in the reader's language just
before the command line parses its arguments, and each sub-command's as it is built (only when used,
`dunmore.cli.commands`; the listing of `dunmore --help` is kept in the three languages), so that the
help, the usage errors and nothing else need the catalog, read from a cached `.mo` without Babel (see
`dunmore.i18n.gettext_for`); click's and Typer's own words follow the same language
(`dunmore.cli.framework`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator, Mapping
from typing import Any

from dunmore import i18n
from dunmore.cli.commands import LazyGroup


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


def _subcommands(command: Any) -> Mapping[str, Any]:
    """A group's sub-commands (Typer's commands are its own copy of click's: read by duck typing; the
    root's are a `LazyCommands`, which builds each as it is read)."""
    found = getattr(command, "commands", None)
    return found if isinstance(found, Mapping) else {}


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


def translate_help(command: Any, language: str, *, deep: bool = True) -> None:
    """Replace every help text of `command` and (if `deep`) its sub-commands by its translation."""
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
    for sub in _subcommands(command).values() if deep else ():
        translate_help(sub, language)


class TranslatedGroup(LazyGroup):
    """The root `dunmore` command: its help, and every sub-command's, in the reader's language (a
    sub-command's when it is built, as the root's commands are built when used)."""

    said: str | None = None  # the reader's language, during a run of the command line

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from dunmore.cli.framework import speaking

        self.said = language()
        translate_help(self, self.said, deep=False)
        with speaking(self.said):  # click's and Typer's own words too: "Usage:", "Missing argument"…
            return super().main(*args, **kwargs)

    def loaded(self, command: Any) -> None:
        if self.said is not None:  # outside a run (the catalog's extraction), the help stays English
            translate_help(command, self.said)

    def language(self) -> str:
        return self.said or "en"
