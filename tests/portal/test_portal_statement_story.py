"""A customer answers its statements through the portal's services, as a dated story on SQLite and
PostgreSQL (the web layer only calls these).

On 2026-03-16 at 10:00 (Shanghai) the manager issues the November 2025 and February 2026 statements of
E002 (华东物流, owner ann: INV-E2 120,000.00 CNY and INV-E3 80,000.00) and of W001. E002 opens the
link of its November statement, reads it (viewed, once), confirms it with a code, its name and title
(the signature record and the PDF receipt kept, the code spent, a note on the timeline, the owner
alerted); reading W001's statement is not found and leaves it unread. It then disputes two lines of
February with a PDF (two disputes, as a collector's, the file on the timeline); a second answer to
February and a line above what is open are refused, the code left unspent and nothing written.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, func, select, update

from dunmore.access import audit
from dunmore.errors import DunmoreError, NotFound
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.portal import codes, links, statement
from dunmore.portal.links import Access
from dunmore.portal.models import PORTAL_CODES
from dunmore.statements.models import CONFIRMATIONS, STATEMENT_DISPUTES, STATEMENTS
from dunmore.statements.service import StatementRefused
from dunmore.store.db import transaction
from dunmore.workspace.activities import Upload
from dunmore.workspace.mail_models import ALERT_MAILS
from dunmore.workspace.models import ACTIVITIES, ACTIVITY_ATTACHMENTS, ALERTS, DISPUTES
from tests.web.conftest import fill_ledger, settings
from tests.web.test_portal_statement import NOVEMBER, issue_statements

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
TODAY = NOW.date()
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
SETTINGS = settings()


def _verified(conn: Connection, access: Access, at: datetime) -> int:
    """Send a code, read it from the outbox, verify it: the id of the code to spend."""
    key = links.signing_key(conn, SETTINGS)
    assert key is not None
    codes.send_code(conn, access=access, key=key, now=at)
    body = conn.execute(select(ALERT_MAILS.c.body).order_by(ALERT_MAILS.c.id.desc()).limit(1)).scalar_one()
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    verdict = codes.verify(conn, access=access, key=key, code=found.group(1), now=at)
    assert verdict.code_id is not None
    return verdict.code_id


def _unspent(conn: Connection) -> int:
    query = select(func.count()).select_from(PORTAL_CODES).where(PORTAL_CODES.c.used_at.is_(None))
    return int(conn.execute(query).scalar_one())


@pytest.fixture
def issued(engine: Engine) -> tuple[Engine, dict[tuple[str, str], int], Access]:
    fill_ledger(engine)
    with transaction(engine, write=True) as conn:
        conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.external_id == "E002").values(owner="ann"))
    ids = {
        (customer, "nov" if first == NOVEMBER[0] else "feb"): statement_id
        for (customer, first), statement_id in issue_statements(engine, ["E002", "W001"]).items()
    }
    with transaction(engine) as conn:
        token = links.make_token(
            conn, settings=SETTINGS, customer="E002", now=NOW, days=14, statement=ids[("E002", "nov")]
        )
        access = links.open_link(conn, settings=SETTINGS, token=token, now=NOW)
    return engine, ids, access


def test_reading_and_confirming_the_november_statement(
    issued: tuple[Engine, dict[tuple[str, str], int], Access],
) -> None:
    engine, ids, access = issued
    november = ids[("E002", "nov")]
    at = NOW + timedelta(minutes=3)
    with transaction(engine, write=True) as conn:
        assert statement.chosen(conn, access) == november  # the link's statement
        assert [s.id for s in statement.statements_of(conn, access)] == [ids[("E002", "feb")], november]
        page = statement.view(conn, access=access, statement_id=november, now=at)
        assert (page.status, page.answerable, page.confirmed_by) == ("viewed", True, None)
        assert [item["reference"] for item in page.content["open_items"]] == ["INV-E2", "INV-E3"]
        assert page.content["closing_minor"] == 200_000_00
        statement.view(conn, access=access, statement_id=november, now=at + timedelta(minutes=1))
        assert [row.action for row in audit.list_rows(conn)].count("statement.view") == 1

    with transaction(engine, write=True) as conn:
        code_id = _verified(conn, access, at)
    confirmed_at = at + timedelta(minutes=2)
    with transaction(engine, write=True) as conn:
        statement.confirm(
            conn,
            access=access,
            code_id=code_id,
            statement_id=november,
            name=" 王芳 ",
            title="财务经理",
            ip="203.0.113.7",
            user_agent="Mozilla/5.0 (iPhone)",
            now=confirmed_at,
            today=TODAY,
        )
    with transaction(engine) as conn:
        signed = conn.execute(select(CONFIRMATIONS)).one()
        sha = conn.execute(select(STATEMENTS.c.content_sha256).where(STATEMENTS.c.id == november)).scalar()
        assert (signed.name, signed.title, signed.ip, signed.statement_sha256) == (
            "王芳",
            "财务经理",
            "203.0.113.7",
            sha,
        )
        assert _unspent(conn) == 0
        name, pdf = statement.pdf(conn, access=access, statement_id=november, receipt=True)
        assert pdf == bytes(signed.receipt_pdf)
        assert pdf.startswith(b"%PDF")
        assert name.endswith("-receipt.pdf")
        record = statement.receipt(conn, access=access, statement_id=november)
        assert (record["name"], record["sha256"]) == ("王芳", sha)
        notes = list(conn.execute(select(ACTIVITIES.c.note, ACTIVITIES.c.actor)).all())
        assert any("confirms statement" in note and actor == "portal:E002" for note, actor in notes)
        alerts = conn.execute(select(ALERTS.c.params).where(ALERTS.c.recipient == "ann")).scalars()
        assert any(json.loads(params).get("what") == "statement_confirm" for params in alerts)
        page = statement.view(conn, access=access, statement_id=november, now=confirmed_at)
        assert (page.status, page.answerable, page.confirmed_by[:2] if page.confirmed_by else None) == (
            "confirmed",
            False,
            ("王芳", "财务经理"),
        )


def test_another_customers_statement_is_not_found(
    issued: tuple[Engine, dict[tuple[str, str], int], Access],
) -> None:
    engine, ids, access = issued
    theirs = ids[("W001", "nov")]
    with transaction(engine, write=True) as conn:
        for read in (
            lambda: statement.view(conn, access=access, statement_id=theirs, now=NOW),
            lambda: statement.pdf(conn, access=access, statement_id=theirs),
            lambda: statement.receipt(conn, access=access, statement_id=theirs),
        ):
            with pytest.raises(NotFound):
                read()
        code_id = _verified(conn, access, NOW)
    with pytest.raises(NotFound), transaction(engine, write=True) as conn:
        statement.confirm(
            conn,
            access=access,
            code_id=code_id,
            statement_id=theirs,
            name="王芳",
            title="财务经理",
            ip="203.0.113.7",
            user_agent="x",
            now=NOW,
            today=TODAY,
        )
    with transaction(engine) as conn:
        assert conn.execute(select(STATEMENTS.c.status).where(STATEMENTS.c.id == theirs)).scalar() == "sent"
        assert conn.execute(select(CONFIRMATIONS)).first() is None
        assert _unspent(conn) == 1  # the refused confirmation rolled back: the code was not spent


def test_disputing_two_lines_of_february_with_a_pdf(
    issued: tuple[Engine, dict[tuple[str, str], int], Access],
) -> None:
    engine, ids, access = issued
    february = ids[("E002", "feb")]
    with transaction(engine) as conn:
        items = {
            item["reference"]: item["item_id"]
            for item in statement.view(conn, access=access, statement_id=february, now=NOW).content[
                "open_items"
            ]
        }
    lines = [
        statement.Line(items["INV-E2"], Decimal("20000.00"), "quantity", "少收到 20 件"),
        statement.Line(items["INV-E3"], Decimal("5000.00"), "price", "单价不符"),
    ]
    with transaction(engine, write=True) as conn:
        code_id = _verified(conn, access, NOW)
    with transaction(engine, write=True) as conn:
        opened = statement.dispute(
            conn,
            access=access,
            code_id=code_id,
            statement_id=february,
            lines=lines,
            upload=Upload("delivery-note.pdf", PDF),
            now=NOW,
            today=TODAY,
        )
    assert len(opened) == 2
    with transaction(engine) as conn:
        disputes = conn.execute(
            select(DISPUTES.c.opened_by, DISPUTES.c.amount_minor, DISPUTES.c.reason)
        ).all()
        assert sorted(tuple(row) for row in disputes) == [
            ("portal:E002", 500_000, "price"),
            ("portal:E002", 2_000_000, "quantity"),
        ]
        disputed = dict(conn.execute(select(INVOICES.c.external_id, INVOICES.c.disputed_minor)).all())
        assert (disputed["INV-E2"], disputed["INV-E3"]) == (2_000_000, 500_000)
        assert set(conn.execute(select(STATEMENT_DISPUTES.c.dispute_id)).scalars()) == set(opened)
        assert (
            conn.execute(select(STATEMENTS.c.status).where(STATEMENTS.c.id == february)).scalar()
            == "disputed"
        )
        files = conn.execute(select(ACTIVITY_ATTACHMENTS.c.filename, ACTIVITY_ATTACHMENTS.c.media_type)).all()
        assert [tuple(row) for row in files] == [("delivery-note.pdf", "application/pdf")]
        kinds = set(conn.execute(select(ALERTS.c.kind).where(ALERTS.c.recipient == "ann")).scalars())
        assert {"dispute_opened", "portal_request"} <= kinds

    # Answered once; the code of the refused second answer stays unspent.
    with transaction(engine, write=True) as conn:
        code_id = _verified(conn, access, NOW)
    with pytest.raises(StatementRefused), transaction(engine, write=True) as conn:
        statement.dispute(
            conn,
            access=access,
            code_id=code_id,
            statement_id=february,
            lines=lines[:1],
            upload=None,
            now=NOW,
            today=TODAY,
        )
    with transaction(engine) as conn:
        assert _unspent(conn) == 1
        assert len(conn.execute(select(DISPUTES.c.id)).all()) == 2


def test_a_line_above_what_is_open_writes_nothing(
    issued: tuple[Engine, dict[tuple[str, str], int], Access],
) -> None:
    engine, ids, access = issued
    november = ids[("E002", "nov")]
    with transaction(engine) as conn:
        page = statement.view(conn, access=access, statement_id=november, now=NOW)
    item = page.content["open_items"][0]["item_id"]
    with transaction(engine, write=True) as conn:
        code_id = _verified(conn, access, NOW)
    with pytest.raises(DunmoreError), transaction(engine, write=True) as conn:
        statement.dispute(
            conn,
            access=access,
            code_id=code_id,
            statement_id=november,
            lines=[statement.Line(item, Decimal("120000.01"), "price", "")],
            upload=None,
            now=NOW,
            today=TODAY,
        )
    with transaction(engine) as conn:
        assert conn.execute(select(DISPUTES.c.id)).first() is None
        assert (
            conn.execute(select(STATEMENTS.c.status).where(STATEMENTS.c.id == november)).scalar() == "viewed"
        )
        assert _unspent(conn) == 1
