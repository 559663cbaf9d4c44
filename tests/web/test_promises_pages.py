"""Promises on the web: the collector records one in a customer's section (htmx form, CSRF), sees it
in the list, cancels it; the API answers the same; another portfolio's customer is not found."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunmore.access.values import Role
from dunmore.web.app import create_app
from tests.web.conftest import csrf_of, sign_in
from tests.web.conftest import settings as web_settings
from tests.web.live import LOGINS, NOW, demo_ledger


def test_a_collector_records_lists_and_cancels_a_promise(sqlite_engine: Engine) -> None:
    demo = demo_ledger(sqlite_engine)
    mine, other = demo.east[0], demo.west[0]
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        sign_in(client, LOGINS[Role.COLLECTOR])
        assert 'hx-get="/customers/' in client.get(f"/customers/{mine}").text
        token = csrf_of(client.get("/").text)
        form = {"amount": "12.00", "currency": "CNY", "by": "2026-03-25", "csrf_token": token}
        added = client.post(f"/customers/{mine}/promises", data=form, headers={"HX-Request": "true"})
        assert added.status_code == 200
        assert "12.00" in added.text
        assert "<html" not in added.text
        too_far = client.post(f"/customers/{mine}/promises", data=form | {"by": "2026-06-30"})
        assert too_far.status_code == 400
        assert "max_days_out" in too_far.text
        assert client.get(f"/customers/{other}/promises").status_code == 404
        listed = client.get("/api/v1/promises", headers=demo.auth(Role.COLLECTOR)).json()
        assert [(p["customer"], p["amount_minor"], p["status"], p["until"]) for p in listed] == [
            (mine, 1200, "pending", "2026-03-27")
        ]
        page = client.get("/promises", params={"status": "pending"})
        assert mine in page.text
        cancelled = client.post(
            f"/promises/{listed[0]['id']}/cancel",
            data={"reason": "mistake", "csrf_token": token},
            follow_redirects=False,
        )
        assert cancelled.status_code == 303
        api = client.get(f"/api/v1/customers/{mine}/promises", headers=demo.auth(Role.COLLECTOR)).json()
        assert [(p["status"], p["reason"]) for p in api] == [("cancelled", "promise_cancelled")]
        refused = client.post(
            f"/api/v1/promises/{listed[0]['id']}/cancel",
            json={"reason": "again"},
            headers=demo.auth(Role.COLLECTOR),
        )
        assert refused.status_code == 400
        assert refused.json()["code"] == "promise_refused"
