"""Instalment plans in a real browser: Li opens a customer of her portfolio, agrees a plan of three
monthly instalments in its "Instalment plans" section (htmx), sees the schedule, and finds the plan
on the /plans page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine

from dunmore.web.app import create_app
from tests.web.conftest import settings
from tests.web.live import serving
from tests.web.test_browser import NOW, Server, _page, _screenshots, _sign_in, demo_ledger


@pytest.fixture
def server(sqlite_engine: Engine) -> Iterator[Server]:
    demo_ledger(sqlite_engine)
    with serving(create_app(sqlite_engine, settings(), clock=lambda: NOW)) as url:
        yield Server(url)


def test_a_collector_agrees_a_plan_on_the_customer_page(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    shots = _screenshots(tmp_path)
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, server.url, "li")
    page.goto(f"{server.url}/worklist")
    link = page.locator("#worklist li.wl-line a.button").first.get_attribute("href")
    assert link is not None
    code = link.removeprefix("/customers/").split("#")[0]
    page.goto(f"{server.url}/customers/{code}")
    form = page.locator("#plans form.inline-form")
    form.locator("input[name=instalments]").fill("3")
    form.locator("input[name=first]").fill("2026-04-15")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#plans #plan-rows ol.instalments li >> nth=2")
    rows = page.locator("#plans #plan-rows tbody tr")
    assert rows.count() == 1
    assert "生效中" in rows.first.inner_text()  # "Active", in Li's zh-CN
    page.screenshot(path=str(shots / "web-customer-plan-zh-CN.png"), full_page=True)
    page.goto(f"{server.url}/plans")
    assert code in page.inner_text("#plan-rows")
    page.screenshot(path=str(shots / "web-plans-zh-CN.png"), full_page=True)
    assert errors == []
