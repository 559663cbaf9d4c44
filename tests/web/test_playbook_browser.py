"""The call playbook beside the call, in a real browser (issue 12, "A playbook for the call"): Li, a
collector, signs in and lands on her worklist, opens the call of the top line and reads the playbook
beside the account's context. She logs the call — the customer is short of cash and promises to pay —
and the answer to "cash-flow difficulty" comes up first at once, with the button to the promise form.
Then she reads the same page in traditional Chinese and in English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine

from tests.web.test_browser import Server, _page, _screenshots, _serve, _sign_in, demo_ledger

LATEST = "#playbook .playbook-answer.latest"


@pytest.fixture
def server(sqlite_engine: Engine) -> Iterator[Server]:
    demo_ledger(sqlite_engine)
    yield from _serve(sqlite_engine)


def test_a_collector_reads_the_playbook_beside_the_call_in_two_languages(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    shots = _screenshots(tmp_path)
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, server.url, "li")
    assert page.url == f"{server.url}/worklist"  # a collector's day starts on the worklist

    page.locator("#worklist li.wl-line a.button[href$='#log']").first.click()
    page.wait_for_selector("#playbook")
    assert "/customers/" in page.url
    assert page.is_visible("#explain")  # the context beside it: explain, open items, promises
    assert page.is_visible("#items")
    others = page.inner_text("#playbook")
    assert "通话应对方案" in others
    assert "分期付款计划" in others  # no reason recorded yet: every answer, unfolded

    if not page.is_visible(".log-form"):
        page.locator("details.log-contact > summary").click()
    page.select_option(".log-form select[name=kind]", "call")
    page.select_option(".log-form select[name=outcome]", "promised")
    page.select_option(".log-form select[name=reason]", "cash_flow")
    page.click(".log-form button[type=submit]")
    page.wait_for_selector(f"{LATEST}[data-reason=cash_flow]")  # the htmx answer, no reload
    assert "资金周转困难" in page.inner_text(LATEST)
    assert "分期付款计划" in page.inner_text(LATEST)
    button = page.get_attribute("#record-next a.button", "href")
    assert button is not None
    assert button.endswith("/promises#new-promise")
    page.screenshot(path=str(shots / "web-playbook-zh-CN.png"), full_page=True)

    for language, label, words in (
        ("zh-TW", "資金周轉困難", "分期付款計畫"),
        ("en", "Cash-flow", "payment plan"),
    ):
        page.click(f"form.langs button[value={language}]")
        page.wait_for_selector(f"html[lang='{language}']")
        latest = page.inner_text(LATEST)
        assert label in latest
        assert words in latest
        page.screenshot(path=str(shots / f"web-playbook-{language}.png"), full_page=True)

    assert errors == []
