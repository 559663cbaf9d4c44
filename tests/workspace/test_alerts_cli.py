"""`dunmore alerts list|read|digest` and `dunmore users set-email` as an operator types them."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.cli import alerts as alerts_cli
from dunmore.cli.app import app
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.alerts import raise_alert
from dunmore.workspace.mail_models import ALERT_MAILS

AT = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
Invoke = Callable[..., Result]


@pytest.fixture
def dunmore(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setattr(getpass, "getuser", lambda: "ops")
    monkeypatch.setattr(alerts_cli, "_now", lambda: AT)
    monkeypatch.delenv("DUNMORE_SMTP__HOST", raising=False)
    url = str(sqlite_engine.url)
    with sqlite_engine.begin() as conn:
        add_user(conn, login="wang", role=Role.SALES, password="a long enough password", actor="t", at=AT)
        customer = conn.execute(
            CUSTOMERS.insert().values(external_id="C1", name="Acme", owner="wang").returning(CUSTOMERS.c.id)
        ).scalar_one()
        for n in (1, 2):
            params: dict[str, str | int] = {"invoice": f"INV-{n}", "amount_minor": 100 * n, "currency": "CNY"}
            raise_alert(conn, kind="dispute_opened", key=f"d:{n}", customer_id=customer, at=AT, params=params)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["--db", url, *args])

    return invoke


def test_list_then_read_one_then_all(dunmore: Invoke) -> None:
    listed = json.loads(dunmore("alerts", "list", "--user", "WANG", "--json").stdout)
    assert (listed["total"], listed["unread"]) == (2, 2)
    assert {a["text"] for a in listed["alerts"]} == {
        "Acme (C1) 对发票 INV-1 的 ¥1.00 提出争议",
        "Acme (C1) 对发票 INV-2 的 ¥2.00 提出争议",
    }
    first = listed["alerts"][0]["id"]
    assert dunmore("alerts", "read", "--user", "wang", str(first)).exit_code == 0
    unread = json.loads(dunmore("alerts", "list", "--user", "wang", "--unread", "--json").stdout)
    assert [a["id"] for a in unread["alerts"]] == [listed["alerts"][1]["id"]]
    assert dunmore("alerts", "read", "--user", "wang", "--all").exit_code == 0
    assert json.loads(dunmore("alerts", "list", "--user", "wang", "--json").stdout)["unread"] == 0


def test_read_needs_ids_or_all(dunmore: Invoke) -> None:
    refused = dunmore("alerts", "read", "--user", "wang")
    assert refused.exit_code == 2
    assert "give alert ids or --all" in refused.output


def test_set_email_then_the_digest_is_queued_once(dunmore: Invoke, sqlite_engine: Engine) -> None:
    made = dunmore("users", "set-email", "wang", "wang@dunmore.test", "--alerts", "digest")
    assert made.exit_code == 0, made.output
    queued = dunmore("alerts", "digest", "--as-of", "2026-12-07")
    assert queued.exit_code == 0, queued.output
    assert "1 digests queued for 2026-12-07" in queued.output
    assert "no SMTP host" in queued.output
    dunmore("alerts", "digest", "--as-of", "2026-12-07", "--no-send")
    with sqlite_engine.connect() as conn:
        assert list(conn.execute(select(ALERT_MAILS.c.key)).scalars()) == ["digest:wang:2026-12-07"]
