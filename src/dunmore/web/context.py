"""What every request shares: the database, the settings, the clock, the throttle, the templates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy import Connection, Engine

from dunmore.access.sign_in import Throttle
from dunmore.settings import Settings
from dunmore.store.db import transaction
from dunmore.web.templating import Templates


@dataclass(frozen=True)
class Web:
    engine: Engine
    settings: Settings
    clock: Callable[[], datetime]  # the wall clock in `serve`; a fixed instant in tests
    throttle: Throttle
    templates: Templates

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The business date: today in the creditor's timezone."""
        return self.clock().astimezone(ZoneInfo(self.settings.timezone)).date()


def web(request: Request) -> Web:
    found = request.app.state.web
    assert isinstance(found, Web)
    return found


def unit_of_work(request: Request) -> Iterator[Connection]:
    """One transaction per request: committed when the route returns, rolled back when it raises.
    A POST (sign-in, a form) reads and then writes: it takes the write lock at once (SQLite).

    Used with `Depends(..., scope="function")`: the commit happens before the response is sent, so
    the page a redirect leads to reads what the form wrote, and a failed commit is an error, not a
    success the browser has already shown (FastAPI's default scope commits after sending)."""
    writes = request.method not in {"GET", "HEAD", "OPTIONS"}
    with transaction(web(request).engine, write=writes) as conn:
        yield conn
