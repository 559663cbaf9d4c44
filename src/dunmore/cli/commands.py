"""The command line's commands: the modules that make them, and a listing that names them without
importing those modules (issue 15: `dunmore --help` in a blink).

Each module of `MODULES` adds its commands to the `Typer` its `register(app)` is given, once a
process (`commands_of`). The root command does not import them all to start: its sub-commands are a
`LazyCommands` mapping, whose names come from the listing (`commands.json`) and whose commands are
built from their module on first look-up. `dunmore --help` shows each command's line from the
listing, in the reader's language, so no command module is imported for it.

The listing is written from the commands themselves, never by hand:

    python -m dunmore.cli.commands

and tests/unit/test_cli_commands.py holds it equal to them (names, order, panels, and each command's
line in zh-CN, zh-TW and en).
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command

# The capabilities' command modules, in the order `dunmore --help` lists their commands.
MODULES = (
    "dunmore.cli.demo",
    "dunmore.cli.imports",
    "dunmore.cli.db",
    "dunmore.cli.reports",
    "dunmore.cli.dunning",
    "dunmore.cli.delivery",
    "dunmore.cli.templates",
    "dunmore.cli.holds",
    "dunmore.cli.promises",
    "dunmore.cli.disputes",
    "dunmore.cli.access",
    "dunmore.cli.portfolios",
    "dunmore.cli.web",
    "dunmore.cli.webhooks",
    "dunmore.cli.activities",
    "dunmore.cli.worklist",
    "dunmore.cli.alerts",
    "dunmore.cli.plans",
    "dunmore.cli.grades",
    "dunmore.cli.credit",
    "dunmore.cli.contacts",
    "dunmore.cli.playbook",
    "dunmore.cli.contracts",
    "dunmore.cli.portal",
    "dunmore.cli.statements",
)
LISTING = Path(__file__).with_name("commands.json")
MARKUP: Final = "rich"  # the root's `rich_markup_mode`, which its sub-commands share


@dataclass(frozen=True)
class Listed:
    """One command of the root as `dunmore --help` lists it: its line is the first paragraph of its
    help, as said in each language."""

    name: str
    module: str
    panel: str | None
    hidden: bool
    line: Mapping[str, str]


@cache
def listing() -> dict[str, Listed]:
    """The root's commands by name, in their order, as written in `commands.json`."""
    rows = json.loads(LISTING.read_text(encoding="utf-8"))
    return {row["name"]: Listed(**row) for row in rows}


@cache
def commands_of(module: str) -> typer.Typer:
    """The commands `module` registers, on a `Typer` of their own (its `register` runs once)."""
    app = typer.Typer(rich_markup_mode=MARKUP)
    importlib.import_module(module).register(app)
    return app


def built(module: str) -> dict[str, Command]:
    """`module`'s commands as click commands, new ones on each call (their help is said in place)."""
    return dict(typer.main.get_group(commands_of(module)).commands)


def line_of(command: Command) -> str:
    """The line the listing shows for `command`: the first paragraph of its help, as Typer's Rich
    formatter takes it."""
    return inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]


def panel_of(command: Command) -> str | None:
    """The help panel `command` is listed in (None: "Commands"); Typer leaves a group's unset one as
    a false `DefaultPlaceholder`."""
    panel = getattr(command, "rich_help_panel", None)
    return str(getattr(panel, "value", panel)) if panel else None


class LazyCommands(MutableMapping[str, "Command"]):
    """The root's sub-commands: every name from the listing, each command built from its module on
    first look-up (and handed to `loaded`, which says its help in the reader's language)."""

    def __init__(self, listed: Mapping[str, Listed], loaded: Callable[[Command], None]) -> None:
        self.listed = listed
        self.loaded = loaded
        self.found: dict[str, Command] = {}
        self.names = list(listed)

    def __getitem__(self, name: str) -> Command:
        if name not in self.found:
            for found, command in built(self.listed[name].module).items():  # KeyError: no such command
                self.loaded(command)
                self.found.setdefault(found, command)
        return self.found[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self.found[name] = command
        if name not in self.names:
            self.names.append(name)

    def __delitem__(self, name: str) -> None:
        self.names.remove(name)
        self.found.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def as_listed(self, language: str) -> dict[str, Command]:
        """Each command as loaded if it is, else a stand-in with its name, line, panel and hidden
        flag: all that the listing of `dunmore --help` reads."""
        return {name: self.found.get(name) or self._stand_in(name, language) for name in self.names}

    def _stand_in(self, name: str, language: str) -> Command:
        listed = self.listed[name]
        return TyperCommand(
            name=name,
            help=listed.line[language],
            hidden=listed.hidden,
            rich_help_panel=listed.panel,
            rich_markup_mode=MARKUP,
        )


class LazyGroup(TyperGroup):
    """A group whose sub-commands are the listing's, built when used (see the module's docstring)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.lazy = LazyCommands(listing(), self.loaded)
        self.commands = self.lazy

    def loaded(self, command: Command) -> None:
        """What is done to a sub-command once it is built (nothing here)."""

    def language(self) -> str:
        """The language the listing is shown in."""
        return "en"

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help page, whose list of commands comes from the listing: no command module is
        imported to show it."""
        self.commands = self.lazy.as_listed(self.language())
        try:
            super().format_help(ctx, formatter)
        finally:
            self.commands = self.lazy


def full_group() -> TyperGroup:
    """Every command of every module, built now, in the listing's order: what the listing is written
    from and checked against. Typer lists a group's commands before its sub-groups, so the commands
    of all modules come first, then their groups, each in the order of `MODULES`."""
    built_now = [built(module) for module in MODULES]
    commands: dict[str, Command] = {}
    for groups in (False, True):
        for module, made in zip(MODULES, built_now, strict=True):
            for name, command in made.items():
                if isinstance(command, TyperGroup) != groups:
                    continue
                if name in commands:
                    raise ValueError(f"two modules register `{name}` ({module} is the second)")
                commands[name] = command
    return TyperGroup(name="dunmore", commands=commands, rich_markup_mode=MARKUP)


def written(say: Callable[[Command, str], None], languages: tuple[str, ...]) -> list[dict[str, Any]]:
    """The listing of the commands as they are: `say(command, language)` says a command's help in
    `language` (the command line's `translate_help`)."""
    modules = {name: module for module in MODULES for name in built(module)}
    lines: dict[str, dict[str, str]] = {name: {} for name in modules}
    for language in languages:
        for name, command in full_group().commands.items():
            say(command, language)
            lines[name][language] = line_of(command)
    return [
        asdict(
            Listed(
                name=name,
                module=modules[name],
                panel=panel_of(command),
                hidden=command.hidden,
                line=lines[name],
            )
        )
        for name, command in full_group().commands.items()
    ]


def main() -> None:
    from dunmore.cli.language import translate_help
    from dunmore.i18n import LANGUAGES

    rows = written(translate_help, LANGUAGES)
    LISTING.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{LISTING}: {len(rows)} commands")


if __name__ == "__main__":
    main()
