"""A small two-portfolio ledger, its users, and a test client of the web application at a fixed instant."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from playwright.sync_api import Browser, sync_playwright
from pydantic import SecretStr
from sqlalchemy import ColumnElement, Connection, Engine, delete, insert, literal, select

from dunmore.access import service
from dunmore.access.values import Language, Role
from dunmore.ledger import balances
from dunmore.ledger.models import CONTACTS, CUSTOMERS, INVOICES, ITEM_LEVELS
from dunmore.settings import Settings, WebSettings
from dunmore.web.app import create_app

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: the business date is 2026-03-16
PASSWORD = "correct horse battery"
SECRET = "test-secret-key-that-is-long-enough-0123456789"

# code, name, portfolio, [(invoice, due, currency, open minor)]
LEDGER = [
    ("E001", "东方精密机械有限公司", "east", [("INV-E1", date(2026, 1, 10), "CNY", 500_000_00)]),
    (
        "E002",
        "华东物流股份有限公司",
        "east",
        [("INV-E2", date(2026, 3, 1), "CNY", 120_000_00), ("INV-E3", date(2026, 4, 1), "CNY", 80_000_00)],
    ),
    (
        "W001",
        "西部能源集团",
        "west",
        [("INV-W1", date(2025, 12, 1), "CNY", 900_000_00), ("INV-W2", date(2026, 2, 1), "USD", 15_000_00)],
    ),
    ("W002", "Pacific Trading Ltd", "west", []),
]


def fill_ledger(engine: Engine) -> None:
    with engine.begin() as conn:
        for code, name, portfolio, items in LEDGER:
            customer_id = conn.execute(
                CUSTOMERS.insert()
                .values(external_id=code, name=name, portfolio=portfolio)
                .returning(CUSTOMERS.c.id)
            ).scalar_one()
            conn.execute(
                CONTACTS.insert().values(
                    customer_id=customer_id,
                    name=f"{code} 财务",
                    email=f"ar@{code.lower()}.example",
                    is_primary=True,
                )
            )
            for invoice, due, currency, open_minor in items:
                invoice_id = conn.execute(
                    INVOICES.insert()
                    .values(
                        external_id=invoice,
                        customer_id=customer_id,
                        issue_date=date(2025, 11, 1),
                        due_date=due,
                        currency=currency,
                        amount_minor=open_minor,
                        open_minor=open_minor,
                    )
                    .returning(INVOICES.c.id)
                ).scalar_one()
                if due < date(2026, 3, 1):
                    conn.execute(ITEM_LEVELS.insert().values(invoice_id=invoice_id, level=1))
        # The summary computed a month before the tests' day: the list recomputes the rows that went stale.
        balances.refresh(conn, as_of=date(2026, 2, 15))
        add = service.add_user
        add(conn, login="boss", role=Role.MANAGER, password=PASSWORD, actor="test", at=NOW)
        add(
            conn,
            login="ann",
            role=Role.COLLECTOR,
            password=PASSWORD,
            portfolios=["east"],
            actor="test",
            at=NOW,
        )
        add(
            conn,
            login="tom",
            role=Role.MANAGER,
            password=PASSWORD,
            language=Language.EN,
            actor="test",
            at=NOW,
        )


def set_level(conn: Connection, invoices: ColumnElement[bool], level: int, level_date: date) -> None:
    """Put the invoices `invoices` selects at `level` since `level_date` (their `item_levels` rows)."""
    chosen = select(INVOICES.c.id).where(invoices)
    conn.execute(delete(ITEM_LEVELS).where(ITEM_LEVELS.c.invoice_id.in_(chosen)))
    rows = select(INVOICES.c.id, literal(level), literal(level_date)).where(invoices)
    conn.execute(insert(ITEM_LEVELS).from_select(["invoice_id", "level", "level_date"], rows))


def settings(**web: object) -> Settings:
    return Settings(web=WebSettings(secret_key=SecretStr(SECRET), **web))


def make_app(engine: Engine) -> FastAPI:
    return create_app(engine, settings(), clock=lambda: NOW)


@pytest.fixture
def ledger(sqlite_engine: Engine) -> Engine:
    fill_ledger(sqlite_engine)
    return sqlite_engine


@pytest.fixture
def client(ledger: Engine) -> Iterator[TestClient]:
    with TestClient(make_app(ledger), base_url="http://testserver") as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, login: str, password: str = PASSWORD, *, follow: bool = False) -> Response:
    token = csrf_of(client.get("/sign-in").text)
    return client.post(
        "/sign-in",
        data={"login": login, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=follow,
    )


CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Browser]:
    """One Chromium per test process: starting it cost about 2 s of each of ~30 browser tests."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser(_chromium: Browser) -> Iterator[Browser]:
    """Debian's Chromium, headless; each page a test opens is in a context of its own (no cookie
    or storage shared) and closed after the test, so that no page of one test polls on in the next."""
    yield _chromium
    for context in _chromium.contexts:
        context.close()
