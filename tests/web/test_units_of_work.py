"""One transaction per request: a request that may write (a POST) begins it holding SQLite's write
lock, so that two people signing in at once never meet "database is locked" (see
tests/store/test_write_transactions.py); a GET begins a plain reading one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from starlette.types import Message, Receive, Scope, Send

from dunmore.access.service import get_user
from dunmore.access.values import Language
from tests.web.conftest import PASSWORD, csrf_of, make_app, sign_in


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


def test_a_form_s_writes_are_committed_before_its_answer_is_sent(ledger: Engine) -> None:
    """The page a redirect leads to must read what the form wrote: the browser follows a 303 at
    once, so a commit after sending (FastAPI's default for a dependency) shows the old state."""
    app = make_app(ledger)
    languages_when_answered: list[Language] = []

    async def watching(scope: Scope, receive: Receive, send: Send) -> None:
        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["path"] == "/language":
                with ledger.connect() as conn:  # another connection: sees committed data only
                    languages_when_answered.append(get_user(conn, login="boss").language)
            await send(message)

        await app(scope, receive, watched)

    with TestClient(watching, base_url="http://testserver") as client:
        assert sign_in(client, "boss").status_code == 303
        token = csrf_of(client.get("/").text)
        form = {"language": "en", "next": "/", "csrf_token": token}
        assert client.post("/language", data=form, follow_redirects=False).status_code == 303
    assert languages_when_answered == [Language.EN]
