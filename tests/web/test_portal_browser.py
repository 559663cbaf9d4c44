"""The portal in a real browser on a phone's screen (375 × 812), as the customer meets it, once in
zh-TW and once in English (E002's language in turn): on 2026-03-16 the run sends E002 (collector ann
owns it) its first overdue notice for INV-E2; the customer opens the portal link of that e-mail (read
from the test SMTP server, where the delivery worker sent it), asks for a one-time code (read from
there too: the staff mail outbox sends it), disputes 20,000.00 of INV-E2 with a PDF attached, then
promises to pay 100,000.00 by 2026-03-31. Ann then finds E002 on her worklist, both requests in her
alerts, and each event on the customer's timeline. The promise is not kept: the run of 2026-04-10
raises INV-E2 to the second level for the 100,000.00 not in dispute only, and INV-E3 (due
2026-04-01) to the first."""

# The fixtures are imported from their modules and named as test parameters, which F811 reports.

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Connection, Engine, select, update

from dunmore import i18n
from dunmore.access import audit
from dunmore.cli.demo_run import EXAMPLE_POLICY
from dunmore.delivery.channels.email import SmtpChannel
from dunmore.delivery.channels.fake import FakeSmsGateway
from dunmore.delivery.render import Templates
from dunmore.delivery.worker import Outlets, Worker
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.run import service as runs
from dunmore.run.models import NOTICE_ITEMS, NOTICES
from dunmore.store.db import transaction
from dunmore.web.app import create_app
from dunmore.workspace.models import DISPUTES, PROMISES
from dunmore.workspace.staff_mail import From, send_due
from tests.support.smtp import SmtpServer, smtp_server
from tests.web.conftest import NOW, fill_ledger, settings
from tests.web.live import serving
from tests.web.test_browser import _screenshots, _sign_in

__all__ = ["smtp_server"]
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
LANGUAGES = ["zh-TW", "en"]  # E002's, in turn: the notice, the portal and the code's mail are in it
NEXT_RUN = date(2026, 4, 10)


@dataclass(frozen=True)
class Portal:
    url: str
    engine: Engine
    language: str


@pytest.fixture(params=LANGUAGES)
def portal(sqlite_engine: Engine, request: pytest.FixtureRequest) -> Iterator[Portal]:
    """The tests' ledger with the example policy, E002 owned by ann and read in zh-TW (or English),
    and the run of 2026-03-16 committed (its notices in the outbox); the application served."""
    language = str(request.param)
    fill_ledger(sqlite_engine)
    with transaction(sqlite_engine, write=True) as conn:
        runs.load_policy(conn, EXAMPLE_POLICY, now=NOW, actor="t")
        c = CUSTOMERS.c
        conn.execute(update(CUSTOMERS).where(c.external_id == "E002").values(owner="ann", language=language))
        _run(conn, NOW.date(), NOW)
    with serving(create_app(sqlite_engine, settings(), clock=lambda: NOW)) as url:
        yield Portal(url, sqlite_engine, language)


def _run(conn: Connection, as_of: date, now: datetime) -> int:
    outcome = runs.commit(
        conn,
        as_of=as_of,
        today=as_of,
        now=now,
        actor="t",
        templates_dir=None,
        gate_templates=False,
    )
    return int(outcome.run_id or 0)


def _notice_link(portal: Portal, server: SmtpServer) -> str:
    """The worker sends the run's notices; the portal link in E002's e-mail (signed for the notice)."""
    configured = settings()
    configured.delivery.portal_url = f"{portal.url}/portal/l/{{token}}"
    outlets = Outlets(email=lambda: SmtpChannel(server.config()), sms=FakeSmsGateway())
    Worker(portal.engine, configured, templates=Templates(), outlets=outlets, clock=lambda: NOW).run(
        drain=True
    )
    mail = next(m.message for m in server.messages if "ar@e002.example" in str(m.message["To"]))
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(re.escape(portal.url) + r"/portal/l/\S+", str(text.get_content()))
    assert found is not None, "the notice carries no portal link"
    return found.group(0)


def _phone(browser: Browser, errors: list[str], language: str) -> Page:
    page = browser.new_page(viewport={"width": 375, "height": 812}, locale=language, device_scale_factor=2)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def _code(page: Page, portal: Portal, server: SmtpServer) -> str:
    """Ask for a code, let the outbox send it, read it from the mail that arrived."""
    before = len(server.messages)
    page.get_by_role("button", name=i18n.translate(portal.language, "Send me a code")).click()
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


def _only_its_own_notices(page: Page, portal: Portal) -> None:
    """The customer downloads its notice; W001's, its number put in the URL, is not found (recorded)."""
    n, c = NOTICES.c, CUSTOMERS.c
    with transaction(portal.engine) as conn:
        found = dict(conn.execute(select(c.external_id, n.id).join(CUSTOMERS, c.id == n.customer_id)).all())
    own = page.request.get(f"{portal.url}/portal/notices/{found['E002']}")
    assert own.status == 200
    assert "INV-E2" in own.text()
    theirs = page.request.get(f"{portal.url}/portal/notices/{found['W001']}")
    assert theirs.status == 404
    assert "INV-W1" not in theirs.text()
    assert "西部" not in theirs.text()
    with transaction(portal.engine) as conn:
        refused = [row.after or "" for row in audit.list_rows(conn) if row.action == "portal.refused"]
    assert any(f"notice {found['W001']}" in row for row in refused)


def _ann_sees_each_event(browser: Browser, portal: Portal) -> None:
    """The worklist lists E002, the alerts say the dispute and the promise, the timeline each event."""
    staff = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _sign_in(staff, portal.url, "ann")
    staff.goto(f"{portal.url}/worklist")  # where a collector lands
    assert staff.locator("#worklist li", has_text="E002").count() == 1
    staff.goto(f"{portal.url}/alerts")
    alerts = staff.locator("#alerts tbody").inner_text()
    assert "华东物流" in alerts
    assert len(staff.locator("#alerts tbody tr", has_text="华东物流").all()) >= 2  # the dispute, the promise
    staff.goto(f"{portal.url}/customers/E002")
    timeline = staff.locator("#activities table.timeline tbody")
    timeline.locator("tr").first.wait_for()
    rows = {kind: timeline.locator(f"tr.ev-{kind}") for kind in ("notice", "dispute", "promise", "activity")}
    assert rows["notice"].count() == 1  # the notice whose link the customer opened
    assert "portal:E002" in rows["dispute"].first.inner_text()
    assert "20,000.00" in rows["dispute"].first.inner_text()
    assert "portal:E002" in rows["promise"].first.inner_text()
    notes = " ".join(rows["activity"].all_inner_texts())
    assert "delivery-note.pdf" in notes  # the file, kept on the portal's note of the dispute
    staff.close()


def test_a_customer_disputes_with_a_pdf_and_promises_on_a_phone(
    portal: Portal, browser: Browser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    errors: list[str] = []
    shots = _screenshots(tmp_path)
    link = _notice_link(portal, smtp_server)
    page = _phone(browser, errors, portal.language)
    page.goto(link)
    assert page.url.endswith("/portal")
    page.wait_for_selector(f'html[lang="{portal.language}"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    page.screenshot(path=str(shots / f"portal-phone-{portal.language}.png"), full_page=True)

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
    page.screenshot(path=str(shots / f"portal-phone-done-{portal.language}.png"), full_page=True)
    with transaction(portal.engine) as conn:
        assert conn.execute(select(DISPUTES.c.opened_by)).scalar_one() == "portal:E002"
        assert conn.execute(select(PROMISES.c.due_on)).scalar_one().isoformat() == "2026-03-31"
    assert errors == []
    _only_its_own_notices(page, portal)

    _ann_sees_each_event(browser, portal)

    with transaction(portal.engine, write=True) as conn:
        run = _run(conn, NEXT_RUN, datetime(2026, 4, 10, 2, 0, tzinfo=UTC))
        n, i = NOTICE_ITEMS.c, INVOICES.c
        items = conn.execute(
            select(i.external_id, n.level, n.open_minor)
            .join(NOTICE_ITEMS, n.item_id == i.id)
            .join(NOTICES, NOTICES.c.id == n.notice_id)
            .where(NOTICES.c.run_id == run, i.external_id.in_(["INV-E2", "INV-E3"]))
        ).all()
    # INV-E2 (40 days overdue) rises one level for what is not in dispute: 120,000.00 − 20,000.00.
    assert sorted(items) == [("INV-E2", 2, 100_000_00), ("INV-E3", 1, 80_000_00)]
