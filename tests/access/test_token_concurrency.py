"""Two API requests with tokens at once on SQLite: the second waits for the first's commit instead of
failing with "database is locked" (found by schemathesis as a 500 on GET /api/v1/me).

A SQLite transaction that has read and then writes cannot wait for a writer that commits after its
read: it fails at once. Authenticating a token marks it used, so its first statement must be that
write.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, event

from dunmore.access import service
from dunmore.access.values import Role
from dunmore.store.db import transaction

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_request_authenticating_while_another_commits_waits_and_succeeds(sqlite_engine: Engine) -> None:
    with transaction(sqlite_engine) as conn:
        service.add_user(conn, login="erp", role=Role.VIEWER, password="correct horse battery",
                         actor="t", at=NOW)  # fmt: skip
        token = service.create_token(conn, login="erp", name="erp", actor="t", at=NOW).secret
    writing = threading.Event()
    found: list[object] = []

    def second_request() -> None:
        with transaction(sqlite_engine) as conn:
            _signal_before_the_tokens_update(conn, writing)
            found.append(service.authenticate_token(conn, token=token, now=NOW))

    with transaction(sqlite_engine) as first:
        assert service.authenticate_token(first, token=token, now=NOW) is not None  # holds the write lock
        thread = threading.Thread(target=second_request)
        thread.start()
        assert writing.wait(timeout=30), "the second request never reached its write"
    thread.join(timeout=30)  # the first request has committed: the second may write now
    assert [getattr(user, "login", user) for user in found] == ["erp"]


def _signal_before_the_tokens_update(conn: Connection, writing: threading.Event) -> None:
    def before(*args: object) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writing.set()

    event.listen(conn, "before_cursor_execute", before)
