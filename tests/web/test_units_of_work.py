"""One transaction per request: a request that may write (a POST) begins it holding SQLite's write
lock, so that two people signing in at once never meet "database is locked" (see
tests/store/test_write_transactions.py); a GET begins a plain reading one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from tests.web.conftest import PASSWORD, csrf_of


@contextmanager
def _begins(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        if str(args[2]).startswith("BEGIN"):
            seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_post_begins_its_transaction_holding_the_write_lock_and_a_get_does_not(
    client: TestClient, ledger: Engine
) -> None:
    token = csrf_of(client.get("/sign-in").text)
    with _begins(ledger) as seen:
        form = {"login": "boss", "password": PASSWORD, "csrf_token": token, "next": "/"}
        assert client.post("/sign-in", data=form, follow_redirects=False).status_code == 303
    assert seen == ["BEGIN IMMEDIATE"]
    with _begins(ledger) as seen:
        assert client.get("/customers").status_code == 200
    assert seen == ["BEGIN"]
