"""`dunmore portal link` prints a link that opens the customer's portal; `dunmore portal revoke`
withdraws it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import Engine
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.portal import links
from dunmore.portal.links import LinkRefused
from dunmore.store.db import transaction
from tests.web.conftest import SECRET, fill_ledger, settings

ENV = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en", "DUNMORE_WEB__SECRET_KEY": SECRET}


def test_a_link_from_the_command_line_opens_until_revoked(sqlite_engine: Engine) -> None:
    fill_ledger(sqlite_engine)
    runner = CliRunner()

    def dunmore(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env=ENV)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    printed = dunmore("portal", "link", "E001", "--days", "3").strip()
    assert printed.startswith("/portal/l/")
    token = printed.removeprefix("/portal/l/")
    issued = datetime.fromtimestamp(URLSafeSerializer(SECRET, salt=links.SALT).loads(token)["i"], UTC)
    with transaction(sqlite_engine) as conn:
        opened = links.open_link(conn, settings=settings(), token=token, now=issued + timedelta(days=2))
        assert opened.customer == "E001"
    dunmore("portal", "link", "NOPE", ok=False)
    dunmore("portal", "link", "E001", "--days", "400", ok=False)
    assert "E001: portal links withdrawn" in dunmore("portal", "revoke", "E001", "--link", token)
    with transaction(sqlite_engine) as conn, pytest.raises(LinkRefused):
        links.open_link(conn, settings=settings(), token=token, now=issued + timedelta(seconds=1))
