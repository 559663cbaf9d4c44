"""The portal in a real browser on a phone's screen (375 × 812): the customer opens the link of a
notice, asks for a one-time code (read from the test SMTP server, where the staff mail outbox sends
it), disputes part of an invoice with a PDF attached, then promises to pay the rest on a date."""

# The fixtures are imported from their modules and named as test parameters, which F811 reports.

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, select

from dunmore.delivery.channels.email import SmtpChannel
from dunmore.portal import links
from dunmore.store.db import transaction
from dunmore.web.app import create_app
from dunmore.workspace.models import DISPUTES, PROMISES
from dunmore.workspace.staff_mail import From, send_due
from tests.support.smtp import SmtpServer, smtp_server
from tests.web.conftest import NOW, fill_ledger, settings
from tests.web.live import serving
from tests.web.test_browser import _screenshots, browser

__all__ = ["browser", "smtp_server"]
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Portal:
    url: str
    engine: Engine


@pytest.fixture
def portal(sqlite_engine: Engine) -> Iterator[Portal]:
    fill_ledger(sqlite_engine)
    with serving(create_app(sqlite_engine, settings(), clock=lambda: NOW)) as url:
        yield Portal(url, sqlite_engine)


def _phone(browser: Browser, errors: list[str]) -> Page:
    page = browser.new_page(viewport={"width": 375, "height": 812}, locale="zh-CN", device_scale_factor=2)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def _code(page: Page, portal: Portal, server: SmtpServer) -> str:
    """Ask for a code, let the outbox send it, read it from the mail that arrived."""
    before = len(server.messages)
    page.get_by_role("button", name="发送验证码").click()
    page.wait_for_selector('[data-done="code"]')
    send_due(
        portal.engine,
        channel=lambda: SmtpChannel(server.config()),
        sender=From("ar@dunmore.test"),
        now=lambda: NOW,
    )
    mail = server.wait_for(before + 1)[-1].message
    assert mail["To"] is not None
    assert "ar@e002.example" in str(mail["To"])
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    found = re.search(r"\b(\d{6})\b", str(part.get_content()))
    assert found is not None
    return found.group(1)


def test_a_customer_disputes_with_a_pdf_and_promises_on_a_phone(
    portal: Portal, browser: Browser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    errors: list[str] = []
    shots = _screenshots(tmp_path)
    with transaction(portal.engine) as conn:
        token = links.make_token(conn, settings=settings(), customer="E002", now=NOW, days=7)
    page = _phone(browser, errors)
    page.goto(f"{portal.url}/portal/l/{token}")
    assert page.url.endswith("/portal")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    page.screenshot(path=str(shots / "portal-phone-zh-CN.png"), full_page=True)

    code = _code(page, portal, smtp_server)
    note = tmp_path / "delivery-note.pdf"
    note.write_bytes(PDF)
    form = page.locator("form#dispute")
    form.locator("select[name=invoice]").select_option("INV-E2")
    form.locator("input[name=amount]").fill("20000.00")
    form.locator("select[name=reason]").select_option("quantity")
    form.locator("textarea[name=comment]").fill("少收到 20 件")
    form.locator("input[name=file]").set_input_files(str(note))
    form.locator("input[name=code]").fill(code)
    form.locator("button[type=submit]").click()
    page.wait_for_selector('[data-done="dispute"]')
    assert "20,000.00" in page.locator('[data-invoice="INV-E2"]').inner_text()  # shown as disputed

    code = _code(page, portal, smtp_server)
    form = page.locator("form#promise")
    form.locator("input[name=amount]").fill("100000.00")
    form.locator("input[name=by]").fill("2026-03-31")
    form.locator("input[name=code]").fill(code)
    form.locator("button[type=submit]").click()
    page.wait_for_selector('[data-done="promise"]')
    page.screenshot(path=str(shots / "portal-phone-done-zh-CN.png"), full_page=True)
    with transaction(portal.engine) as conn:
        assert conn.execute(select(DISPUTES.c.opened_by)).scalar_one() == "portal:E002"
        assert conn.execute(select(PROMISES.c.due_on)).scalar_one().isoformat() == "2026-03-31"
    assert errors == []
