"""Customers through the pages and the API: scoped by the user (a collector gets 404 for another
portfolio's customer), sorted by overdue amount, paginated by keyset. (That every route refuses an
anonymous request is in test_route_guards.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunmore.access import service
from dunmore.access.values import Role
from dunmore.errors import BadArgument
from dunmore.ledger.browse import list_accounts
from tests.web.conftest import NOW, fill_ledger, make_app, sign_in


@pytest.fixture
def both(engine: Engine) -> Iterator[TestClient]:
    """The app over the ledger on each backend."""
    fill_ledger(engine)
    with TestClient(make_app(engine)) as test_client:
        yield test_client


def _codes(html: str) -> list[str]:
    return re.findall(r'<td class="mono"><a href="/customers/([^"]+)"', html)


def test_a_manager_sees_every_account_largest_overdue_first(both: TestClient) -> None:
    sign_in(both, "boss")
    assert _codes(both.get("/customers").text) == ["W001", "E001", "E002", "W001", "W002"]


def test_a_collector_sees_only_their_portfolios_customers(both: TestClient) -> None:
    sign_in(both, "ann")
    assert _codes(both.get("/customers").text) == ["E001", "E002"]
    assert both.get("/customers/E001").status_code == 200


def test_a_collector_asking_for_another_portfolios_customer_gets_404(both: TestClient) -> None:
    sign_in(both, "ann")
    answer = both.get("/customers/W001")
    assert answer.status_code == 404
    assert "西部能源" not in answer.text
    assert both.get("/customers/NOSUCH").status_code == 404  # the same answer as for a stranger


def test_a_collectors_dashboard_counts_only_their_portfolios_money(both: TestClient) -> None:
    sign_in(both, "ann")
    html = both.get("/").text
    assert "¥620,000.00" in html
    assert "US$" not in html
    sign_in(both, "boss")
    html = both.get("/").text
    assert "¥1,520,000.00" in html
    assert "US$15,000.00" in html


def test_the_customer_page_shows_contacts_and_open_items(both: TestClient) -> None:
    sign_in(both, "boss")
    html = both.get("/customers/E002").text
    assert "华东物流股份有限公司" in html
    assert "ar@e002.example" in html
    assert html.index("INV-E2") < html.index("INV-E3")  # oldest due first
    assert "2026年3月1日" in html


def test_search_matches_code_or_name_ignoring_case(both: TestClient) -> None:
    sign_in(both, "boss")
    assert _codes(both.get("/customers", params={"q": "pacific"}).text) == ["W002"]
    assert _codes(both.get("/customers", params={"q": "e00"}).text) == ["E001", "E002"]
    assert _codes(both.get("/customers", params={"q": "物流"}).text) == ["E002"]
    assert _codes(both.get("/customers", params={"q": "100%_"}).text) == []


def test_keyset_pages_walk_every_account_once(engine: Engine) -> None:
    fill_ledger(engine)
    with engine.connect() as conn:
        boss = service.get_user(conn, login="boss")
        seen, after = [], None
        while True:
            page = list_accounts(conn, user=boss, as_of=NOW.date(), after=after, limit=2)
            seen += [(r.code, r.currency) for r in page.rows]
            if page.next_cursor is None:
                break
            after = page.next_cursor
    assert seen == [("W001", "CNY"), ("E001", "CNY"), ("E002", "CNY"), ("W001", "USD"), ("W002", "")]


def test_a_page_marker_not_made_by_the_list_is_refused(ledger: Engine) -> None:
    with ledger.connect() as conn:
        boss = service.get_user(conn, login="boss")
        with pytest.raises(BadArgument, match="page marker"):
            list_accounts(conn, user=boss, as_of=NOW.date(), after="bm90IGpzb24")


def test_the_api_answers_a_bearer_token_within_its_users_scope(client: TestClient, ledger: Engine) -> None:
    with ledger.begin() as conn:
        token = service.create_token(conn, login="ann", name="erp", actor="test", at=NOW).secret
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).json()["portfolios"] == ["east"]
    rows = client.get("/api/v1/customers", headers=auth).json()["rows"]
    assert [r["code"] for r in rows] == ["E001", "E002"]
    assert rows[0]["overdue_minor"] == 500_000_00
    assert client.get("/api/v1/customers/W001", headers=auth).status_code == 404
    assert client.get("/api/v1/customers/E002", headers=auth).json()["items"][0]["code"] == "INV-E2"
    dashboard = client.get("/api/v1/dashboard", headers=auth).json()
    assert [c["currency"] for c in dashboard["currencies"]] == ["CNY"]
    with ledger.begin() as conn:
        service.revoke_token(conn, login="ann", name="erp", actor="test", at=NOW)
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_the_api_reads_no_session_cookie(client: TestClient) -> None:
    sign_in(client, "boss")
    assert client.get("/api/v1/me").status_code == 401


def test_a_sales_users_dashboard_shows_no_runs_or_deliveries(client: TestClient, ledger: Engine) -> None:
    with ledger.begin() as conn:
        service.add_user(
            conn, login="sue", role=Role.SALES, password="correct horse battery", actor="t", at=NOW
        )
        token = service.create_token(conn, login="sue", name="t", actor="t", at=NOW).secret
    dashboard = client.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {token}"}).json()
    assert dashboard["pending_approvals"] is None
    assert dashboard["deliveries_failed"] is None
    assert dashboard["currencies"] == []  # owns no customer


def test_the_openapi_document_and_its_docs_page_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/customers/{code}" in spec["paths"]
    assert not any(p.startswith("/customers") or p == "/" for p in spec["paths"])
    docs = client.get("/api/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_an_htmx_search_answers_only_the_results_block_of_the_same_template(client: TestClient) -> None:
    sign_in(client, "boss")
    partial = client.get("/customers", params={"q": "pacific"}, headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div id="results">')
    assert "<html" not in partial.text
    assert _codes(partial.text) == ["W002"]
    assert "HX-Request" in partial.headers["vary"]
    whole = client.get("/customers", params={"q": "pacific"}).text
    assert partial.text.strip() in whole
