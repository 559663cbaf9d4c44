"""Instalment plans on the web: the collector agrees one in a customer's section (htmx form, CSRF),
sees it in the list and in the API, cancels it; a schedule that does not add up is refused with the
reason; another portfolio's customer is not found."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunmore.access.values import Role
from dunmore.web.app import create_app
from tests.web.conftest import csrf_of, sign_in
from tests.web.conftest import settings as web_settings
from tests.web.live import LOGINS, NOW, demo_ledger


def test_a_collector_agrees_lists_and_cancels_a_plan(sqlite_engine: Engine) -> None:
    demo = demo_ledger(sqlite_engine)
    mine, other = demo.east[0], demo.west[0]
    auth = demo.auth(Role.COLLECTOR)
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        sign_in(client, LOGINS[Role.COLLECTOR])
        assert f'hx-get="/customers/{mine}/plans"' in client.get(f"/customers/{mine}").text
        token = csrf_of(client.get("/").text)
        form = {"instalments": "3", "first": "2026-04-15", "currency": "CNY", "csrf_token": token}
        too_many = client.post(f"/customers/{mine}/plans", data=form | {"down_payment": "99999999"})
        assert too_many.status_code == 400
        assert "每期金额必须大于零" in too_many.text  # the collector reads zh-CN
        added = client.post(f"/customers/{mine}/plans", data=form, headers={"HX-Request": "true"})
        assert added.status_code == 200
        assert "<html" not in added.text
        assert 'id="plan-rows"' in added.text
        assert client.get(f"/customers/{other}/plans").status_code == 404
        listed = client.get("/api/v1/plans", headers=auth).json()
        assert [(p["customer"], p["status"], len(p["instalments"])) for p in listed] == [(mine, "active", 3)]
        plan = listed[0]
        assert sum(i["amount_minor"] for i in plan["instalments"]) == plan["total_minor"]
        assert [i["due_on"] for i in plan["instalments"]] == ["2026-04-15", "2026-05-15", "2026-06-15"]
        assert mine in client.get("/plans", params={"status": "active"}).text
        cancelled = client.post(
            f"/plans/{plan['id']}/cancel",
            data={"reason": "mistake", "csrf_token": token},
            follow_redirects=False,
        )
        assert cancelled.status_code == 303
        api = client.get(f"/api/v1/customers/{mine}/plans", headers=auth).json()
        assert [(p["status"], p["reason"]) for p in api] == [("cancelled", "plan_cancelled")]
        refused = client.post(f"/api/v1/plans/{plan['id']}/cancel", json={"reason": "again"}, headers=auth)
        assert refused.status_code == 400
        assert refused.json()["code"] == "plan_refused"


def test_a_plan_with_a_waived_fee_waits_for_a_manager_who_did_not_ask(sqlite_engine: Engine) -> None:
    """C000023 (portfolio east) owes the fee FEE-21 of 50.00 CNY, C000013 one of 5.00 EUR; every
    waiver needs a manager's approval here."""
    demo = demo_ledger(sqlite_engine)
    strict = web_settings()
    strict.workspace.waiver_approval_minor = {"CNY": 0, "EUR": 0}
    with TestClient(create_app(sqlite_engine, strict, clock=lambda: NOW)) as client:
        sign_in(client, LOGINS[Role.COLLECTOR])
        token = csrf_of(client.get("/").text)
        form = {"instalments": "2", "first": "2026-04-15", "currency": "CNY", "csrf_token": token}
        added = client.post(
            "/customers/C000023/plans", data=form | {"waive": "goodwill"}, follow_redirects=False
        )
        assert added.status_code == 303
        section = client.get("/customers/C000023/plans").text
        assert "待审批" in section  # the collector reads zh-CN: waiting for approval
        assert "/approve" not in section  # a collector decides no waiver
        sign_in(client, LOGINS[Role.MANAGER])
        token = csrf_of(client.get("/").text)
        boss = demo.auth(Role.MANAGER)
        [plan] = client.get("/api/v1/customers/C000023/plans", headers=boss).json()
        assert plan["status"] == "waiting"
        approved = client.post(
            f"/plans/{plan['id']}/approve", data={"csrf_token": token}, follow_redirects=False
        )
        assert approved.status_code == 303
        [plan] = client.get("/api/v1/customers/C000023/plans", headers=boss).json()
        assert plan["status"] == "active"
        # the manager asks for the next one and may not decide it: another manager or an admin does
        body = {"instalments": 2, "first": "2026-04-15", "currency": "EUR", "waive_reason": "goodwill"}
        waiting = client.post("/api/v1/customers/C000013/plans", json=body, headers=boss)
        assert (waiting.status_code, waiting.json()["status"]) == (201, "waiting")
        refused = client.post(f"/api/v1/plans/{waiting.json()['id']}/approve", headers=boss)
        assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
        rejected = client.post(f"/api/v1/plans/{waiting.json()['id']}/reject", headers=demo.auth(Role.ADMIN))
        assert (rejected.json()["status"], rejected.json()["reason"]) == ("cancelled", "plan_waiver_rejected")
