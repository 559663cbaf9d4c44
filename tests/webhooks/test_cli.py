"""`dunmore webhooks` as an operator types it: the secret shown once, the list without it, a test
ping posted to a real receiver at once, clear refusals; each change one audit row in the
operator's name."""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from dunmore.cli.app import app
from dunmore.delivery.signatures import SignedRequest, WebhookVerifier
from dunmore.webhooks.models import WEBHOOK_DELIVERIES
from tests.support.http_sms import SmsHttpServer

Invoke = Callable[..., Result]


@pytest.fixture
def dunmore(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setattr(getpass, "getuser", lambda: "ops")
    url = str(sqlite_engine.url)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["--db", url, *args])

    return invoke


def test_add_shows_the_secret_once_and_list_never(dunmore: Invoke) -> None:
    added = dunmore("webhooks", "add", "https://erp.example.cn/in", "--event", "run.committed",
                    "--event", "delivery.failed")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "webhook 1 added: run.committed, delivery.failed → https://erp.example.cn/in" in added.output
    secret = added.output.split("secret: ")[1].split()[0]
    assert secret.startswith("whsec_")

    as_json = json.loads(dunmore("webhooks", "add", "http://10.0.0.7:8080/ar", "--event", "ping.me",
                                 "--event", "run.committed", "--json").stdout or "null")  # fmt: skip
    assert as_json is None  # refused: nothing printed on stdout
    made = json.loads(dunmore("webhooks", "add", "http://10.0.0.7:8080/ar", "--event", "dispute.opened",
                              "--json").stdout)  # fmt: skip
    assert (made["id"], made["events"], made["active"]) == (2, ["dispute.opened"], True)
    assert made["secret"].startswith("whsec_")

    listed = dunmore("webhooks", "list")
    assert listed.exit_code == 0
    # the table, headed in the reader's language; its content is checked through --json below
    assert any(heading in listed.stdout for heading in ("URL", "网址", "網址"))
    assert secret not in listed.stdout
    rows = json.loads(dunmore("webhooks", "list", "--json").stdout)
    assert [(r["id"], r["events"], r["active"], r["created_by"]) for r in rows] == [
        (1, ["run.committed", "delivery.failed"], True, "cli:ops"),
        (2, ["dispute.opened"], True, "cli:ops"),
    ]
    assert all("secret" not in r for r in rows)

    removed = dunmore("webhooks", "remove", "1")
    assert removed.exit_code == 0
    assert "webhook 1 removed; 0 waiting deliveries cancelled" in removed.output
    audit = json.loads(dunmore("audit", "list", "--json").stdout)
    assert sorted((r["actor"], r["action"], r["object"]) for r in audit) == [
        ("cli:ops", "webhook.add", "webhook:1"),
        ("cli:ops", "webhook.add", "webhook:2"),
        ("cli:ops", "webhook.remove", "webhook:1"),
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add", "ftp://erp.example.cn/in", "--event", "run.committed"], "is not an http(s) URL"),
        (["add", "https://erp.example.cn/in", "--event", "run.done"], "unknown webhook event 'run.done'"),
        (["add", "https://erp.example.cn/in"], "Missing option '--event'"),
        (["remove", "7"], "no active webhook subscription 7"),
        (["test", "7"], "no active webhook subscription 7"),
        (["remove", "0"], "Input should be greater than or equal to 1"),
    ],
)
def test_what_cannot_be_done_is_refused_with_the_reason(dunmore: Invoke, args: list[str], says: str) -> None:
    refused = dunmore("webhooks", *args)
    assert refused.exit_code in (2, 3)
    assert says in " ".join(re.sub("[│╭╮╰╯─]", " ", refused.output).split())  # as read, box and wraps gone


def test_test_posts_a_signed_ping_now_and_prints_the_answer(dunmore: Invoke, sqlite_engine: Engine) -> None:
    with SmsHttpServer() as receiver:
        url = receiver.url
        added = json.loads(dunmore("webhooks", "add", receiver.url + "/in", "--event", "run.committed",
                                   "--json").stdout)  # fmt: skip
        tested = dunmore("webhooks", "test", "1")
        receiver.answer(503, "maintenance", content_type="text/plain")
        failed = dunmore("webhooks", "test", "1")
        [ping, second] = receiver.requests
    assert tested.exit_code == 0, tested.output
    assert f"ping 1 to {url}/in: HTTP 200" in tested.output
    assert ping.header("X-Dunmore-Event") == "ping"
    stamp = int(ping.header("X-Dunmore-Timestamp") or 0)
    headers = {name.lower(): value for name, value in ping.headers.items()}
    WebhookVerifier(added["secret"]).verify(
        SignedRequest("", headers, ping.body), now=datetime.fromtimestamp(stamp, UTC)
    )
    assert json.loads(ping.body)["data"] == {
        "subscription_id": 1,
        "message": "a test from `dunmore webhooks test`",
    }
    assert failed.exit_code == 1
    assert "ping 2" in failed.output
    assert "HTTP 503 maintenance" in failed.output
    w = WEBHOOK_DELIVERIES.c
    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(w.status, w.attempts, w.response_status).order_by(w.id)).all()
    assert [tuple(r) for r in rows] == [("sent", 1, 200), ("failed", 1, 503)]  # a ping is never retried
    assert second.body != ping.body
