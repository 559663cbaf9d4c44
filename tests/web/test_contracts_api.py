"""Contracts added and changed through the API (`contract.manage`, within the user's customers):
ann, a collector of the east portfolio, adds K-9 for E002 with an interest clause, changes it (a new
draft version), and cannot add one for W001 of the west; a bad clause is a 400 that says what to fix."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunmore.access import service
from tests.web.conftest import NOW

SAYS: dict[str, Any] = {
    "title": "Spare parts",
    "signed_on": "2026-03-02",
    "amount": "10000.00",
    "currency": "CNY",
    "terms": "30% signing; 70% delivery+30d",
    "interest_terms": "0.05% per day",
}


def _auth(ledger: Engine, login: str) -> dict[str, str]:
    with ledger.begin() as conn:
        token = service.create_token(conn, login=login, name="erp", actor="test", at=NOW).secret
    return {"Authorization": f"Bearer {token}"}


def test_a_collector_adds_and_changes_a_contract_of_her_customers(client: TestClient, ledger: Engine) -> None:
    auth = _auth(ledger, "ann")
    added = client.post("/api/v1/contracts", json=SAYS | {"customer": "E002", "number": "K-9"}, headers=auth)
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["version"], body["status"], body["drafted_by"]) == (1, "draft", "ann")
    assert (body["amount_minor"], body["interest_terms"]) == (1_000_000, "0.05% per day")
    assert [line["amount_minor"] for line in body["schedule"]] == [300_000, 700_000]
    changed = client.post("/api/v1/contracts/K-9/versions", json=SAYS | {"amount": "12000.00"}, headers=auth)
    assert changed.status_code == 201, changed.text
    assert (changed.json()["version"], changed.json()["amount_minor"]) == (2, 1_200_000)
    west = client.post("/api/v1/contracts", json=SAYS | {"customer": "W001", "number": "K-10"}, headers=auth)
    assert west.status_code == 404
    again = client.post("/api/v1/contracts", json=SAYS | {"customer": "E002", "number": "K-9"}, headers=auth)
    assert again.status_code == 400
    assert "K-9" in again.json()["detail"]


def test_a_bad_interest_clause_says_how_to_write_one(client: TestClient, ledger: Engine) -> None:
    auth = _auth(ledger, "boss")
    bad = SAYS | {"customer": "W001", "number": "K-11", "interest_terms": "five percent"}
    answer = client.post("/api/v1/contracts", json=bad, headers=auth)
    assert answer.status_code == 400
    assert "0.05% per day" in answer.json()["detail"]
