"""Typer's own words ("Usage:", "Options", "Missing argument", "No such option"…) in the reader's
language.

Typer carries its own copy of click (`typer._click`), whose texts are plain English f-strings, and
adds a few of its own through the standard library's gettext (`typer.core`: `from gettext import
gettext as _`) or as constants that `typer.rich_utils` computes when it is imported (lazily: only for a
help page or an error, and it costs a few tenths of a second). `speaking(language)`, around one run of
the command line, says them in `language`:

- `typer.core`'s `_` is pointed at Dunmore's catalog;
- `typer.rich_utils`' headings are set from the catalog, now if it is loaded, else when it is;
- the usage line's "Usage:" and the `--help` option's own help are translated where click makes them;
- an error's message (`format_message`) is read back against the catalog
  (`i18n.translate_english`), whose msgids for these sentences are written in Dunmore's notation
  (`"No such option: %(name)s"`) and listed in `SENTENCES`.

Everything is put back when the block ends. The msgids are listed here so that the catalog check
requires them in every language (`dunmore.i18n.extract`, area `framework`), and
tests/i18n/test_framework.py tells when a new Typer no longer writes one of them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from dunmore import i18n

if TYPE_CHECKING:
    from importlib.abc import Loader

RICH_UTILS = "typer.rich_utils"
# typer.rich_utils computes these once, at its import: name → msgid.
RICH_CONSTANTS = {
    "DEPRECATED_STRING": "(deprecated) ",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}
# typer.core's gettext texts (its `{}` placeholders are filled by `.format`).
GETTEXT = (
    "Aborted!",
    "default: {default}",
    "env var: {var}",
    "required",
    "(dynamic)",
    "Arguments",
    "Options",
    "Commands",
    "Missing command.",
    "No such command {name!r}.",
)
USAGE = "Usage:"
HELP_OPTION = "Show this message and exit."
# What typer._click writes as English f-strings, as msgids that read its values back.
SENTENCES = (
    "Missing argument %(name)s.",
    "Missing option %(name)s.",
    "Missing argument %(name)s. %(detail)s",
    "Missing option %(name)s. %(detail)s",
    "Choose from:\n\t%(choices)s",
    "Invalid value: %(reason)s",
    "Invalid value for %(name)s: %(reason)s",
    "No such option: %(name)s",
    "%(error)s (Possible options: %(options)s)",
    "Got unexpected extra argument(s) (%(arguments)s)",
    "Option %(name)s does not take a value.",
    "Option %(name)s requires an argument.",
    "Option %(name)s requires %(count)s arguments.",
    "Argument %(name)s takes %(count)s values.",
    "%(value)s is not one of %(choices)s.",
    "Could not open file %(file)s: %(reason)s",
    "%(error)s. Did you mean %(suggestions)s?",  # typer.core adds it to "No such command", said already
)


def msgids() -> list[str]:
    """Every text of Typer that Dunmore's catalog translates (without duplicates)."""
    return list(dict.fromkeys([*RICH_CONSTANTS.values(), *GETTEXT, USAGE, HELP_OPTION, *SENTENCES]))


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Typer says its own texts in `language` inside the block, and English again after."""
    catalog = i18n.gettext_for(language)
    with ExitStack() as undo:
        undo.enter_context(_gettext(catalog.gettext))
        undo.enter_context(_rich_constants(catalog.gettext))
        undo.enter_context(_usage_and_help(catalog.gettext))
        undo.enter_context(_error_messages(lambda english: i18n.translate_english(language, english)))
        yield


@contextmanager
def _replaced(owner: Any, name: str, value: Any) -> Iterator[None]:
    """`owner.name` is `value` inside the block, what it was after."""
    before = vars(owner)[name]
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, before)


@contextmanager
def _gettext(gettext: Callable[[str], str]) -> Iterator[None]:
    core = sys.modules.get("typer.core")
    if core is None or "_" not in vars(core):
        yield
        return
    with _replaced(core, "_", gettext):
        yield


@contextmanager
def _rich_constants(gettext: Callable[[str], str]) -> Iterator[None]:
    """typer.rich_utils' headings from the catalog: now if it is loaded, else once it is."""
    saved: dict[str, Any] = {}

    def translate(module: ModuleType) -> None:
        saved.update({name: getattr(module, name) for name in RICH_CONSTANTS if hasattr(module, name)})
        vars(module).update({name: gettext(RICH_CONSTANTS[name]) for name in saved})

    hook = _AfterImport(RICH_UTILS, translate)
    if RICH_UTILS in sys.modules:
        translate(sys.modules[RICH_UTILS])
    else:
        sys.meta_path.insert(0, hook)
    try:
        yield
    finally:
        if hook in sys.meta_path:
            sys.meta_path.remove(hook)
        if saved:
            vars(sys.modules[RICH_UTILS]).update(saved)


@contextmanager
def _usage_and_help(gettext: Callable[[str], str]) -> Iterator[None]:
    """The usage line's "Usage:" and the help option's help, where typer._click makes them."""
    from typer._click.core import Command
    from typer._click.formatting import HelpFormatter

    write_usage = HelpFormatter.write_usage
    get_help_option = Command.get_help_option

    def usage(self: HelpFormatter, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, f"{gettext(USAGE)} " if prefix is None else prefix)

    def help_option(self: Command, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None and option.help == HELP_OPTION:
            option.help = gettext(HELP_OPTION)
        return option

    with _replaced(HelpFormatter, "write_usage", usage), _replaced(Command, "get_help_option", help_option):
        yield


@contextmanager
def _error_messages(say: Callable[[str], str]) -> Iterator[None]:
    """Every error class of typer._click that writes its message says it through `say`."""
    from typer._click import exceptions

    with ExitStack() as undo:
        for value in vars(exceptions).values():
            if isinstance(value, type) and "format_message" in vars(value):
                undo.enter_context(
                    _replaced(value, "format_message", _said(vars(value)["format_message"], say))
                )
        yield


def _said(format_message: Callable[[Any], str], say: Callable[[str], str]) -> Callable[[Any], str]:
    def said(self: Any) -> str:
        return say(format_message(self))

    return said


class _AfterImport:
    """A finder on `sys.meta_path` that lets the normal import of one module happen, then calls
    `then(module)`: Typer imports `rich_utils` only when it needs it, and so does Dunmore."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.then = then

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # find the real module with the other finders, once
        from importlib.util import find_spec

        spec = find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = cast("Loader", _Then(spec.loader, self.then))
        return spec


class _Then:
    """A loader that runs the real one, then `then(module)`."""

    def __init__(self, loader: Any, then: Callable[[ModuleType], None]) -> None:
        self.loader = loader
        self.then = then

    def create_module(self, spec: Any) -> ModuleType | None:
        created: ModuleType | None = self.loader.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.loader
        self.loader.exec_module(module)
        self.then(module)
