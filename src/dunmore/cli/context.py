"""What every command shares: the settings, the database, the console, and error reporting."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeGuard
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from dunmore.cli.language import _, language
from dunmore.errors import BadArgument, DunmoreError, ImportRejected
from dunmore.i18n import _m
from dunmore.i18n.words import word

if TYPE_CHECKING:  # the CLI imports the database and the settings only when a command needs them
    from rich.progress import TaskID
    from sqlalchemy import Connection, Engine
    from sqlalchemy.exc import DBAPIError

    from dunmore.progress import Progress
    from dunmore.settings import Settings

console = Console()
errors = Console(stderr=True, soft_wrap=True)


@dataclass
class AppState:
    """Built once by the root callback; commands take it from `typer.Context.obj`."""

    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self, *, create: bool = False) -> Engine:
        """The database, opened (and brought to the current schema) on first use. Only the commands
        that fill a ledger (`import`, `demo`) pass `create=True`: others refuse a missing database."""
        if self._engine is None:
            from dunmore.store.db import open_database

            self._engine = open_database(self.settings.database_url, create=create)
        return self._engine


def transaction(engine: Engine, *, snapshot: bool = False) -> AbstractContextManager[Connection]:
    """`dunmore.store.db.transaction`, imported when a command opens one (not for `--help`)."""
    from dunmore.store.db import transaction as unit_of_work

    return unit_of_work(engine, snapshot=snapshot)


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppState):  # pragma: no cover - the root callback always sets it
        raise RuntimeError("the CLI was not initialised")
    return obj


@contextmanager
def reported() -> Iterator[None]:
    """Turn a `DunmoreError` into a clear message on stderr, in the reader's language, and its exit
    code."""
    try:
        yield
    except ImportRejected as exc:
        reader = language()
        errors.print(f"[bold red]{_error()}[/] {exc.render(reader)}")
        for problem in exc.problems[:200]:
            errors.print(f"  {problem.render(reader)}", markup=False, highlight=False)
        if len(exc.problems) > 200:
            errors.print("  " + _("… and %(count)s more problems", count=len(exc.problems) - 200))
        raise typer.Exit(exc.exit_code) from exc
    except DunmoreError as exc:
        _report(exc)
    except Exception as exc:  # what the database said, in one line (the one place drivers' errors end)
        if not _is_database_error(exc):
            raise
        from dunmore.store.db import database_problem

        _report(database_problem(exc))


def _is_database_error(exc: Exception) -> TypeGuard[DBAPIError]:
    """A driver's error, told without importing SQLAlchemy: if it is not loaded, none was raised."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.DBAPIError)


def _report(exc: DunmoreError) -> None:
    errors.print(f"[bold red]{_error()}[/] {exc.render(language())}", highlight=False)
    raise typer.Exit(exc.exit_code) from exc


def os_user() -> str:
    """The operating-system user running the command ("unknown" where there is none, e.g. a
    container without a passwd entry)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def cli_actor() -> str:
    """The person at the terminal, as the audit log names them: `cli:<os user>`. The commands are
    run by whoever can open the database, so this is who did it, whatever a `--by` claims."""
    return f"cli:{os_user()}"


EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def business_today(settings: Settings) -> date:
    """Today in the creditor's timezone: the business date."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


def parse_as_of(text: str | None, settings: Settings) -> date:
    """A `--as-of` value; without one, today in the creditor's timezone (the business date).

    Dates outside 1900–2999 are refused here: they are typos, and date arithmetic near year 9999
    overflows."""
    if text is None:
        return business_today(settings)
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise BadArgument(
            _m("--as-of %(text)s is not a date: write it as YYYY-MM-DD, e.g. 2026-11-23", text=repr(text))
        ) from exc
    if not EARLIEST <= day <= LATEST:
        raise BadArgument(
            _m(
                "--as-of %(text)s is outside %(earliest)s to %(latest)s: check the year",
                text=text,
                earliest=EARLIEST.isoformat(),
                latest=LATEST.isoformat(),
            )
        )
    return day


@contextmanager
def stage_progress() -> Iterator[Progress]:
    """A progress bar per stage of long work on a terminal; nothing when the output is redirected."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def advance(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(word("progress_stage", stage, language()), total=max(total, 1))
        bar.update(tasks[stage], completed=done, total=max(total, 1))

    with bar:
        yield advance


def _error() -> str:
    return _("error:")


def warn(said: str) -> None:
    """A warning to the reader (a sentence already in their language): the command goes on."""
    from rich.markup import escape

    label = _("warning:")  # Babel reads no message inside an f-string
    console.print(f"[yellow]{escape(label)}[/] {escape(said)}", highlight=False, soft_wrap=True)
