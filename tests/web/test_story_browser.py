"""A collector logs contacts on the customer page in Chromium (htmx, multipart, under the CSP): a call
nobody answers, then a call where the customer gives a cash-flow difficulty, with a photo of the
signed delivery note. The timeline grows without a reload, the latest reason shows near the top, and
the page reads in zh-CN, zh-TW and English. Screenshots go where tests/web/test_browser.py puts them
(`web-customer-timeline-<language>.png`)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, FilePayload

from tests.web.test_browser import Server, _page, _screenshots, _sign_in, server

__all__ = ["server"]  # the fixture, used by name
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HEADINGS = {"zh-CN": "联系记录与时间线", "zh-TW": "聯絡紀錄與時間軸", "en": "Contacts and timeline"}
REASONS = {"zh-CN": "资金周转困难", "zh-TW": "資金周轉困難", "en": "Cash-flow difficulty"}


def test_a_collector_logs_two_calls_and_reads_the_timeline_in_three_languages(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    shots = _screenshots(tmp_path)
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, server.url, "li")
    page.goto(f"{server.url}/customers")
    page.locator("#customers tbody tr td.mono a").first.click()
    page.wait_for_selector("#activities")
    rows = page.locator("#activities table.timeline tbody tr").count()
    if not page.is_visible(".log-form"):
        page.locator("details.log-contact > summary").click()
    page.select_option(".log-form select[name=kind]", "call")
    page.select_option(".log-form select[name=channel]", "phone")
    page.select_option(".log-form select[name=outcome]", "no_answer")
    page.click(".log-form button[type=submit]")
    page.wait_for_selector("#activities p.notice.ok")
    assert page.locator("#activities table.timeline tbody tr").count() == rows + 1
    if not page.is_visible(".log-form"):
        page.locator("details.log-contact > summary").click()
    page.select_option(".log-form select[name=outcome]", "reached")
    page.select_option(".log-form select[name=reason]", "cash_flow")
    page.fill(".log-form textarea[name=note]", "月底资金紧张，答应 3 月 25 日前先付一半。")
    photo = FilePayload(name="送货单.png", mimeType="image/png", buffer=PNG)
    page.set_input_files(".log-form input[name=files]", files=[photo])
    page.click(".log-form button[type=submit]")
    page.wait_for_selector("#activities table.timeline a[href*='/attachments/']")
    assert page.locator("#activities table.timeline tbody tr").count() == rows + 2
    for language in ("zh-CN", "zh-TW", "en"):
        if language != "zh-CN":
            page.click(f"form.langs button[value={language}]")
            page.wait_for_selector(f"html[lang='{language}']")
        assert page.inner_text("#activities h2") == HEADINGS[language]
        assert REASONS[language] in page.inner_text("#activities .latest-reason")
        page.screenshot(path=str(shots / f"web-customer-timeline-{language}.png"), full_page=True)
    assert errors == []
