"""Statements of account told as dated stories of one customer, on SQLite and PostgreSQL.

C1 owes INV-0 2,000.00 (due 2026-10-10) and INV-1 10,000.00 (due 2026-11-05) when November begins;
in November it pays 1,500.00 (to the oldest), is invoiced INV-2 3,000.00, gets a credit note of
200.00 on INV-2, and the run of 2026-11-25 charges a 50.00 fee (FEE-2). The November statement reads
12,000.00 → 13,350.00, and its open items add up to the closing balance.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select, update

from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role, User
from dunmore.errors import NotFound
from dunmore.ledger.models import CONTACTS, CUSTOMERS, INVOICES
from dunmore.ledger.service import reallocate
from dunmore.settings import CreditorSettings
from dunmore.statements import issue as issuing
from dunmore.statements import service, views
from dunmore.statements.models import CONFIRMATIONS, STATEMENT_MAILS, STATEMENTS
from dunmore.store.db import transaction
from dunmore.workspace.models import DISPUTES
from tests.scenarios.story import Story, day, morning
from tests.store.ledger_rows import add_payment

PASSWORD = "a long enough password"
NOVEMBER = (day("2026-11-01"), day("2026-11-30"))
CREDITOR = CreditorSettings(name="华东贸易有限公司", address=["上海市浦东新区世纪大道 100 号"])


def _user(engine: Engine, login: str) -> User:
    with engine.connect() as conn:
        return get_user(conn, login=login)


def _story(engine: Engine) -> Story:
    story = Story(engine)
    story.customer("C1")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).values(portfolio="north", name="星河电子"))
        customer_id = conn.execute(select(CUSTOMERS.c.id)).scalar_one()
        conn.execute(
            insert(CONTACTS).values(
                customer_id=customer_id, name="李娜", email="li@example.com", is_primary=True
            )
        )
        at = datetime(2026, 1, 1, tzinfo=UTC)
        add_user(conn, login="boss", role=Role.MANAGER, password=PASSWORD, actor="t", at=at)
        add_user(
            conn, login="zhao", role=Role.COLLECTOR, password=PASSWORD, portfolios=["south"], actor="t", at=at
        )
    story.invoice("INV-0", "C1", issued="2026-09-10", due="2026-10-10", amount="2000.00")
    story.invoice("INV-1", "C1", issued="2026-10-20", due="2026-11-05", amount="10000.00")
    story.pay("PAY-1", "C1", on="2026-11-10", amount="1500.00")
    story.run("2026-11-13")
    story.invoice("INV-2", "C1", issued="2026-11-20", due="2026-12-20", amount="3000.00")
    with transaction(engine) as conn:
        inv2 = conn.execute(select(INVOICES.c.id).where(INVOICES.c.external_id == "INV-2")).scalar_one()
        add_payment(conn, "CN-1", customer_id, "2026-11-22", 20_000, "CNY", inv2, credit_note=True)
        reallocate(conn, [customer_id])
    story.run("2026-11-25")
    return story


def _issue(engine: Engine, on: str = "2026-12-01") -> list[issuing.Issued]:
    with transaction(engine) as conn:
        return issuing.issue(
            conn,
            user=_user(engine, "boss"),
            period=NOVEMBER,
            as_of=day(on),
            now=morning(on),
            creditor=CREDITOR,
        )


def test_the_november_statement_adds_up_and_goes_out_by_email(engine: Engine) -> None:
    _story(engine)
    [issued] = _issue(engine)
    assert (issued.customer, issued.currency, issued.version, issued.closing_minor) == (
        "C1",
        "CNY",
        1,
        1_335_000,
    )
    assert issued.mailed
    with engine.connect() as conn:
        shown = views.detail(conn, user=_user(engine, "boss"), statement_id=issued.statement_id)
        mails = conn.execute(select(STATEMENT_MAILS.c.address, STATEMENT_MAILS.c.subject)).all()
    content = shown["content"]
    assert content["opening_minor"] == 1_200_000
    assert [(line["kind"], line["reference"], line["amount_minor"]) for line in content["lines"]] == [
        ("payment", "PAY-1", -150_000),
        ("invoice", "INV-2", 300_000),
        ("credit_note", "CN-1", -20_000),
        ("fee", "FEE-2", 5_000),
    ]
    assert [
        (item["reference"], item["open_minor"], item["days_past_due"]) for item in content["open_items"]
    ] == [
        ("INV-0", 50_000, 51),
        ("INV-1", 1_000_000, 25),
        ("FEE-2", 5_000, 5),
        ("INV-2", 280_000, 0),
    ]
    assert shown["status"] == "sent"
    assert shown["mails"] == [{"kind": "statement", "address": "li@example.com", "status": "pending"}]
    assert [address for address, _ in mails] == ["li@example.com"]
    with engine.connect() as conn:
        name, pdf = views.pdf(conn, user=_user(engine, "boss"), statement_id=issued.statement_id)
        assert views.listing(conn, user=_user(engine, "zhao")) == []  # another portfolio's collector
    assert pdf.startswith(b"%PDF")
    assert name == "statement-C1-2026-11-01-CNY-v1.pdf"


def test_a_reissue_is_a_new_version_and_only_the_newest_is_answered(engine: Engine) -> None:
    _story(engine)
    [first] = _issue(engine)
    with transaction(engine) as conn:
        assert service.mark_viewed(conn, first.statement_id, morning("2026-12-02")) == "viewed"
    [second] = _issue(engine, "2026-12-03")
    assert second.version == 2
    assert second.sha256 != first.sha256
    with transaction(engine) as conn, pytest.raises(service.StatementRefused, match="replaced by version 2"):
        service.dispute_lines(conn, first.statement_id, [(1, 100, "quality", "")], morning("2026-12-04"))
    with engine.connect() as conn:
        stored = conn.execute(
            select(STATEMENTS.c.content_sha256).where(STATEMENTS.c.id == first.statement_id)
        )
        assert stored.scalar_one() == first.sha256
        assert [v.status for v in views.listing(conn, user=_user(engine, "boss"))] == ["sent", "viewed"]


def test_disputing_a_line_opens_a_dispute_as_a_collector_would(engine: Engine) -> None:
    _story(engine)
    [issued] = _issue(engine)
    with engine.connect() as conn:
        content = json.loads(conn.execute(select(STATEMENTS.c.content)).scalar_one())
    inv1 = next(item["item_id"] for item in content["open_items"] if item["reference"] == "INV-1")
    with transaction(engine) as conn:
        opened = service.dispute_lines(
            conn, issued.statement_id, [(inv1, 300_000, "quality", "3 boxes broken")], morning("2026-12-04")
        )
    with engine.connect() as conn:
        dispute = conn.execute(select(DISPUTES).where(DISPUTES.c.id == opened[0])).one()
        disputed = conn.execute(select(INVOICES.c.disputed_minor).where(INVOICES.c.id == inv1)).scalar_one()
        assert (
            views.get(conn, user=_user(engine, "boss"), statement_id=issued.statement_id).status == "disputed"
        )
    assert (dispute.amount_minor, dispute.reason, dispute.opened_by, disputed) == (
        300_000,
        "quality",
        "portal:C1",
        300_000,
    )
    with transaction(engine) as conn, pytest.raises(service.StatementRefused, match="already disputed"):
        service.confirm(
            conn,
            issued.statement_id,
            name="李娜",
            title="财务",
            ip="203.0.113.9",
            user_agent="UA",
            code_verified_at=morning("2026-12-05"),
            at=morning("2026-12-05"),
        )


def test_one_reminder_then_confirmed_with_a_receipt_and_an_unanswered_one_lapses(engine: Engine) -> None:
    story = _story(engine)
    story.customer("C2")
    story.invoice("INV-9", "C2", issued="2026-11-03", due="2026-12-03", amount="800.00")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.external_id == "C2").values(portfolio="north"))
    c1, c2 = _issue(engine)
    boss = _user(engine, "boss")
    with transaction(engine) as conn:
        assert (
            issuing.remind(conn, user=boss, as_of=day("2026-12-07"), now=morning("2026-12-07")).reminded == 0
        )
        assert (
            issuing.remind(conn, user=boss, as_of=day("2026-12-08"), now=morning("2026-12-08")).reminded == 2
        )
        assert (
            issuing.remind(conn, user=boss, as_of=day("2026-12-09"), now=morning("2026-12-09")).reminded == 0
        )
        receipt = service.confirm(
            conn,
            c1.statement_id,
            name="李娜",
            title="财务经理",
            ip="203.0.113.9",
            user_agent="Mozilla/5.0",
            code_verified_at=morning("2026-12-10"),
            at=morning("2026-12-10"),
        )
        assert issuing.remind(conn, user=boss, as_of=day("2026-12-16"), now=morning("2026-12-16")).lapsed == 1
    assert receipt.startswith(b"%PDF")
    with engine.connect() as conn:
        signed = conn.execute(select(CONFIRMATIONS)).one()
        states = {v.customer: v.status for v in views.listing(conn, user=boss)}
        kinds = sorted(conn.execute(select(STATEMENT_MAILS.c.key)).scalars())
        with pytest.raises(NotFound):
            views.get(conn, user=_user(engine, "zhao"), statement_id=c1.statement_id)
    assert (signed.name, signed.title, signed.statement_sha256, signed.ip) == (
        "李娜",
        "财务经理",
        c1.sha256,
        "203.0.113.9",
    )
    assert states == {"C1": "confirmed", "C2": "lapsed"}
    assert not c2.mailed  # C2 has no e-mail address: issued and reminded, for the portal, but not mailed
    assert kinds == ["reminder:1", "statement:1"]
