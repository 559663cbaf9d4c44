"""The portal as a dated story of one customer (E002, 华东物流, INV-E2 120,000.00 CNY due 2026-03-01
and INV-E3 80,000.00 due 2026-04-01), on SQLite and PostgreSQL, through the services the web calls.

On 2026-03-16 the collector makes a link; the customer opens it, asks for a code, disputes part of
INV-E2 with a PDF, promises the rest by 2026-03-31, asks for instalments; every step is in the audit
log as portal:E002, on the timeline and alerts the owner. Then the refusals: a replayed code, five
wrong codes (the link is withdrawn), an expired, a tampered and a revoked link, another customer's
invoice.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, select, update

from dunmore.access import audit
from dunmore.access.service import get_user
from dunmore.errors import NotFound
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.portal import codes, links, service
from dunmore.portal.links import Access, LinkRefused
from dunmore.store.db import transaction
from dunmore.workspace.mail_models import ALERT_MAILS
from dunmore.workspace.models import ACTIVITIES, ALERTS, DISPUTES, PROMISES
from dunmore.workspace.plan_models import PLANS
from dunmore.workspace.worklist import worklist
from tests.web.conftest import fill_ledger, settings

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
TODAY = NOW.date()
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
SETTINGS = settings()


def _open(conn: Connection, token: str, at: datetime = NOW) -> Access:
    return links.open_link(conn, settings=SETTINGS, token=token, now=at)


def _code(conn: Connection, access: Access, at: datetime = NOW) -> str:
    key = links.signing_key(conn, SETTINGS)
    assert key is not None
    codes.send_code(conn, access=access, key=key, now=at)
    body = conn.execute(select(ALERT_MAILS.c.body).order_by(ALERT_MAILS.c.id.desc()).limit(1)).scalar_one()
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    return found.group(1)


def _verify(conn: Connection, access: Access, code: str, at: datetime = NOW) -> codes.Verdict:
    key = links.signing_key(conn, SETTINGS)
    assert key is not None
    return codes.verify(conn, access=access, key=key, code=code, now=at)


def _refusals(conn: Connection) -> list[str]:
    rows = audit.list_rows(conn, actor=None)
    return [json.loads(row.after or "{}")["reason"] for row in rows if row.action == "portal.refused"]


@pytest.fixture
def story(engine: Engine) -> tuple[Engine, str]:
    fill_ledger(engine)
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.external_id == "E002").values(owner="ann"))
        token = links.make_token(conn, settings=SETTINGS, customer="E002", now=NOW, days=14)
    return engine, token


def test_the_customer_disputes_promises_and_asks_for_instalments(story: tuple[Engine, str]) -> None:
    engine, token = story
    with transaction(engine) as conn:
        access = _open(conn, token)
        seen = service.overview(conn, access=access, settings=SETTINGS)
        assert [item.invoice for item in seen.items] == ["INV-E2", "INV-E3"]
        code = _code(conn, access)
    with transaction(engine) as conn:
        verdict = _verify(conn, access, code)
        assert verdict.code_id is not None
        upload = service.checked_upload("delivery-note.pdf", PDF)
        dispute_id = service.dispute(
            conn,
            access=access,
            code_id=verdict.code_id,
            invoice="INV-E2",
            amount=Decimal("20000.00"),
            reason="quantity",
            comment="short by 20 units",
            upload=upload,
            now=NOW,
            today=TODAY,
        )
    with transaction(engine) as conn:
        dispute = conn.execute(select(DISPUTES).where(DISPUTES.c.id == dispute_id)).one()
        assert (dispute.opened_by, dispute.amount_minor, dispute.status) == ("portal:E002", 20_000_00, "open")
        disputed = conn.execute(select(INVOICES.c.disputed_minor).where(INVOICES.c.external_id == "INV-E2"))
        assert disputed.scalar_one() == 20_000_00
        assert _verify(conn, access, code).why == "replayed"  # the spent code does not open again
        promised = _verify(conn, access, _code(conn, access))
        assert promised.code_id is not None
        promise_id = service.promise(
            conn,
            access=access,
            code_id=promised.code_id,
            amount=Decimal("100000.00"),
            by=TODAY + timedelta(days=15),
            currency="CNY",
            now=NOW,
            today=TODAY,
        )
        assert promise_id is not None
        late = _verify(conn, access, _code(conn, access))
        assert late.code_id is not None
        request = service.promise(
            conn,
            access=access,
            code_id=late.code_id,
            amount=Decimal("100.00"),
            by=TODAY + timedelta(days=90),
            currency="CNY",
            now=NOW,
            today=TODAY,
        )
        assert request is None  # beyond the policy's 30 days: a request for the collector
        asked = _verify(conn, access, _code(conn, access))
        assert asked.code_id is not None
        plan_id = service.ask_plan(
            conn,
            access=access,
            code_id=asked.code_id,
            instalments=3,
            first=TODAY + timedelta(days=10),
            currency="CNY",
            country="CN",
            now=NOW,
            today=TODAY,
        )
    with transaction(engine) as conn:
        assert (
            conn.execute(select(PROMISES.c.actor).where(PROMISES.c.id == promise_id)).scalar_one()
            == "portal:E002"
        )
        assert conn.execute(select(PLANS.c.status).where(PLANS.c.id == plan_id)).scalar_one() == "proposed"
        notes = (
            conn.execute(select(ACTIVITIES.c.note).where(ACTIVITIES.c.actor == "portal:E002")).scalars().all()
        )
        assert any("dispute" in note for note in notes)
        assert any("asks to pay" in note for note in notes)
        kinds = set(conn.execute(select(ALERTS.c.kind).where(ALERTS.c.recipient == "ann")).scalars())
        assert {"dispute_opened", "portal_request"} <= kinds
        actions = {row.action for row in audit.list_rows(conn, actor="portal:E002")}
        assert {"dispute.open", "promise.add", "plan.add", "activity.add", "portal.code"} <= actions
        assert audit.verify(conn).broken is None
        # the requests a collector must answer (a promise beyond the limits, a plan) are due today:
        # the owner finds the customer first on the worklist, among the follow-ups
        page = worklist(conn, user=get_user(conn, login="ann"), as_of=TODAY, timezone="Asia/Shanghai")
        first = page.lines[0]
        assert (first.customer.code, first.section.name) == ("E002", "FOLLOW_UP")


def test_five_wrong_codes_withdraw_the_link(story: tuple[Engine, str]) -> None:
    engine, token = story
    with transaction(engine) as conn:
        access = _open(conn, token)
        code = _code(conn, access)
        wrong = "000000" if code != "000000" else "111111"
        verdicts = [_verify(conn, access, wrong).why for _ in range(5)]
    assert verdicts == ["wrong"] * 5
    with transaction(engine) as conn, pytest.raises(LinkRefused) as refused:
        _open(conn, token)
    assert refused.value.code == "locked"
    with transaction(engine) as conn:
        assert _refusals(conn).count("code_wrong") == 5
        kinds = set(conn.execute(select(ALERTS.c.kind)).scalars())
        assert "portal_locked" in kinds


def test_expired_tampered_and_revoked_links_do_not_open(story: tuple[Engine, str]) -> None:
    engine, token = story
    with transaction(engine) as conn:
        with pytest.raises(LinkRefused) as expired:
            _open(conn, token, NOW + timedelta(days=14))
        assert expired.value.code == "expired"
        changed = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
        with pytest.raises(LinkRefused) as tampered:
            _open(conn, changed)
        assert tampered.value.code == "tampered"
        links.revoke(conn, customer="E002", now=NOW + timedelta(hours=1), actor="cli:ops")
        with pytest.raises(LinkRefused) as revoked:
            _open(conn, token, NOW + timedelta(hours=2))
        assert revoked.value.code == "revoked"
        fresh = links.make_token(conn, settings=SETTINGS, customer="E002", now=NOW + timedelta(hours=3))
        assert _open(conn, fresh, NOW + timedelta(hours=3)).customer == "E002"


def test_another_customers_invoice_is_not_found(story: tuple[Engine, str]) -> None:
    engine, token = story
    with transaction(engine) as conn:
        access = _open(conn, token)
        verdict = _verify(conn, access, _code(conn, access))
        assert verdict.code_id is not None
        with pytest.raises(NotFound):
            service.dispute(
                conn,
                access=access,
                code_id=verdict.code_id,
                invoice="INV-W1",
                amount=Decimal("1"),
                reason="price",
                comment="",
                upload=None,
                now=NOW,
                today=TODAY,
            )


def test_every_notice_carries_a_signed_link_to_its_customers_portal(story: tuple[Engine, str]) -> None:
    engine, _token = story
    with_link = settings()
    with_link.delivery.portal_url = "https://dunmore.example.cn/portal/l/{token}"
    with transaction(engine) as conn:
        found = links.notice_links(conn, with_link, {7: ("E002", TODAY)})
        token = found[7].removeprefix("https://dunmore.example.cn/portal/l/")
        assert links.open_link(conn, settings=with_link, token=token, now=NOW).customer == "E002"
        assert links.notice_links(conn, SETTINGS, {7: ("E002", TODAY)}) == {}  # no {token}: no link
        with pytest.raises(LinkRefused):
            links.open_link(conn, settings=with_link, token=token, now=NOW + timedelta(days=31))
