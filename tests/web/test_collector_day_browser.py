"""A collector's day in a real browser (issue 12, "What it must show"): Li signs in, opens the
worklist, calls the customer at the top of the overdue lines and records a promise to pay in three
days; the customer leaves today's worklist. Five days later the promise is past its date and grace
with nothing paid: that night's run decides it broken, and the next morning the customer is back at
the top of Li's worklist with "promise broken". The clock is the test's, moved by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine, select

from dunmore.run import service as runs
from dunmore.web.app import create_app
from dunmore.workspace.models import PROMISES
from tests.web.conftest import settings
from tests.web.live import serving
from tests.web.test_browser import AS_OF, NOW, Server, _page, _screenshots, _sign_in, demo_ledger

LATER = NOW + timedelta(days=6)  # the promise is due on day 3; its grace of 2 days ends on day 5


@pytest.fixture
def clock() -> list[datetime]:
    return [NOW]


@pytest.fixture
def server(sqlite_engine: Engine, clock: list[datetime]) -> Iterator[Server]:
    demo_ledger(sqlite_engine)
    with serving(create_app(sqlite_engine, settings(), clock=lambda: clock[0])) as url:
        yield Server(url)


def _customer_of(line_html_link: str | None) -> str:
    assert line_html_link is not None
    assert line_html_link.startswith("/customers/")
    return line_html_link.removeprefix("/customers/").split("#")[0]


def test_a_collector_records_a_promise_and_finds_it_broken_at_the_top_after_its_date(
    server: Server, browser: Browser, tmp_path: Path, sqlite_engine: Engine, clock: list[datetime]
) -> None:
    shots = _screenshots(tmp_path)
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, server.url, "li")
    page.goto(f"{server.url}/worklist")
    top = page.locator("#worklist li.wl-line.s4").first  # the overdue customers, by expected value
    code = _customer_of(top.locator("a.button").first.get_attribute("href"))

    page.goto(f"{server.url}/customers/{code}")
    page.wait_for_selector("#activities")
    if not page.is_visible(".log-form"):
        page.locator("details.log-contact > summary").click()
    page.select_option(".log-form select[name=kind]", "call")
    page.select_option(".log-form select[name=outcome]", "promised")
    page.fill(".log-form textarea[name=note]", "答应三天内先付一百元")
    page.click(".log-form button[type=submit]")
    page.wait_for_selector("#activities p.notice.ok")
    promise_form = page.locator("#promises form.inline-form")
    promise_form.locator("input[name=amount]").fill("100.00")
    promise_form.locator("input[name=by]").fill((AS_OF + timedelta(days=3)).isoformat())
    promise_form.locator("button[type=submit]").click()
    page.wait_for_selector("#promises td:has-text('100.00')")

    page.goto(f"{server.url}/worklist")  # worked today: gone from today's list
    assert code not in page.inner_text("#worklist")

    clock[0] = LATER  # nothing is paid; the night's run decides the promise
    with sqlite_engine.begin() as conn:
        day = LATER.date()
        runs.commit(
            conn, as_of=day, today=day, now=LATER, actor="t", templates_dir=None, gate_templates=False
        )
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(PROMISES.c.status, PROMISES.c.reason)).one() == (
            "broken",
            "promise_broken",
        )

    page.goto(f"{server.url}/worklist")
    first = page.locator("#worklist li.wl-line").first
    assert "s2" in (first.get_attribute("class") or "")
    assert _customer_of(first.locator("a.button").first.get_attribute("href")) == code
    assert "承诺" in first.inner_text()  # "promise … broken", in Li's zh-CN
    page.screenshot(path=str(shots / "web-worklist-promise-broken-zh-CN.png"), full_page=True)
    assert errors == []
