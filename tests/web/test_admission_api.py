"""Deciding a credit application through the API, as a dated story on the demo ledger (Monday
2026-03-16): the collector drafts an increase to 888,888.00 CNY for C000003 and may not decide it
(403); the manager may not decide one he drafted (403 too); the manager approves the collector's (200):
the customer's limit becomes the proposed one and the audit log names him; a second decision is
refused (400), an application out of reach or unknown is not found (404), and a rejection needs a
reason."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from dunmore.access import audit
from dunmore.access.service import get_user
from dunmore.access.values import Role
from dunmore.credit import admission
from dunmore.ledger.models import CUSTOMERS
from dunmore.web.app import create_app
from tests.web.conftest import settings as web_settings
from tests.web.live import LOGINS, NOW, demo_ledger

CUSTOMER = "C000003"  # in portfolio east (the collector's) and owned by the sales user
APPROVE = {"decision": "approve", "reason": "twelve years of prompt payment"}


def _apply(engine: Engine, role: Role, customer: str = CUSTOMER) -> int:
    with engine.begin() as conn:
        user = get_user(conn, login=LOGINS[role])
        return admission.apply(
            conn, customer=customer, limit=Decimal("888888.00"), currency="CNY", terms="net 45",
            facts=admission.Facts(years_in_business=12), by=user.login, user=user, actor=user.login,
            now=NOW, kind="increase",
        )  # fmt: skip


def _path(number: int) -> str:
    return f"/api/v1/credit-applications/{number}/decision"


def test_a_manager_approves_a_collectors_application_through_the_api(sqlite_engine: Engine) -> None:
    demo = demo_ledger(sqlite_engine)
    number = _apply(sqlite_engine, Role.COLLECTOR)
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        refused = client.post(_path(number), json=APPROVE, headers=demo.auth(Role.COLLECTOR))
        assert refused.status_code == 403
        assert refused.json()["code"] == "permission_denied"
        assert client.post(_path(number), json=APPROVE, headers=demo.auth(Role.SALES)).status_code == 403

        done = client.post(_path(number), json=APPROVE, headers=demo.auth(Role.MANAGER))
        assert done.status_code == 200
        decided = done.json()
        assert (decided["number"], decided["status"], decided["decided_by"]) == (
            number, "approved", LOGINS[Role.MANAGER]
        )  # fmt: skip
        assert decided["reason"] == APPROVE["reason"]
        stamp = NOW.isoformat().replace("+00:00", "Z")  # moments are aware UTC, on SQLite too
        assert (decided["drafted_at"], decided["decided_at"]) == (stamp, stamp)
        again = client.post(_path(number), json=APPROVE, headers=demo.auth(Role.MANAGER))
        assert again.status_code == 400
        assert client.post(_path(999_999), json=APPROVE, headers=demo.auth(Role.MANAGER)).status_code == 404

        own = _apply(sqlite_engine, Role.MANAGER, customer=demo.west[0])
        assert client.post(_path(own), json=APPROVE, headers=demo.auth(Role.MANAGER)).status_code == 403
        unexplained = client.post(_path(own), json={"decision": "reject"}, headers=demo.auth(Role.ADMIN))
        assert unexplained.status_code == 400
        rejected = client.post(
            _path(own), json={"decision": "reject", "reason": "no statements"}, headers=demo.auth(Role.ADMIN)
        )
        assert rejected.json()["status"] == "rejected"
    with sqlite_engine.connect() as conn:
        limit = conn.execute(
            select(CUSTOMERS.c.credit_limit_minor).where(CUSTOMERS.c.external_id == CUSTOMER)
        ).scalar_one()
        rows = audit.list_rows(conn, object=f"customer:{CUSTOMER}")
    assert limit == 88_888_800
    approvals = [row for row in rows if row.action == "credit_application.approve"]
    assert [row.actor for row in approvals] == [LOGINS[Role.MANAGER]]


DRAFT = {
    "customer": CUSTOMER,
    "limit": "500000.00",
    "currency": "CNY",
    "terms": "eom 15",
    "kind": "increase",
    "registry_data": "91310000MA1K000000, legal representative Wang Jun",
    "years_in_business": 12,
    "registered_capital": "5000000.00",
    "report_agency": "Dun & Bradstreet",
    "report_score": 78,
}


def test_an_erp_drafts_an_application_that_a_manager_then_approves(sqlite_engine: Engine) -> None:
    """The collector's ERP drafts an application through the API (201, as `dunmore credit apply`
    would); a second draft for the customer waits for the first (400); a viewer may not draft (403),
    an unknown customer is not found (404) and terms Dunmore cannot read are refused (400); the
    manager approves the draft and the customer's limit becomes 500,000.00 CNY."""
    demo = demo_ledger(sqlite_engine)
    path = "/api/v1/credit-applications"
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        assert client.post(path, json=DRAFT, headers=demo.auth(Role.VIEWER)).status_code == 403
        unknown = client.post(path, json=DRAFT | {"customer": "C999999"}, headers=demo.auth(Role.COLLECTOR))
        assert unknown.status_code == 404
        unreadable = client.post(path, json=DRAFT | {"terms": "soon"}, headers=demo.auth(Role.COLLECTOR))
        assert unreadable.status_code == 400
        drafted = client.post(path, json=DRAFT, headers=demo.auth(Role.COLLECTOR))
        assert drafted.status_code == 201
        shown = drafted.json()
        assert (shown["customer"], shown["status"], shown["kind"], shown["terms"]) == (
            CUSTOMER, "draft", "increase", "eom 15"
        )  # fmt: skip
        assert (shown["limit_minor"], shown["registered_capital_minor"]) == (50_000_000, 500_000_000)
        assert (shown["years_in_business"], shown["report_score"]) == (12, 78)
        assert shown["drafted_by"] == LOGINS[Role.COLLECTOR]
        again = client.post(path, json=DRAFT, headers=demo.auth(Role.MANAGER))
        assert again.status_code == 400
        approved = client.post(_path(shown["number"]), json=APPROVE, headers=demo.auth(Role.MANAGER))
        assert approved.json()["status"] == "approved"
    with sqlite_engine.connect() as conn:
        limit = conn.execute(
            select(CUSTOMERS.c.credit_limit_minor).where(CUSTOMERS.c.external_id == CUSTOMER)
        ).scalar_one()
        drafts = [
            r for r in audit.list_rows(conn, object=f"customer:{CUSTOMER}") if r.action.endswith(".draft")
        ]
    assert limit == 50_000_000
    assert [row.actor for row in drafts] == [LOGINS[Role.COLLECTOR]]
