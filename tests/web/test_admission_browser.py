"""Credit admission in a real browser (Chromium): a collector's application for a customer of her
portfolio is in the
manager's list; its page shows the facts and the approve and reject forms; the manager approves it
and the page then says so, without the forms. No page logs an error (a CSP violation would)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload
from sqlalchemy import Engine, select

from dunmore.access.service import get_user
from dunmore.credit import admission
from dunmore.ledger.models import CUSTOMERS
from tests.web.live import click_and_load, follow_menu
from tests.web.test_browser import NOW, Server, _page, _screenshots, _serve, _sign_in, demo_ledger


@pytest.fixture
def server(sqlite_engine: Engine) -> Iterator[Server]:
    demo_ledger(sqlite_engine)
    with sqlite_engine.begin() as conn:
        user = get_user(conn, login="li")  # the collector of portfolio east
        east = select(CUSTOMERS.c.external_id).where(CUSTOMERS.c.portfolio == "east").order_by(CUSTOMERS.c.id)
        customer = str(conn.execute(east.limit(1)).scalar_one())
        admission.apply(
            conn, customer=customer, limit=Decimal("500000.00"), currency="CNY", terms="net 45",
            facts=admission.Facts(years_in_business=12, report_score=77, references="Bank of Ningbo"),
            by=user.login, user=user, actor=user.login, now=NOW, kind="increase",
        )  # fmt: skip
    yield from _serve(sqlite_engine)


def test_a_manager_approves_a_credit_application(server: Server, browser: Browser, tmp_path: Path) -> None:
    errors: list[str] = []
    shots = _screenshots(tmp_path)
    page = _page(browser, errors)
    _sign_in(page, server.url, "wang")
    page.click("form.langs button[value=en]")
    page.wait_for_selector("html[lang='en']")
    follow_menu(page, "/credit-applications")
    page.wait_for_selector("#application-rows")
    assert "net 45" in page.inner_text("#application-rows")
    page.click("#application-rows a[href^='/credit-applications/']")
    page.wait_for_selector("#application-facts")
    assert "Bank of Ningbo" in page.inner_text("#application-facts")
    assert page.is_visible("#reject-form")
    page.screenshot(path=str(shots / "web-credit-application-en.png"), full_page=True)
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector("#application-status")
    assert page.inner_text("#application-status") == "Approved"
    assert not page.is_visible("#approve-form")
    assert errors == []


PAPER = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_a_collector_drafts_an_application_with_a_paper_in_three_languages(
    server: Server, browser: Browser, tmp_path: Path, sqlite_engine: Engine
) -> None:
    """The collector opens the form from the list in each language; in zh-CN she drafts an
    increase for her second customer with a financial statement attached, and lands on its page."""
    east = select(CUSTOMERS.c.external_id).where(CUSTOMERS.c.portfolio == "east").order_by(CUSTOMERS.c.id)
    with sqlite_engine.connect() as conn:
        customer = str(conn.execute(east.offset(1).limit(1)).scalar_one())  # the first has a draft
    errors: list[str] = []
    shots = _screenshots(tmp_path)
    page = _page(browser, errors)
    _sign_in(page, server.url, "li")
    for language in ("en", "zh-TW", "zh-CN"):
        page.click(f"form.langs button[value={language}]")
        page.wait_for_selector(f"html[lang='{language}']")
        follow_menu(page, "/credit-applications")
        click_and_load(page, "#new-application")
        page.wait_for_selector("#application-form")
        page.screenshot(path=str(shots / f"web-credit-application-new-{language}.png"), full_page=True)
    page.fill("input[name=customer]", customer)
    page.select_option("select[name=kind]", "increase")
    page.fill("input[name=limit]", "300,000.00")
    page.fill("input[name=terms]", "net 60")
    page.fill("input[name=years_in_business]", "8")
    paper = FilePayload(name="2025年报.pdf", mimeType="application/pdf", buffer=PAPER)  # not a path: see
    page.set_input_files("input[name=papers]", files=[paper])  # test_contract_browser on the name's encoding
    click_and_load(page, "#application-form button[type=submit]")
    page.wait_for_selector("#application-facts")
    assert "net 60" in page.inner_text("#application-facts")
    assert "2025年报.pdf" in page.inner_text("#application-files")
    assert page.inner_text("#application-status") == "待审批"
    assert not page.is_visible("#approve-form")  # she drafted it: a manager decides
    page.screenshot(path=str(shots / "web-credit-application-drafted-zh-CN.png"), full_page=True)
    assert errors == []
