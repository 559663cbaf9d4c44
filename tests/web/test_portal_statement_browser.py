"""The statement in the portal in a real browser, on a phone (375 × 812) and on a desktop: on
2026-03-16 E002 opens the portal link of the e-mail of its November statement (sent by the delivery
worker to the test SMTP server), asks for a one-time code (read from there too, where the staff mail
outbox sends it), confirms the statement with its name and title and gets the receipt; then
disputes INV-E2 on its February statement with a PDF attached. The manager then sees November
confirmed and February disputed on the customer's page, both answers on its timeline (the file on
the dispute's note), and the customer on the worklist. At phone width the statement, the receipt
and the dispute form are shot in zh-CN, zh-TW and en (into `DUNMORE_WEB_SCREENSHOTS`, docs/samples
when the README's pictures are remade)."""

# The fixtures are imported from their modules and named as test parameters, which F811 reports.

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, select

from dunmore import i18n
from dunmore.delivery.channels.email import SmtpChannel
from dunmore.delivery.render import Templates
from dunmore.delivery.worker import Outlets, Worker
from dunmore.statements.models import STATEMENTS
from dunmore.store.db import transaction
from dunmore.web.app import create_app
from dunmore.workspace.models import DISPUTES
from dunmore.workspace.staff_mail import From, send_due
from tests.support.smtp import SmtpServer, smtp_server
from tests.web.conftest import NOW, PASSWORD, fill_ledger, settings
from tests.web.live import serving
from tests.web.test_browser import _screenshots
from tests.web.test_portal_statement import FEBRUARY, NOVEMBER, issue_statements

__all__ = ["smtp_server"]
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
SCREENS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}
SWITCH = {"zh-CN": "简体", "zh-TW": "繁體", "en": "EN"}


@dataclass(frozen=True)
class Portal:
    url: str
    engine: Engine
    statements: dict[str, int]


@pytest.fixture
def portal(sqlite_engine: Engine) -> Iterator[Portal]:
    fill_ledger(sqlite_engine)
    ids = issue_statements(sqlite_engine, ["E002"])
    found = {"november": ids[("E002", NOVEMBER[0])], "february": ids[("E002", FEBRUARY[0])]}
    with serving(create_app(sqlite_engine, settings(), clock=lambda: NOW)) as url:
        yield Portal(url, sqlite_engine, found)


def _statement_link(portal: Portal, server: SmtpServer, period: str) -> str:
    """The worker sends the issued statements; the portal link in the e-mail of the one of `period`."""
    configured = settings()
    configured.delivery.portal_url = f"{portal.url}/portal/l/{{token}}"
    outlets = Outlets(email=lambda: SmtpChannel(server.config()))
    Worker(portal.engine, configured, templates=Templates(), outlets=outlets, clock=lambda: NOW).run(
        drain=True
    )
    mail = next(m.message for m in server.messages if period in str(m.message["Subject"]))
    assert "ar@e002.example" in str(mail["To"])
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(re.escape(portal.url) + r"/portal/l/\S+", str(text.get_content()))
    assert found is not None, "the statement's e-mail carries no portal link"
    return found.group(0)


def _open(browser: Browser, screen: str, errors: list[str]) -> Page:
    page = browser.new_page(viewport=SCREENS[screen], locale="zh-CN", device_scale_factor=2)  # type: ignore[arg-type]
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
    assert "ar@e002.example" in str(mail["To"])
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    found = re.search(r"\b(\d{6})\b", str(part.get_content()))
    assert found is not None
    return found.group(1)


def _shoot(page: Page, shots: Path | None, name: str) -> None:
    """The page in the three languages (the switch on the page), back in zh-CN at the end."""
    if shots is None:
        return
    for language in ("zh-TW", "en", "zh-CN"):
        page.get_by_role("button", name=SWITCH[language]).click()
        page.wait_for_selector(f'html[lang="{language}"]')
        # the new page's element is there before its style sheet: measured then, unstyled, it was
        # 574 px wide in one run
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
        page.screenshot(path=str(shots / f"portal-{name}-phone-{language}.png"), full_page=True)


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_a_customer_confirms_one_statement_and_disputes_a_line_of_another(
    portal: Portal, browser: Browser, smtp_server: SmtpServer, tmp_path: Path, screen: str
) -> None:
    errors: list[str] = []
    shots = _screenshots(tmp_path) if screen == "phone" else None
    november, february = portal.statements["november"], portal.statements["february"]
    page = _open(browser, screen, errors)
    page.goto(_statement_link(portal, smtp_server, "2025-11-01"))
    assert page.url.endswith(f"/portal/statements/{november}")  # the link's statement, the token gone
    assert page.locator('[data-status="viewed"]').count() == 1
    assert "INV-E3" in page.locator("#statement ~ section").first.inner_text()

    code = _code(page, portal, smtp_server)
    form = page.locator("form#confirm")
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=name]").fill("王芳")
    form.locator("input[name=title]").fill("财务经理")
    form.locator("button[type=submit]").click()
    page.wait_for_selector('[data-done="confirm"]')
    assert "王芳" in page.locator("#receipt").inner_text()
    with page.expect_download() as download:
        page.locator(f'a[href="/portal/statements/{november}/pdf?receipt=true"]').click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    _shoot(page, shots, "receipt")

    page.goto(f"{portal.url}/portal/statements/{february}")
    _shoot(page, shots, "statement")
    page.locator(f'a[href="/portal/statements/{february}/dispute"]').click()
    page.wait_for_selector("form#dispute")
    _shoot(page, shots, "dispute")
    code = _code(page, portal, smtp_server)
    note = tmp_path / "delivery-note.pdf"
    note.write_bytes(PDF)
    line = page.locator('form#dispute fieldset[data-item="INV-E2"]')
    line.locator("input[name=line]").check()
    line.locator("input[name^=amount]").fill("20000.00")
    line.locator("select[name^=reason]").select_option("quantity")
    line.locator("textarea[name^=comment]").fill("少收到 20 件")
    form = page.locator("form#dispute")
    form.locator("input[name=file]").set_input_files(str(note))
    form.locator("input[name=code]").fill(code)
    form.locator("button[type=submit]").click()
    page.wait_for_selector('[data-done="dispute"]')
    assert page.locator('[data-status="disputed"]').count() == 1
    with transaction(portal.engine) as conn:
        assert conn.execute(select(DISPUTES.c.opened_by, DISPUTES.c.amount_minor)).one() == (
            "portal:E002",
            2_000_000,
        )
        states = dict(conn.execute(select(STATEMENTS.c.id, STATEMENTS.c.status)).all())
    assert states == {november: "confirmed", february: "disputed"}
    assert errors == []

    staff = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    staff.goto(f"{portal.url}/")
    staff.fill("input[name=login]", "boss")
    staff.fill("input[name=password]", PASSWORD)
    staff.click("form.stack button[type=submit]")
    staff.wait_for_url(f"{portal.url}/")
    staff.goto(f"{portal.url}/customers/E002")
    rows = staff.locator("#statement-rows tbody tr")
    rows.first.wait_for()
    shown = {row.locator("td").first.inner_text(): row.inner_text() for row in rows.all()}
    assert i18n.translate("zh-CN", "Confirmed") in shown[str(november)]
    assert "有争议" in shown[str(february)]  # the status, not the amount column's 争议金额
    timeline = staff.locator("#activities table.timeline tbody")
    notes = " ".join(timeline.locator("tr.ev-activity").all_inner_texts())
    assert f"confirms statement {november}" in notes
    assert f"disputes lines of statement {february}" in notes
    assert "delivery-note.pdf" in notes
    assert "portal:E002" in timeline.locator("tr.ev-dispute").first.inner_text()
    staff.goto(f"{portal.url}/worklist")
    assert staff.locator("#worklist li", has_text="E002").count() == 1
