"""Credit in a real browser (Chromium): after grading, a manager opens a held customer's page, whose
grade panel loads with htmx (factors, points, the hold and the grading that set it, also on the
timeline); the credit-check form refuses its order;
the manager releases the hold with a reason and the form then answers from the limit. No page logs
an error (a CSP violation would)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine, select

from dunmore.access.service import get_user
from dunmore.credit import grades
from dunmore.credit.grades_models import CREDIT_HOLDS
from dunmore.ledger.models import CUSTOMERS
from tests.web.test_browser import NOW, Server, _page, _screenshots, _serve, _sign_in, demo_ledger


@pytest.fixture
def server(sqlite_engine: Engine) -> Iterator[Server]:
    demo_ledger(sqlite_engine)
    with sqlite_engine.begin() as conn:
        grades.compute(conn, user=get_user(conn, login="wang"), as_of=NOW.date(), now=NOW)
    yield from _serve(sqlite_engine)


def _held(engine: Engine) -> str:
    query = select(CUSTOMERS.c.external_id).join(CREDIT_HOLDS, CREDIT_HOLDS.c.customer_id == CUSTOMERS.c.id)
    with engine.connect() as conn:
        return str(conn.execute(query.order_by(CUSTOMERS.c.id).limit(1)).scalar_one())


def test_a_manager_checks_credit_and_releases_a_hold(
    server: Server, browser: Browser, sqlite_engine: Engine, tmp_path: Path
) -> None:
    errors: list[str] = []
    shots = _screenshots(tmp_path)
    held = _held(sqlite_engine)
    page = _page(browser, errors)
    _sign_in(page, server.url, "wang")
    page.click("form.langs button[value=en]")
    page.wait_for_selector("html[lang='en']")
    page.goto(f"{server.url}/customers/{held}")
    page.wait_for_selector("#grade-factors")
    assert page.is_visible("#credit-hold")
    assert "average days beyond terms" in page.inner_text("#grade-factors")
    # one audit row for the whole grading: the hold names it, and the timeline reads the hold
    assert "(set by the grading run by wang, audit row " in page.inner_text("#grade")
    assert "Credit hold set by the grading as of " in page.inner_text("table.timeline")
    page.screenshot(path=str(shots / "web-customer-grade-en.png"), full_page=True)
    page.goto(f"{server.url}/credit-check")
    page.fill("#credit-check-form input[name=customer]", held)
    page.fill("#credit-check-form input[name=amount]", "100.00")
    page.fill("#credit-check-form input[name=currency]", "CNY")
    page.click("#credit-check-form button[type=submit]")
    page.wait_for_selector("#verdict")
    assert "on credit hold" in page.inner_text("#verdict h2")
    page.screenshot(path=str(shots / "web-credit-check-en.png"), full_page=True)
    page.goto(f"{server.url}/customers/{held}")
    page.wait_for_selector("#release-form")
    page.fill("#release-form input[name=reason]", "prepaid by bank transfer")
    page.click("#release-form button[type=submit]")
    page.wait_for_selector("#grade-factors")
    assert not page.is_visible("#credit-hold")
    page.goto(f"{server.url}/credit-check")
    page.fill("#credit-check-form input[name=customer]", held)
    page.fill("#credit-check-form input[name=amount]", "100.00")
    page.fill("#credit-check-form input[name=currency]", "CNY")
    page.click("#credit-check-form button[type=submit]")
    page.wait_for_selector("#verdict")
    assert "on credit hold" not in page.inner_text("#verdict h2")
    assert errors == []
