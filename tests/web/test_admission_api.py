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
