"""The disputes on the pages: the customer's section (loaded and posted with htmx), the /disputes list
and the waivers a manager approves. The tests' ledger: E001 (east) owes INV-E1, 500,000.00 CNY, and a
fee item FEE-9 of 1,000.00; ann collects portfolio east, boss and tom (English) are managers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.store.db import transaction
from dunmore.workspace.models import DISPUTES, WAIVERS
from tests.web.conftest import csrf_of, fill_ledger, make_app, sign_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def client(sqlite_engine: Engine) -> Iterator[TestClient]:
    fill_ledger(sqlite_engine)
    with transaction(sqlite_engine) as conn:
        e001 = conn.execute(select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == "E001")).scalar_one()
        conn.execute(
            INVOICES.insert().values(
                external_id="FEE-9",
                customer_id=e001,
                issue_date=date(2026, 3, 1),
                due_date=date(2026, 3, 1),
                currency="CNY",
                amount_minor=100_000,
                open_minor=100_000,
                kind="fee",
            )
        )
    with TestClient(make_app(sqlite_engine)) as test_client:
        yield test_client


def post(client: TestClient, path: str, fields: dict[str, str], *, htmx: bool = True) -> str:
    token = csrf_of(client.get("/disputes").text)
    answer = client.post(
        path, data=fields | {"csrf_token": token}, headers=HTMX if htmx else {}, follow_redirects=False
    )
    assert answer.status_code == (200 if htmx else 303), answer.text
    return answer.text


def test_a_collector_opens_and_resolves_a_dispute_in_the_customer_section(
    client: TestClient, sqlite_engine: Engine
) -> None:
    sign_in(client, "ann")
    page = client.get("/customers/E001").text
    assert 'hx-get="/customers/E001/disputes"' in page
    section = client.get("/customers/E001/disputes", headers=HTMX).text
    assert section.lstrip().startswith('<section class="panel" id="disputes">')
    assert '<option value="INV-E1">' in section
    section = post(
        client, "/disputes", {"invoice": "INV-E1", "amount": "1000", "reason": "quality", "note": "破损"}
    )
    assert "破损" in section
    assert 'action="/disputes/1/resolve"' in section
    section = post(client, "/disputes/1/resolve", {"outcome": "credit-note", "amount": "400", "note": ""})
    assert 'action="/disputes/1/resolve"' not in section
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(DISPUTES.c.status, DISPUTES.c.outcome, DISPUTES.c.resolved_minor)).one()
        open_minor = conn.execute(
            select(INVOICES.c.open_minor).where(INVOICES.c.external_id == "INV-E1")
        ).scalar()
    assert tuple(row) == ("resolved", "credit_note", 40_000)
    assert open_minor == 500_000_00 - 40_000


def test_a_refusal_is_said_in_the_section_and_another_portfolio_is_not_found(client: TestClient) -> None:
    sign_in(client, "tom")
    section = post(client, "/disputes", {"invoice": "INV-E1", "amount": "600000", "reason": "price"})
    assert 'class="notice alarm"' in section
    assert "more than the" in section
    sign_in(client, "ann")
    token = csrf_of(client.get("/disputes").text)
    refused = client.post(
        "/disputes", data={"invoice": "INV-W1", "amount": "1", "reason": "price", "csrf_token": token}
    )
    assert refused.status_code == 404
    assert client.get("/customers/W001/disputes").status_code == 404


def test_the_disputes_page_filters_and_a_manager_approves_a_waiver(
    client: TestClient, sqlite_engine: Engine
) -> None:
    sign_in(client, "ann")
    post(client, "/disputes", {"invoice": "INV-E1", "amount": "10", "reason": "price"}, htmx=False)
    post(client, "/waivers", {"item": "FEE-9", "amount": "600", "reason": "goodwill"}, htmx=False)  # > 500.00
    listed = client.get("/disputes").text
    assert "INV-E1" in listed
    assert 'id="waivers"' not in listed  # a collector decides no waiver
    assert "INV-E1" not in client.get("/disputes?status=resolved").text
    sign_in(client, "tom")
    listed = client.get("/disputes").text
    assert 'action="/waivers/1/approve"' in listed
    token = csrf_of(listed)
    assert (
        client.post("/waivers/1/approve", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    with sqlite_engine.connect() as conn:
        waiver = conn.execute(select(WAIVERS.c.status, WAIVERS.c.decided_by)).one()
        fee_open = conn.execute(
            select(INVOICES.c.open_minor).where(INVOICES.c.external_id == "FEE-9")
        ).scalar()
    assert tuple(waiver) == ("applied", "tom")
    assert fee_open == 40_000
