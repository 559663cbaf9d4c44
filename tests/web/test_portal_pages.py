"""The portal's pages and their refusals, through a test client at the tests' fixed instant: each
refusal is the polite page (nothing of any customer on it) and a row in the audit log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from dunmore.access import audit
from dunmore.ledger.models import INVOICES
from dunmore.portal import links
from dunmore.store.db import transaction
from dunmore.workspace.mail_models import ALERT_MAILS
from dunmore.workspace.models import DISPUTES, PROMISES
from tests.web.conftest import NOW, settings

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _token(engine: Engine, customer: str = "E002", days: int = 7) -> str:
    with transaction(engine) as conn:
        return links.make_token(conn, settings=settings(), customer=customer, now=NOW, days=days)


def _enter(client: TestClient, engine: Engine, customer: str = "E002") -> str:
    """Open a link; the portal's CSRF token."""
    page = client.get(f"/portal/l/{_token(engine, customer)}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _code(client: TestClient, engine: Engine, csrf: str) -> str:
    assert client.post("/portal/code", data={"csrf_token": csrf}).status_code == 200
    with transaction(engine) as conn:
        body = conn.execute(
            select(ALERT_MAILS.c.body).order_by(ALERT_MAILS.c.id.desc()).limit(1)
        ).scalar_one()
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    return found.group(1)


def _refusals(engine: Engine) -> list[str]:
    with transaction(engine) as conn:
        rows = audit.list_rows(conn)
    return [json.loads(row.after or "{}")["reason"] for row in rows if row.action == "portal.refused"]


def _dispute(
    client: TestClient,
    csrf: str,
    code: str,
    invoice: str = "INV-E2",
    file: tuple[str, bytes, str] | None = None,
) -> str:
    data = {
        "csrf_token": csrf,
        "code": code,
        "invoice": invoice,
        "amount": "100.00",
        "reason": "price",
        "comment": "wrong price",
    }
    files = {"file": file} if file else None
    return client.post("/portal/dispute", data=data, files=files).text


def _disputes(engine: Engine) -> int:
    with transaction(engine) as conn:
        return len(conn.execute(select(DISPUTES.c.id)).all())


def test_the_overview_shows_the_customers_items_only(client: TestClient, ledger: Engine) -> None:
    _enter(client, ledger)
    page = client.get("/portal").text
    assert "INV-E2" in page
    assert "INV-E3" in page
    assert "华东物流" in page
    assert "INV-E1" not in page
    assert "INV-W1" not in page
    assert "<script" not in page
    assert "http://" not in page.replace("http://testserver", "")


def test_a_dispute_with_a_pdf_and_a_promise(client: TestClient, ledger: Engine) -> None:
    csrf = _enter(client, ledger)
    page = _dispute(client, csrf, _code(client, ledger, csrf), file=("note.pdf", PDF, "application/pdf"))
    assert 'data-done="dispute"' in page
    data = {
        "csrf_token": csrf,
        "code": _code(client, ledger, csrf),
        "amount": "500.00",
        "by": (NOW.date() + timedelta(days=10)).isoformat(),
        "currency": "CNY",
    }
    assert 'data-done="promise"' in client.post("/portal/promise", data=data).text
    with transaction(ledger) as conn:
        assert conn.execute(select(PROMISES.c.actor)).scalar_one() == "portal:E002"
    assert _disputes(ledger) == 1


def test_expired_and_changed_links_are_refused_politely(client: TestClient, ledger: Engine) -> None:
    token = _token(ledger, days=1)
    with transaction(ledger) as conn:
        expired = links.make_token(
            conn, settings=settings(), customer="E002", now=NOW - timedelta(days=2), days=1
        )
    page = client.get(f"/portal/l/{expired}")
    assert page.status_code == 410
    assert 'data-why="expired"' in page.text
    assert "INV-E2" not in page.text
    changed = token[:10] + ("x" if token[10] != "x" else "y") + token[11:]
    page = client.get(f"/portal/l/{changed}")
    assert page.status_code == 404
    assert 'data-why="tampered"' in page.text
    assert "华东" not in page.text
    assert client.get("/portal").status_code == 404  # no session: nothing to show
    assert {"expired", "tampered", "missing"} <= set(_refusals(ledger))


def test_another_customers_invoice_is_refused(client: TestClient, ledger: Engine) -> None:
    csrf = _enter(client, ledger)
    page = _dispute(client, csrf, _code(client, ledger, csrf), invoice="INV-W1")
    assert 'data-why="not_found"' in page
    assert "西部" not in page
    assert _disputes(ledger) == 0
    assert "not_found" in _refusals(ledger)
    assert client.get("/portal/notices/1").status_code == 404


def test_a_replayed_code_is_refused(client: TestClient, ledger: Engine) -> None:
    csrf = _enter(client, ledger)
    code = _code(client, ledger, csrf)
    assert 'data-done="dispute"' in _dispute(client, csrf, code)
    assert 'data-problem="code_replayed"' in _dispute(client, csrf, code)
    assert _disputes(ledger) == 1
    assert "code_replayed" in _refusals(ledger)


def test_six_wrong_codes_lock_the_link(client: TestClient, ledger: Engine) -> None:
    csrf = _enter(client, ledger)
    _code(client, ledger, csrf)
    pages = [_dispute(client, csrf, "999999x") for _ in range(6)]
    assert all('data-problem="code_wrong"' in page for page in pages[:4])
    assert 'data-why="locked"' in pages[4]
    assert 'data-why="csrf"' in pages[5]  # the withdrawn link's session is gone
    assert _disputes(ledger) == 0
    assert _refusals(ledger).count("code_wrong") == 5
    assert "locked" in _refusals(ledger)
    assert "INV-E2" not in pages[4] + pages[5]


def test_an_executable_named_pdf_and_an_oversize_file(client: TestClient, ledger: Engine) -> None:
    csrf = _enter(client, ledger)
    code = _code(client, ledger, csrf)
    page = _dispute(client, csrf, code, file=("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf"))
    assert 'data-problem="upload_type"' in page
    page = _dispute(client, csrf, code, file=("big.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf"))
    assert 'data-problem="upload_size"' in page
    assert _disputes(ledger) == 0
    assert {"upload_type", "upload_size"} <= set(_refusals(ledger))


def test_a_cross_site_post_is_refused(client: TestClient, ledger: Engine) -> None:
    csrf = _enter(client, ledger)
    code = _code(client, ledger, csrf)
    page = _dispute(client, "forged", code)
    assert 'data-why="csrf"' in page
    assert "INV-E2" not in page
    assert _disputes(ledger) == 0
    assert "csrf" in _refusals(ledger)
    with transaction(ledger) as conn:
        assert (
            conn.execute(
                select(INVOICES.c.disputed_minor).where(INVOICES.c.external_id == "INV-E2")
            ).scalar_one()
            == 0
        )


def test_the_language_switch(client: TestClient, ledger: Engine) -> None:
    csrf = _enter(client, ledger)
    page = client.post("/portal/language", data={"csrf_token": csrf, "to": "en"}).text
    assert '<html lang="en">' in page
    assert "Open items" in page
    page = client.post("/portal/language", data={"csrf_token": csrf, "to": "zh-TW"}).text
    assert '<html lang="zh-TW">' in page


def test_a_50_mb_upload_is_refused_unread(client: TestClient, ledger: Engine) -> None:
    """Both dispute forms refuse a body announcing 50 MB before reading any of it: the client's
    body is a generator that counts what the server pulled."""
    _enter(client, ledger)  # the customer's session: the refusals are recorded as E002's
    pulled: list[int] = []
    chunk = b"0" * (1024 * 1024)

    def body() -> Iterator[bytes]:
        for _ in range(50):
            pulled.append(len(chunk))
            yield chunk

    size = str(50 * len(chunk))
    headers = {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": size}
    for path in ("/portal/dispute", "/portal/statements/1/dispute"):
        page = client.post(path, content=body(), headers=headers, follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].endswith("?problem=upload_size")
    assert pulled == []
    with transaction(ledger) as conn:
        rows = [row for row in audit.list_rows(conn) if row.action == "portal.refused"]
    assert [row.actor for row in rows if "upload_size" in (row.after or "")] == ["portal:E002"] * 2
    assert _disputes(ledger) == 0


def test_every_form_refuses_a_cross_site_post(client: TestClient, ledger: Engine) -> None:
    """A post without the session's CSRF token, to any form of the portal, is refused (403) and
    recorded, and says nothing of the customer."""
    _enter(client, ledger)
    forms = ["code", "dispute", "promise", "plan", "language", "statements/1/confirm", "statements/1/dispute"]
    for form in forms:
        page = client.post(f"/portal/{form}", data={"csrf_token": "forged", "code": "123456"})
        assert page.status_code == 403, form
        assert 'data-why="csrf"' in page.text
        assert "华东" not in page.text
    assert _refusals(ledger).count("csrf") == len(forms)
