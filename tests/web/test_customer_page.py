"""A customer's page after a run: the notices with their delivery proof, and why each item is where
it is, in the reader's language. The story: the tests' ledger, the policy of examples/, a run on
2026-03-16 raises E001 to second-overdue; its e-mail went out at 02:05 UTC with the provider's id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from dunmore.delivery.models import DELIVERIES
from dunmore.ledger import balances
from dunmore.ledger.models import CUSTOMERS
from dunmore.run import service
from dunmore.run.models import NOTICES
from dunmore.store.db import transaction
from tests.web.conftest import NOW, fill_ledger, make_app, sign_in

POLICY = Path(__file__).resolve().parents[2] / "examples" / "dunning.yaml"


@pytest.fixture
def after_a_run(engine: Engine) -> Iterator[TestClient]:
    fill_ledger(engine)
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.external_id == "E001").values(owner="Ann"))
        balances.follow(conn, customer_ids=None)
        service.load_policy(conn, POLICY, now=NOW, actor="test")
        service.commit(
            conn,
            as_of=NOW.date(),
            today=NOW.date(),
            now=NOW,
            actor="test",
            templates_dir=None,
            gate_templates=False,
        )
        e001 = select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == "E001").scalar_subquery()
        notices = select(NOTICES.c.id).where(NOTICES.c.customer_id == e001)
        email = DELIVERIES.c.notice_id.in_(notices) & (DELIVERIES.c.channel == "email")
        conn.execute(update(DELIVERIES).where(email).values(
            status="sent", sent_at=NOW + timedelta(minutes=5), recipient="ar@e001.example",
            provider_id="MX-4711"))  # fmt: skip
    with TestClient(make_app(engine)) as test_client:
        yield test_client


def test_the_page_shows_each_notice_with_its_delivery_proof(after_a_run: TestClient) -> None:
    sign_in(after_a_run, "boss")
    html = after_a_run.get("/customers/E001").text
    notices = html[html.index('id="notices"') :]
    assert "second-overdue" in notices
    assert "ar@e001.example" in notices
    assert "MX-4711" in notices
    assert "已发送" in notices
    assert "02:05" in notices  # sent, at its time (UTC)
    assert "电话" in notices
    assert "等待发送" in notices  # the call task still waits


def test_the_explanation_speaks_the_readers_language(after_a_run: TestClient) -> None:
    sign_in(after_a_run, "boss")  # zh-CN
    zh = after_a_run.get("/customers/E001").text
    explained = zh[zh.index('id="explain"') : zh.index('id="notices"')]
    assert "INV-E1" in explained
    assert "策略" in explained
    sign_in(after_a_run, "tom")  # en
    en = after_a_run.get("/customers/E001").text
    assert "policy" in en[en.index('id="explain"') : en.index('id="notices"')]


def test_the_owner_is_linked_to_the_user_of_that_login_whatever_the_case(after_a_run: TestClient) -> None:
    sign_in(after_a_run, "tom")  # en
    assert 'Ann <span class="muted">· user ann (collector)</span>' in after_a_run.get("/customers/E001").text
    listed = after_a_run.get("/customers", params={"owner": "ANN"}).text
    assert 'title="Signs in as ann"' in listed


def test_a_customer_with_no_policy_loaded_shows_no_explanation(engine: Engine) -> None:
    fill_ledger(engine)
    with TestClient(make_app(engine)) as client:
        sign_in(client, "boss")
        html = client.get("/customers/E002").text
    assert "INV-E2" in html
    assert 'id="explain"' in html
