"""The deliveries, policy and audit pages in a real browser (headless Debian Chromium, Playwright),
over the demo ledger of tests/web/test_browser.py after the worker's first morning: most e-mails
sent, an SMS confirmed delivered, a few refused for good or out of attempts.

A zh-CN manager filters the dead letters, ticks one and retries it; the page says so, in each of the
three languages. No page logs an error (a CSP violation would) or is wider than a phone.
Screenshots go to $DUNMORE_WEB_SCREENSHOTS when set (docs/samples/ is made so).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser
from sqlalchemy import Engine

from dunmore.delivery import outbox
from dunmore.store.db import transaction
from tests.web.live import follow_menu
from tests.web.test_browser import NOW, Server, _page, _screenshots, _sign_in, server

__all__ = ["server"]  # the fixture, shared with the dashboard's browser test

REFUSED = "550 5.1.1 <ap@{host}>: Recipient address rejected: user unknown in virtual mailbox table"
BUSY = "421 4.7.0 smtp.partner.example: too many connections from your IP; try again later"


def first_morning(engine: Engine) -> None:
    """At 09:00 Shanghai the worker takes the run's deliveries: every tenth e-mail is refused for good,
    every seventh runs out of attempts; texts are sent and the gateway confirms some; the rest is sent."""
    at = NOW + timedelta(hours=1)
    with transaction(engine) as conn:
        claimed = outbox.claim(conn, now=at, worker="worker-1", lease=timedelta(minutes=5), limit=10_000)
        for n, claim in enumerate(claimed):
            if claim.channel == "email" and n % 10 == 3:
                error = REFUSED.format(host=f"c{claim.notice_id:04d}.example.cn")
                outbox.mark_error(conn, claim, error, transient=False, now=at, max_attempts=5,
                                  retry=timedelta(minutes=1))  # fmt: skip
            elif claim.channel == "email" and n % 7 == 5:
                outbox.mark_error(conn, claim, BUSY, transient=True, now=at, max_attempts=1,
                                  retry=timedelta(minutes=1))  # fmt: skip
            elif claim.channel == "sms":
                sent = outbox.Sent(f"+86139{claim.id:08d}", "zh-CN", f"dunmore-{claim.id}", b"text",
                                   "queued", provider_id=f"SM{claim.id:032x}")  # fmt: skip
                outbox.mark_sent(conn, claim, sent, now=at)
                if n % 3:
                    outbox.record_status(conn, f"SM{claim.id:032x}", "delivered", "DELIVRD", now=at)
            elif claim.channel == "email":
                key = f"<dunmore.delivery.{claim.id}@example.com>"
                address = f"ar@c{claim.notice_id:04d}.example.cn"
                sent = outbox.Sent(address, "zh-CN", key, b"mail", "250 2.0.0 Ok: queued")
                outbox.mark_sent(conn, claim, sent, now=at)
            else:
                outbox.defer(conn, claim, until=at + timedelta(hours=2), reason="contact_window",
                             detail="outside the contact window", now=at)  # fmt: skip


def test_a_manager_retries_a_dead_letter_in_three_languages(
    server: Server, browser: Browser, sqlite_engine: Engine, tmp_path: Path
) -> None:
    first_morning(sqlite_engine)
    errors: list[str] = []
    shots = _screenshots(tmp_path)
    page = _page(browser, errors)
    _sign_in(page, server.url, "wang")
    follow_menu(page, "/deliveries")
    assert page.locator("#deliveries tbody tr").count() >= 20
    for language, title in (("zh-CN", "发送队列"), ("zh-TW", "寄送佇列"), ("en", "Deliveries")):
        page.goto(f"{server.url}/deliveries")
        page.click(f"form.langs button[value={language}]")
        page.wait_for_selector(f"html[lang='{language}']")  # the reloaded page, not the old one
        assert page.inner_text("h1") == title
        page.select_option("select[name=status]", "dead_letters")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**/deliveries?status=dead_letters*")
        dead = page.locator("#deliveries tbody tr.dead").count()
        assert dead >= 2
        page.locator("#deliveries input[name=id]").first.check()
        page.click("#retry button.primary")
        page.wait_for_url("**retried=1")
        assert page.locator("#deliveries tbody tr.dead").count() == dead - 1
        assert page.locator("p.notice.ok").count() == 1
        page.goto(f"{server.url}/deliveries")
        page.screenshot(path=str(shots / f"web-deliveries-{language}.png"))
    page.click("#deliveries tbody tr td.num a >> nth=0")
    assert page.locator("#events tbody tr").count() >= 1
    page.goto(f"{server.url}/policies/1")
    assert page.locator("#yaml").inner_text().startswith("policies:")
    page.screenshot(path=str(shots / "web-policy-en.png"), full_page=True)
    page.goto(f"{server.url}/audit")
    page.click("#verify a.button")
    page.wait_for_selector("#verdict")
    assert "holds" in page.inner_text("#verdict")
    page.screenshot(path=str(shots / "web-audit-en.png"))
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    for path in ("/deliveries", "/policies", "/policies/1", "/audit"):
        page.goto(f"{server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert errors == []
