"""The web application in a real browser: Debian's headless Chromium, driven by Playwright, against a
real uvicorn server on 127.0.0.1, over a demo ledger split into two portfolios.

A zh-CN manager signs in, sees the dashboard with its aging chart, switches to zh-TW and to English; a
collector signs in and finds only their portfolio. No page logs an error (a CSP violation would).
Screenshots go to $DUNMORE_WEB_SCREENSHOTS when set (docs/samples/ is made so), else a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, and_, update

from dunmore.access import service as access
from dunmore.access.values import Language, Role
from dunmore.cli.demo_run import EXAMPLE_POLICY
from dunmore.demo.generator import generate
from dunmore.demo.load import load_portfolio
from dunmore.ledger import balances
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.run import service as runs
from dunmore.web.app import create_app
from tests.web.conftest import PASSWORD, set_level, settings
from tests.web.live import click_and_load, follow_menu, serving

AS_OF = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)


def demo_ledger(engine: Engine, *, run: bool = True) -> None:
    """60 demo customers, the odd ones in portfolio `east`, the even in `west`; two users; today's run
    unless `run` is false."""
    with engine.begin() as conn:
        load_portfolio(conn, generate(customers=60, seed=7, as_of=AS_OF))
        conn.execute(update(CUSTOMERS).values(portfolio="east").where(CUSTOMERS.c.id % 2 == 1))
        conn.execute(update(CUSTOMERS).values(portfolio="west").where(CUSTOMERS.c.id % 2 == 0))
        balances.follow(conn, customer_ids=None)
        runs.load_policy(conn, EXAMPLE_POLICY, now=NOW, actor="t")
        access.add_user(conn, login="wang", role=Role.MANAGER, password=PASSWORD, actor="t", at=NOW)
        access.add_user(conn, login="li", role=Role.COLLECTOR, password=PASSWORD, portfolios=["east"],
                        language=Language.ZH_CN, actor="t", at=NOW)  # fmt: skip
    if not run:
        return
    with engine.begin() as conn:
        runs.commit(conn, as_of=AS_OF, today=AS_OF, now=NOW, actor="t", templates_dir=None)


@dataclass
class Server:
    url: str


@pytest.fixture
def server(sqlite_engine: Engine) -> Iterator[Server]:
    demo_ledger(sqlite_engine)
    yield from _serve(sqlite_engine)


@pytest.fixture
def server_before_the_run(sqlite_engine: Engine) -> Iterator[Server]:
    """No run yet today; the items 60 days overdue have been at level 3 since February, so the run
    proposes their legal review, which waits for a manager's approval."""
    demo_ledger(sqlite_engine, run=False)
    old = and_(INVOICES.c.open_minor > 0, INVOICES.c.due_date <= AS_OF - timedelta(days=60))
    with sqlite_engine.begin() as conn:
        set_level(conn, old, 3, date(2026, 2, 1))
    yield from _serve(sqlite_engine)


def _serve(engine: Engine) -> Iterator[Server]:
    with serving(create_app(engine, settings(), clock=lambda: NOW)) as url:
        yield Server(url)


def _page(browser: Browser, errors: list[str]) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN", device_scale_factor=1)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda answer: errors.append(f"{answer.status} {answer.url}") if answer.status == 404 else None,
    )
    return page


def _sign_in(page: Page, url: str, login: str) -> None:
    """Sign in from the sign-in page the home page sends to. The click's navigation is waited for
    as it happens (one CI run timed out waiting for the landing page after a sign-in right after
    another user's form post); landing anywhere else says where and what the page said."""
    page.goto(f"{url}/")
    page.wait_for_selector("form.stack input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    landed = page.url  # a collector lands on the worklist
    said = page.inner_text("body")[:300]
    assert landed in (f"{url}/", f"{url}/worklist"), f"{login} landed on {landed}: {said}"


def _screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DUNMORE_WEB_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_manager_sees_the_dashboard_in_three_languages_and_a_collector_only_their_portfolio(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    errors: list[str] = []
    shots = _screenshots(tmp_path)
    page = _page(browser, errors)
    page.goto(f"{server.url}/")
    page.click("form.langs button[value=zh-TW]")  # before signing in: the sign-in page itself
    page.wait_for_selector("html[lang='zh-TW']")
    assert page.inner_text("h1") == "登入 Dunmore"
    page.screenshot(path=str(shots / "web-sign-in-zh-TW.png"))
    _sign_in(page, server.url, "wang")
    for language, title in (("zh-CN", "概览"), ("zh-TW", "總覽"), ("en", "Dashboard")):
        if language != "zh-CN":
            page.click(f"form.langs button[value={language}]")
            page.wait_for_selector(f"html[lang='{language}']")  # the reloaded page, not the old one
        assert page.inner_text("h1") == title
        assert page.locator("svg.chart rect.bar").count() >= 6
        assert page.get_attribute("html", "lang") == language
        page.screenshot(path=str(shots / f"web-dashboard-{language}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    for path in ("/", "/customers"):
        page.goto(f"{server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.goto(f"{server.url}/")
    page.screenshot(path=str(shots / "web-dashboard-phone-en.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    click_and_load(page, "nav.mainnav a[href='/customers']")
    assert page.locator("#customers tbody tr").count() == 50  # one page of the 60 customers' accounts
    page.click("form[action='/sign-out'] button")
    page.wait_for_url(f"{server.url}/sign-in")

    _sign_in(page, server.url, "li")
    page.goto(f"{server.url}/customers")
    portfolios = page.locator("#customers tbody tr td:nth-child(3)").all_inner_texts()
    assert portfolios
    assert set(portfolios) == {"east"}
    page.screenshot(path=str(shots / "web-customers-collector-zh-CN.png"), full_page=True)
    first = page.locator("#customers tbody tr td.mono a").first
    code = first.inner_text()
    page.fill("input[name=q]", code)  # htmx: the results block is replaced as one types, the URL follows
    page.wait_for_url(f"**/customers?q={code}*")  # the other filters, empty, ride along
    page.wait_for_function(
        "c => [...document.querySelectorAll('#customers td.mono a')].every(a => a.textContent === c)",
        arg=code,
    )
    assert page.locator("header.topbar").count() == 1  # swapped in place, not nested
    first = page.locator("#customers tbody tr td.mono a").first
    click_and_load(page, first)
    assert page.locator("#items tbody tr").count() >= 1
    assert errors == []
    answer = page.goto(f"{server.url}/customers/C000002")  # an even id: portfolio west
    assert answer is not None
    assert answer.status == 404


def test_a_customer_page_shows_notices_proof_and_explain_in_three_languages(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    shots = _screenshots(tmp_path)
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, server.url, "wang")
    page.goto(f"{server.url}/customers")  # the largest overdue: the run wrote it notices
    page.locator("#customers tbody tr td.mono a").first.click()
    for language, heading in (
        ("zh-CN", "通知与送达凭证"),
        ("zh-TW", "通知與送達證明"),
        ("en", "Notices and delivery proof"),
    ):
        if language != "zh-CN":
            page.click(f"form.langs button[value={language}]")
            page.wait_for_selector(f"html[lang='{language}']")  # the reloaded page, not the old one
        assert page.inner_text("#notices h2") == heading
        assert page.locator("#notices tbody tr").count() >= 1
        assert page.locator("#explain ul.story li").count() >= 1
        page.screenshot(path=str(shots / f"web-customer-{language}.png"), full_page=True)
    assert errors == []


def test_the_api_docs_run_from_vendored_files_under_the_csp(server: Server, browser: Browser) -> None:
    errors: list[str] = []
    page = _page(browser, errors)
    page.goto(f"{server.url}/api/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "Dunmore" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock-summary-path").count() >= 4
    assert errors == []


def test_a_zh_cn_manager_proposes_commits_and_approves_the_days_run(
    server_before_the_run: Server, browser: Browser, tmp_path: Path
) -> None:
    url, shots = server_before_the_run.url, _screenshots(tmp_path)
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, url, "wang")
    follow_menu(page, "/runs")
    assert page.inner_text("h1") == "催收批次"
    assert page.input_value("input[name=as_of]") == "2026-03-16"  # the business date
    page.click("#propose button[type=submit]")
    page.wait_for_selector("#steps")
    assert "2026年3月16日 的试算结果" in page.inner_text(".proposal h3")
    assert page.locator("#proposed-customers tbody tr").count() > 0
    page.evaluate(
        "window.scrollTo(0, 0)"
    )  # the form's anchor scrolled down; the sticky bar would float mid-shot
    page.screenshot(path=str(shots / "web-run-proposal-zh-CN.png"), full_page=True)
    page.click(".commit-form button")
    page.wait_for_url("**/runs/*?done=committed")
    assert "催收批次已执行" in page.inner_text("p.notice-ok")
    pending = page.locator("#notice-rows form.reject-form").count()
    assert pending > 0
    page.click("#notice-rows tr:has-text('first-overdue') td.mono a")  # e-mail and SMS
    frame = page.frame_locator("iframe.email-frame")
    assert "DN-" in frame.locator("body").inner_text()  # the e-mail, rendered under its own policy
    assert "使用客户的语言" in page.inner_text("main")
    page.screenshot(path=str(shots / "web-notice-zh-CN.png"), full_page=True)
    page.go_back()
    for language in ("zh-CN", "zh-TW", "en"):
        if language != "zh-CN":
            page.click(f"form.langs button[value={language}]")
            page.wait_for_selector(f"html[lang='{language}']")  # the reloaded page, not the old one
        page.screenshot(path=str(shots / f"web-run-review-{language}.png"), full_page=True)
    assert page.inner_text(".approve-form button") == f"Approve the waiting notices ({pending})"
    page.click("form.langs button[value=zh-CN]")
    page.wait_for_selector("html[lang='zh-CN']")
    page.click(".approve-form button")
    page.wait_for_url("**/runs/*?done=approved*")
    assert f"已批准 {pending} 份通知" in page.inner_text("p.notice-ok")
    assert page.locator("#notice-rows form.reject-form").count() == 0
    assert page.locator(".approve-form").count() == 0
    assert errors == []
