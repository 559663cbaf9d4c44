"""`dunmore users` and `dunmore audit` as an operator types them: each change is one audit row in the
operator's name (`cli:<os user>`), a token is shown once, a tampered log makes `audit verify` fail."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from dunmore.access import service
from dunmore.cli.app import app

PASSWORD = "correct horse battery"
Invoke = Callable[..., Result]


@pytest.fixture
def dunmore(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setattr(getpass, "getuser", lambda: "ops")
    url = str(sqlite_engine.url)

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, ["--db", url, *args], input=input)

    return invoke


def test_a_user_added_at_the_prompt_is_listed_and_audited(dunmore: Invoke) -> None:
    added = dunmore("users", "add", "Li.Wei", "--role", "collector", "--portfolio", "east", "--lang", "en",
                    input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "user li.wei added as collector" in added.output
    listed = json.loads(dunmore("users", "list", "--json").stdout)
    assert [(u["login"], u["role"], u["portfolios"], u["language"]) for u in listed] == [
        ("li.wei", "collector", ["east"], "en")
    ]
    rows = json.loads(dunmore("audit", "list", "--json").stdout)
    assert [(r["actor"], r["action"], r["object"]) for r in rows] == [("cli:ops", "user.add", "user:li.wei")]
    assert rows[0]["after"]["portfolios"] == ["east"]


def test_a_weak_password_is_refused_with_the_reason(dunmore: Invoke) -> None:
    refused = dunmore("users", "add", "alice", "--role", "viewer", "--password-stdin", input="alice\n")
    assert refused.exit_code == 2
    assert "the password for 'alice' has 5 characters: choose one of at least 10" in refused.output
    assert json.loads(dunmore("users", "list", "--json").stdout) == []


def test_a_token_is_printed_once_listed_by_name_and_revoked(dunmore: Invoke, sqlite_engine: Engine) -> None:
    dunmore("users", "add", "erp", "--role", "manager", "--password-stdin", input=f"{PASSWORD}\n")
    made = dunmore("users", "token", "erp", "--name", "sync")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("dm_")
    listed = dunmore("users", "tokens", "erp")
    assert "sync" in listed.stdout
    assert secret not in listed.stdout
    assert dunmore("users", "revoke-token", "erp", "sync").exit_code == 0
    with sqlite_engine.begin() as conn:
        assert (
            service.authenticate_token(conn, token=secret, now=service.get_user(conn, login="erp").created_at)
            is None
        )
    actions = [
        r["action"] for r in json.loads(dunmore("audit", "list", "--json", "--actor", "cli:ops").stdout)
    ]
    assert actions == ["token.revoke", "token.create", "user.add"]


def test_disable_set_password_and_set_portfolios_are_audited(dunmore: Invoke) -> None:
    dunmore(
        "users",
        "add",
        "li",
        "--role",
        "collector",
        "--portfolio",
        "east",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert (
        dunmore("users", "set-portfolios", "li", "--portfolio", "west", "--portfolio", "north").exit_code == 0
    )
    assert (
        dunmore("users", "set-password", "li", "--password-stdin", input="a new long password\n").exit_code
        == 0
    )
    assert dunmore("users", "disable", "li").exit_code == 0
    rows = json.loads(dunmore("audit", "list", "--json", "--object", "user:li", "--limit", "3").stdout)
    assert [r["action"] for r in rows] == ["user.disable", "user.set_password", "user.set_portfolios"]
    assert rows[2]["after"] == {"portfolios": ["north", "west"]}


def test_audit_verify_names_the_row_someone_changed(dunmore: Invoke, sqlite_engine: Engine) -> None:
    for login in ("anna", "bert", "cleo"):
        dunmore("users", "add", login, "--role", "viewer", "--password-stdin", input=f"{PASSWORD}\n")
    intact = dunmore("audit", "verify")
    assert intact.exit_code == 0
    assert "the audit log holds: 3 rows" in intact.output
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone else' WHERE id = 2"))
    broken = dunmore("audit", "verify")
    assert broken.exit_code == 6
    assert "the audit log is broken at row 2: row 2 was changed after it was written" in broken.output
    assert "the 1 row before it holds" in broken.output
