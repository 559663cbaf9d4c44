"""The worklist page and API on the demo ledger: the collector's own lines only, said in their
language; completing a task from the page takes its line away."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from dunmore.access.values import Role
from dunmore.delivery.models import TASKS
from dunmore.web.app import create_app
from dunmore.workspace.models import ACTIVITIES
from tests.web.conftest import csrf_of, sign_in
from tests.web.conftest import settings as web_settings
from tests.web.live import LOGINS, NOW, Demo, demo_ledger


@pytest.fixture
def demo(sqlite_engine: Engine) -> Demo:
    return demo_ledger(sqlite_engine)


@pytest.fixture
def client(sqlite_engine: Engine, demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as test_client:
        yield test_client


def test_the_collector_sees_only_east_lines_the_task_first_then_by_value(
    client: TestClient, demo: Demo
) -> None:
    answer = client.get("/api/v1/worklist", params={"limit": 200}, headers=demo.auth(Role.COLLECTOR))
    assert answer.status_code == 200
    body = answer.json()
    codes = [line["customer"] for line in body["lines"]]
    assert codes
    assert set(codes) <= set(demo.east)
    assert body["lines"][0]["section"] == "task"
    assert body["lines"][0]["task_id"] == demo.task
    values = [line["expected_minor"] for line in body["lines"] if line["section"] == "value"]
    assert values == sorted(values, reverse=True)  # the demo ledger is in CNY alone
    assert body["total"] == len(codes)
    manager = client.get("/api/v1/worklist", params={"limit": 200}, headers=demo.auth(Role.MANAGER)).json()
    assert {line["customer"] for line in manager["lines"]} & set(demo.west)


def test_the_page_says_the_lines_in_the_user_s_language_and_a_completed_task_leaves(
    client: TestClient, demo: Demo, sqlite_engine: Engine
) -> None:
    sign_in(client, LOGINS[Role.COLLECTOR])
    client.post(
        "/language", data={"language": "en", "next": "/worklist", "csrf_token": csrf_of(client.get("/").text)}
    )
    page = client.get("/worklist")
    assert page.status_code == 200
    assert "call task from the run of 03-" in page.text
    assert "call to ask for payment" in page.text
    assert f'action="/worklist/tasks/{demo.task}/done"' in page.text
    assert 'href="/worklist" aria-current="page"' in page.text
    token = csrf_of(page.text)
    fields = {"outcome": "no_answer", "csrf_token": token}
    done = client.post(f"/worklist/tasks/{demo.task}/done", data=fields,
                       headers={"HX-Request": "true"})  # fmt: skip
    assert (done.status_code, done.text) == (200, "")
    assert f"/worklist/tasks/{demo.task}/done" not in client.get("/worklist").text
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(TASKS.c.status, TASKS.c.done_by).where(TASKS.c.id == demo.task)).one() == (
            "done",
            "cole",
        )
        assert conn.execute(
            select(ACTIVITIES.c.outcome).where(ACTIVITIES.c.task_id == demo.task)
        ).scalar() == ("no_answer")
    again = client.post(f"/worklist/tasks/{demo.task}/done", data={"outcome": "reached", "csrf_token": token})
    assert again.status_code == 400


def test_zh_readers_get_the_lines_in_chinese(client: TestClient, demo: Demo) -> None:
    sign_in(client, LOGINS[Role.COLLECTOR])
    for language, word in (("zh-CN", "逾期"), ("zh-TW", "逾期")):
        client.post(
            "/language", data={"language": language, "next": "/", "csrf_token": csrf_of(client.get("/").text)}
        )
        page = client.get("/worklist")
        assert word in page.text
        assert "call to ask for payment" not in page.text


def test_a_bad_page_marker_is_refused(client: TestClient, demo: Demo) -> None:
    answer = client.get("/api/v1/worklist", params={"after": "nonsense"}, headers=demo.auth(Role.COLLECTOR))
    assert answer.status_code == 400
