"""The worklist in a real browser (headless Chromium, Playwright): a collector opens it in three
languages, completes the run's call task in place (htmx), and the line is gone. Screenshots go to
$DUNMORE_WEB_SCREENSHOTS when set (docs/samples/ is made so), else a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine, select

from dunmore.delivery.models import TASKS
from dunmore.web.app import create_app
from tests.web.conftest import settings
from tests.web.live import click_and_load, serving
from tests.web.test_browser import NOW, Server, _page, _screenshots, _sign_in, demo_ledger
from tests.workspace.worklist_rows import add_broken_promise, add_run_task, log_contact


@pytest.fixture
def server(sqlite_engine: Engine) -> Iterator[Server]:
    """The browser tests' demo ledger after today's run, with Li's follow-up on C000001, C000003's
    broken promise and a call task for C000005 (all portfolio east)."""
    demo_ledger(sqlite_engine)
    with sqlite_engine.begin() as conn:
        log_contact(conn, 1, when=NOW - timedelta(days=3), actor="li", follow_up="2026-03-16")
        add_broken_promise(
            conn, 3, amount_minor=5_000_00, due="2026-03-10", decided="2026-03-13", made="2026-03-01"
        )
        add_run_task(conn, 5, "2026-03-16", title="二次逾期提醒：电话联系")
    with serving(create_app(sqlite_engine, settings(), clock=lambda: NOW)) as url:
        yield Server(url)


def test_a_collector_works_the_worklist_in_three_languages(
    server: Server, browser: Browser, tmp_path: Path, sqlite_engine: Engine
) -> None:
    shots = _screenshots(tmp_path)
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, server.url, "li")
    assert page.locator("nav.mainnav a").first.get_attribute("href") == "/worklist"
    click_and_load(page, "nav.mainnav a[href='/worklist']")  # the page already open, again
    lines = page.locator("#worklist li.wl-line")
    assert lines.count() >= 4
    assert page.locator("#worklist li.wl-line.s1").count() == 1
    assert page.locator("#worklist li.wl-line.s2").count() == 1
    for language, word in (("zh-CN", "跟进"), ("zh-TW", "跟進"), ("en", "follow-up")):
        if language != "zh-CN":
            page.click(f"form.langs button[value={language}]")
            page.wait_for_selector(f"html[lang='{language}']")
        assert word in page.inner_text("#worklist li.wl-line.s1")
        page.screenshot(path=str(shots / f"web-worklist-{language}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots / "web-worklist-phone-en.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    before = lines.count()
    task = page.locator("#worklist li.wl-line.s3")
    task.locator("select[name=outcome]").select_option("no_answer")
    task.locator("button[type=submit]").click()
    page.wait_for_function(
        "n => document.querySelectorAll('#worklist li.wl-line').length === n", arg=before - 1
    )
    assert page.locator("#worklist li.wl-line.s3").count() == 0
    assert errors == []
    with sqlite_engine.connect() as conn:
        assert conn.execute(
            select(TASKS.c.status, TASKS.c.done_by).where(TASKS.c.customer_id == 5)
        ).one() == (
            "done",
            "li",
        )
