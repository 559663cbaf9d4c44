"""The alerts inbox in a real browser (Chromium): a manager sees the unread badge, reads the inbox in
three languages, marks one alert read and the badge follows. No page logs an error (a CSP violation
would). Screenshots go to $DUNMORE_WEB_SCREENSHOTS when set (docs/samples/ is made so)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine, select

from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.alerts import raise_alert
from tests.web.test_browser import NOW, Server, _page, _screenshots, _serve, _sign_in, demo_ledger


def _alerts(engine: Engine) -> None:
    with engine.begin() as conn:
        codes = list(conn.execute(select(CUSTOMERS.c.id).order_by(CUSTOMERS.c.id).limit(4)).scalars())
        stories: list[tuple[str, dict[str, str | int]]] = [
            ("promise_broken", {"amount_minor": 1_250_000, "currency": "CNY", "due_on": "2026-03-13"}),
            ("dispute_opened", {"invoice": "INV-7", "amount_minor": 380_000, "currency": "CNY"}),
            ("level_passed", {"level": 3, "currency": "CNY", "step": "final-notice"}),
            (
                "high_value_overdue",
                {"invoice": "INV-9", "amount_minor": 25_000_000, "currency": "CNY", "due_on": "2026-03-15"},
            ),
        ]
        for n, (customer, (kind, params)) in enumerate(zip(codes, stories, strict=True)):
            raise_alert(conn, kind=kind, key=f"{kind}:{n}", customer_id=customer, params=params,
                        at=NOW - timedelta(hours=n))  # fmt: skip


@pytest.fixture
def server(sqlite_engine: Engine) -> Iterator[Server]:
    demo_ledger(sqlite_engine, run=False)
    _alerts(sqlite_engine)
    yield from _serve(sqlite_engine)


def test_a_manager_reads_the_inbox_in_three_languages_and_marks_one_read(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    errors: list[str] = []
    shots = _screenshots(tmp_path)
    page = _page(browser, errors)
    _sign_in(page, server.url, "wang")
    page.wait_for_selector("nav.mainnav .badge")
    assert page.inner_text("nav.mainnav .badge") == "4"
    page.goto(f"{server.url}/alerts")
    for language, title in (("zh-CN", "提醒"), ("zh-TW", "提醒"), ("en", "Alerts")):
        if language != "zh-CN":
            page.click(f"form.langs button[value={language}]")
            page.wait_for_selector(f"html[lang='{language}']")
        assert page.inner_text("h1") == title
        assert page.locator("#alerts tbody tr.strong").count() == 4
        page.wait_for_selector("nav.mainnav .badge")
        page.screenshot(path=str(shots / f"web-alerts-{language}.png"), full_page=True)
    assert "broke the promise to pay CN¥12,500.00" in page.inner_text("#alerts")
    page.locator("#alerts tbody input[type=checkbox]").first.check()
    page.click("#alerts-form button[type=submit]")
    page.wait_for_url(f"{server.url}/alerts")
    assert page.locator("#alerts tbody tr.strong").count() == 3
    page.wait_for_selector("nav.mainnav .badge")
    assert page.inner_text("nav.mainnav .badge") == "3"
    assert errors == []
