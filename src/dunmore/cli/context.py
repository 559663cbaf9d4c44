"""What every command shares: the settings, the database, the console, and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import typer
from rich.console import Console
from sqlalchemy import Engine

from dunmore.errors import DunmoreError, ImportRejected
from dunmore.settings import Settings
from dunmore.store.db import open_database

console = Console()
errors = Console(stderr=True)


@dataclass
class AppState:
    """Built once by the root callback; commands take it from `typer.Context.obj`."""

    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self) -> Engine:
        """The database, opened (and brought to the current schema) on first use."""
        if self._engine is None:
            self._engine = open_database(self.settings.database_url)
        return self._engine


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppState):  # pragma: no cover - the root callback always sets it
        raise RuntimeError("the CLI was not initialised")
    return obj


@contextmanager
def reported() -> Iterator[None]:
    """Turn a `DunmoreError` into a clear message on stderr and its exit code."""
    try:
        yield
    except ImportRejected as exc:
        errors.print(f"[bold red]error:[/] {exc}")
        for problem in exc.problems[:200]:
            errors.print(f"  {problem}", markup=False, highlight=False)
        if len(exc.problems) > 200:
            errors.print(f"  … and {len(exc.problems) - 200} more problems")
        raise typer.Exit(exc.exit_code) from exc
    except DunmoreError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from exc
