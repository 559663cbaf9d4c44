"""Statements on the web: the collector sees the statements of their customers in the list and on the
customer page, opens the PDF as issued; another portfolio's statement is not found, on the pages and
through the API alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunmore.access.values import Language, Role, User
from dunmore.settings import CreditorSettings
from dunmore.statements import issue as issuing
from dunmore.store.db import transaction
from dunmore.web.app import create_app
from tests.web.conftest import settings as web_settings
from tests.web.conftest import sign_in
from tests.web.live import LOGINS, NOW, demo_ledger

OPERATOR = User(0, "cli:ops", Role.ADMIN, Language.EN, frozenset(), False, datetime(2026, 1, 1, tzinfo=UTC))


def test_a_collector_lists_and_opens_the_statements_of_their_customers(sqlite_engine: Engine) -> None:
    demo = demo_ledger(sqlite_engine)
    mine, other = demo.east[0], demo.west[0]
    with transaction(sqlite_engine) as conn:
        issued = issuing.issue(
            conn,
            user=OPERATOR,
            period=(date(2026, 2, 1), date(2026, 2, 28)),
            as_of=date(2026, 3, 16),
            now=NOW,
            creditor=CreditorSettings(),
            customers=[mine, other],
        )
    by_customer = {one.customer: one.statement_id for one in issued}
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        sign_in(client, LOGINS[Role.COLLECTOR])
        assert 'hx-get="/customers/' + mine + '/statements"' in client.get(f"/customers/{mine}").text
        section = client.get(f"/customers/{mine}/statements", headers={"HX-Request": "true"})
        assert f"/statements/{by_customer[mine]}/pdf" in section.text
        assert "<html" not in section.text
        listed = client.get("/statements", params={"status": "sent", "period": "2026-02"}).text
        assert mine in listed
        assert other not in listed
        pdf = client.get(f"/statements/{by_customer[mine]}/pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert client.get(f"/statements/{by_customer[other]}/pdf").status_code == 404
        assert client.get(f"/customers/{other}/statements").status_code == 404
        api = client.get("/api/v1/statements", headers=demo.auth(Role.COLLECTOR)).json()
        assert [(s["customer"], s["status"], s["version"]) for s in api] == [(mine, "sent", 1)]
        detail = client.get(
            f"/api/v1/statements/{by_customer[mine]}", headers=demo.auth(Role.COLLECTOR)
        ).json()
        assert detail["content"]["closing_minor"] == sum(
            i["open_minor"] for i in detail["content"]["open_items"]
        )
        hidden = client.get(f"/api/v1/statements/{by_customer[other]}", headers=demo.auth(Role.COLLECTOR))
        assert hidden.status_code == 404
