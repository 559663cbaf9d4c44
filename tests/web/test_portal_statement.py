"""The customer's statement in the portal, through a test client at the tests' fixed instant
(2026-03-16): E002's statements of November 2025 (its two invoices issued) and February 2026 are
issued on the morning of the 16th; the customer reads one (it turns viewed), confirms it with a
one-time code (the signature record and a PDF receipt are kept), disputes a line of the other with a
PDF; another customer's statement, a replayed code and a confirmation without a code are refused and
recorded."""

from __future__ import annotations

import json
import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from dunmore.access import audit
from dunmore.access.service import get_user
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.portal import links
from dunmore.settings import CreditorSettings
from dunmore.statements import issue as issuing
from dunmore.statements.models import CONFIRMATIONS, STATEMENT_DISPUTES, STATEMENTS
from dunmore.store.db import transaction
from dunmore.workspace.mail_models import ALERT_MAILS
from dunmore.workspace.models import ACTIVITIES, ALERTS, DISPUTES
from tests.web.conftest import NOW, settings

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
NOVEMBER = (date(2025, 11, 1), date(2025, 11, 30))
FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))


def issue_statements(engine: Engine, customers: list[str]) -> dict[tuple[str, date], int]:
    """November's and February's statements of `customers`, issued by the manager on the 16th:
    (customer, period's first day) → statement id."""
    creditor = CreditorSettings(name="华东贸易有限公司", address=["上海市浦东新区世纪大道 100 号"])
    found: dict[tuple[str, date], int] = {}
    with transaction(engine, write=True) as conn:
        boss = get_user(conn, login="boss")
        for period in (NOVEMBER, FEBRUARY):
            for one in issuing.issue(
                conn,
                user=boss,
                period=period,
                as_of=NOW.date(),
                now=NOW,
                creditor=creditor,
                customers=customers,
            ):
                found[(one.customer, period[0])] = one.statement_id
    return found


def enter(client: TestClient, engine: Engine, customer: str = "E002", statement: int | None = None) -> str:
    """Open a link (naming a statement or not); the portal's CSRF token."""
    with transaction(engine) as conn:
        token = links.make_token(
            conn, settings=settings(), customer=customer, now=NOW, days=7, statement=statement
        )
    page = client.get(f"/portal/l/{token}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def code(client: TestClient, engine: Engine, csrf: str, back: str) -> str:
    page = client.post("/portal/code", data={"csrf_token": csrf, "back": back})
    assert 'data-done="code"' in page.text
    assert str(page.url).endswith(back + "?done=code")
    with transaction(engine) as conn:
        body = conn.execute(
            select(ALERT_MAILS.c.body).order_by(ALERT_MAILS.c.id.desc()).limit(1)
        ).scalar_one()
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    return found.group(1)


def _status(engine: Engine, statement_id: int) -> str:
    with transaction(engine) as conn:
        return str(
            conn.execute(select(STATEMENTS.c.status).where(STATEMENTS.c.id == statement_id)).scalar_one()
        )


def _audited(engine: Engine, action: str) -> list[dict[str, object]]:
    with transaction(engine) as conn:
        rows = audit.list_rows(conn)
    return [json.loads(row.after or "{}") for row in rows if row.action == action]


def _confirm(client: TestClient, statement_id: int, csrf: str, code: str) -> str:
    data = {"csrf_token": csrf, "code": code, "name": "王芳", "title": "财务经理"}
    return client.post(f"/portal/statements/{statement_id}/confirm", data=data).text


def test_reading_confirming_and_the_receipt(client: TestClient, ledger: Engine) -> None:
    ids = issue_statements(ledger, ["E002"])
    november = ids[("E002", NOVEMBER[0])]
    csrf = enter(client, ledger, statement=november)  # the link names the statement: it opens there
    page = client.get(f"/portal/statements/{november}").text
    assert 'data-status="viewed"' in page
    assert "INV-E2" in page
    assert "INV-E3" in page
    assert "¥200,000.00" in page  # the closing balance
    assert "<script" not in page
    assert _status(ledger, november) == "viewed"
    assert _audited(ledger, "statement.view") == [{"status": "viewed"}]

    back = f"/portal/statements/{november}"
    done = _confirm(client, november, csrf, code(client, ledger, csrf, back))
    assert 'data-done="confirm"' in done
    assert "王芳" in done
    assert "财务经理" in done
    assert _status(ledger, november) == "confirmed"
    with transaction(ledger) as conn:
        signed = conn.execute(select(CONFIRMATIONS)).one()
        sha = conn.execute(select(STATEMENTS.c.content_sha256).where(STATEMENTS.c.id == november)).scalar()
        customer_id = conn.execute(select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == "E002")).scalar()
        notes = list(
            conn.execute(select(ACTIVITIES.c.note).where(ACTIVITIES.c.customer_id == customer_id)).scalars()
        )
        alerts = list(conn.execute(select(ALERTS.c.kind, ALERTS.c.params)).all())
    assert (signed.name, signed.title, signed.statement_sha256) == ("王芳", "财务经理", sha)
    assert signed.ip == "testclient"
    assert signed.at == signed.code_verified_at
    assert any("confirms statement" in note for note in notes)
    assert any(kind == "portal_request" and "statement_confirm" in str(params) for kind, params in alerts)
    receipt = client.get(f"/portal/statements/{november}/pdf?receipt=true")
    assert receipt.status_code == 200
    assert receipt.content.startswith(b"%PDF")
    assert receipt.content == bytes(signed.receipt_pdf)
    issued = client.get(f"/portal/statements/{november}/pdf")
    assert issued.content.startswith(b"%PDF")
    # Answered once: the page offers no second confirmation, a second one is refused.
    page = client.get(f"/portal/statements/{november}").text
    assert 'id="confirm"' not in page
    again = _confirm(client, november, csrf, code(client, ledger, csrf, back))
    assert 'data-problem="refused"' in again
    with transaction(ledger) as conn:
        assert len(conn.execute(select(CONFIRMATIONS)).all()) == 1


def test_disputing_a_line_with_a_pdf(client: TestClient, ledger: Engine) -> None:
    ids = issue_statements(ledger, ["E002"])
    february = ids[("E002", FEBRUARY[0])]
    csrf = enter(client, ledger)
    listed = client.get("/portal").text
    assert f'data-statement="{february}"' in listed
    assert client.get("/portal/statements", follow_redirects=False).headers["location"] == (
        f"/portal/statements/{february}"  # the newest
    )
    where = f"/portal/statements/{february}/dispute"
    form = client.get(where).text
    item = re.search(
        r'data-item="INV-E2">\s*<legend><label class="p-check">'
        r'<input type="checkbox" name="line" value="(\d+)"',
        form,
    )
    assert item is not None
    line = item.group(1)
    data = {
        "csrf_token": csrf,
        "code": code(client, ledger, csrf, where),
        "line": line,
        f"amount-{line}": "20000.00",
        f"reason-{line}": "quantity",
        f"comment-{line}": "少收到 20 件",
    }
    page = client.post(where, data=data, files={"file": ("note.pdf", PDF, "application/pdf")})
    assert 'data-done="dispute"' in page.text
    assert str(page.url).endswith(f"/portal/statements/{february}?done=dispute")
    assert 'data-status="disputed"' in page.text
    with transaction(ledger) as conn:
        dispute = conn.execute(select(DISPUTES.c.opened_by, DISPUTES.c.amount_minor, DISPUTES.c.reason)).one()
        linked = conn.execute(select(STATEMENT_DISPUTES.c.statement_id)).scalar_one()
    assert tuple(dispute) == ("portal:E002", 2_000_000, "quantity")
    assert linked == february


def test_a_line_without_amount_and_an_executable_are_refused(client: TestClient, ledger: Engine) -> None:
    ids = issue_statements(ledger, ["E002"])
    february = ids[("E002", FEBRUARY[0])]
    csrf = enter(client, ledger)
    where = f"/portal/statements/{february}/dispute"
    line = re.findall(r'name="line" value="(\d+)"', client.get(where).text)[0]
    base = {"csrf_token": csrf, "code": "123456", "line": line, f"reason-{line}": "price"}
    page = client.post(where, data=base | {f"amount-{line}": "0"})
    assert 'data-problem="amount"' not in page.text
    assert 'data-problem="refused"' in page.text or 'data-problem="no_lines"' in page.text
    exe = ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf")
    page = client.post(where, data=base | {f"amount-{line}": "1.00"}, files={"file": exe})
    assert 'data-problem="upload_type"' in page.text
    with transaction(ledger) as conn:
        assert conn.execute(select(DISPUTES.c.id)).first() is None
    assert _status(ledger, february) == "viewed"


def test_another_customers_statement_is_refused_and_recorded(client: TestClient, ledger: Engine) -> None:
    ids = issue_statements(ledger, ["E002", "W001"])
    theirs = ids[("W001", NOVEMBER[0])]
    csrf = enter(client, ledger)
    for path in (
        f"/portal/statements/{theirs}",
        f"/portal/statements/{theirs}/dispute",
        f"/portal/statements/{theirs}/pdf",
        f"/portal/statements/{theirs}/receipt",
    ):
        page = client.get(path)
        assert page.status_code == 404
        assert 'data-why="not_found"' in page.text
        assert "西部" not in page.text
        assert "INV-W1" not in page.text
    done = _confirm(client, theirs, csrf, code(client, ledger, csrf, "/portal"))
    assert 'data-why="not_found"' in done
    assert _status(ledger, theirs) == "sent"  # not even viewed
    with transaction(ledger) as conn:
        assert conn.execute(select(CONFIRMATIONS)).first() is None
    refused = _audited(ledger, "portal.refused")
    assert sum(1 for row in refused if row["detail"] == f"statement {theirs}") == 4
    # The code was not spent by the refused confirmation: it still confirms the customer's own.
    mine = ids[("E002", NOVEMBER[0])]
    with transaction(ledger) as conn:
        body = conn.execute(
            select(ALERT_MAILS.c.body).order_by(ALERT_MAILS.c.id.desc()).limit(1)
        ).scalar_one()
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    assert 'data-done="confirm"' in _confirm(client, mine, csrf, found.group(1))
    # W001's item named as a line of E002's February statement: refused, recorded, nothing disputed.
    february = ids[("E002", FEBRUARY[0])]
    with transaction(ledger) as conn:
        w1 = conn.execute(select(INVOICES.c.id).where(INVOICES.c.external_id == "INV-W1")).scalar_one()
    where = f"/portal/statements/{february}/dispute"
    data = {"csrf_token": csrf, "code": code(client, ledger, csrf, where), "line": str(w1)}
    page = client.post(where, data=data | {f"amount-{w1}": "1.00", f"reason-{w1}": "price"})
    assert 'data-problem="refused"' in page.text
    assert "西部" not in page.text
    assert "INV-W1" not in page.text
    with transaction(ledger) as conn:
        assert conn.execute(select(DISPUTES.c.id)).first() is None
    refused = _audited(ledger, "portal.refused")
    assert any(f"item {w1} is not an open item" in str(row["detail"]) for row in refused)


def test_a_replayed_code_and_no_code_are_refused(client: TestClient, ledger: Engine) -> None:
    ids = issue_statements(ledger, ["E002"])
    november, february = ids[("E002", NOVEMBER[0])], ids[("E002", FEBRUARY[0])]
    csrf = enter(client, ledger)
    used = code(client, ledger, csrf, f"/portal/statements/{november}")
    assert 'data-done="confirm"' in _confirm(client, november, csrf, used)
    replayed = _confirm(client, february, csrf, used)
    assert 'data-problem="code_replayed"' in replayed
    assert 'data-problem="code_wrong"' in _confirm(client, february, csrf, "")
    assert _status(ledger, february) == "viewed"  # read on the way back, not confirmed
    reasons = [row["reason"] for row in _audited(ledger, "portal.refused")]
    assert {"code_replayed", "code_wrong"} <= set(reasons)


def test_the_statement_in_three_languages(client: TestClient, ledger: Engine) -> None:
    ids = issue_statements(ledger, ["E002"])
    november = ids[("E002", NOVEMBER[0])]
    csrf = enter(client, ledger)
    back = f"/portal/statements/{november}"
    for language, words in (("en", "Closing balance"), ("zh-TW", "期末餘額"), ("zh-CN", "期末余额")):
        page = client.post("/portal/language", data={"csrf_token": csrf, "to": language, "back": back})
        assert str(page.url).endswith(back)
        assert f'<html lang="{language}">' in page.text
        assert words in page.text
