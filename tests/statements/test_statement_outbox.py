"""Statements go out through the delivery worker, beside the notices: on 2026-03-16 the manager issues
E002's November 2025 statement (queued in the issuing transaction); the worker's run sends it to the
primary contact with the PDF attached and, with `delivery.portal_url` set, the link that opens the
portal on that very statement — until 30 days past its confirmation day, not after. A customer with
only a mobile number gets that link by SMS, and its one reminder too."""

# The fixture is imported from tests.support and named as a test parameter, which F811 reports.

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select, update

from dunmore.access.service import get_user
from dunmore.delivery.channels.email import SmtpChannel
from dunmore.delivery.channels.fake import FakeSmsGateway
from dunmore.delivery.worker import Outlets, Worker
from dunmore.ledger.models import CONTACTS, CUSTOMERS
from dunmore.portal import links
from dunmore.portal.links import LinkRefused
from dunmore.portal.models import PORTAL_TEXTS
from dunmore.settings import CreditorSettings
from dunmore.statements import issue as issuing
from dunmore.statements.models import STATEMENT_MAILS, STATEMENTS
from dunmore.store.db import transaction
from tests.delivery.test_worker import TEMPLATES
from tests.support.smtp import SmtpServer, smtp_server  # noqa: F401  (the fixture)
from tests.web.conftest import NOW, fill_ledger, settings
from tests.web.test_portal_statement import NOVEMBER, issue_statements

BASE = "https://dunmore.example.cn/portal/l/"


def test_the_worker_sends_the_statement_with_its_pdf_and_portal_link(
    engine: Engine,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    fill_ledger(engine)
    november = issue_statements(engine, ["E002"])[("E002", NOVEMBER[0])]
    configured = settings()
    configured.delivery.portal_url = BASE + "{token}"
    outlets = Outlets(email=lambda: SmtpChannel(smtp_server.config()))
    tally = Worker(engine, configured, templates=TEMPLATES, outlets=outlets, clock=lambda: NOW).run(
        drain=True
    )
    assert tally.statement_mail.sent == 2  # November's and February's
    with transaction(engine) as conn:
        assert set(conn.execute(select(STATEMENT_MAILS.c.status)).scalars()) == {"sent"}
        confirm_by = conn.execute(select(STATEMENTS.c.confirm_by).where(STATEMENTS.c.id == november)).scalar()
    mails = [m.message for m in smtp_server.wait_for(2)]
    assert all(str(mail["To"]).endswith("<ar@e002.example>") for mail in mails)
    mail = next(m for m in mails if "2025-11-01" in str(m["Subject"]))
    [attached] = list(mail.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content().startswith(b"%PDF")
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(re.escape(BASE) + r"(\S+)", str(text.get_content()))
    assert found is not None
    with transaction(engine) as conn:
        access = links.open_link(conn, settings=configured, token=found.group(1), now=NOW)
        assert (access.customer, access.statement) == ("E002", november)
        assert confirm_by is not None
        last = links.open_link(conn, settings=configured, token=found.group(1), now=NOW + timedelta(days=40))
        assert last.statement == november
        with pytest.raises(LinkRefused):
            links.open_link(conn, settings=configured, token=found.group(1), now=NOW + timedelta(days=46))


def test_without_a_portal_address_the_mail_has_no_link(
    engine: Engine,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    fill_ledger(engine)
    issue_statements(engine, ["E002"])
    outlets = Outlets(email=lambda: SmtpChannel(smtp_server.config()))
    Worker(engine, settings(), templates=TEMPLATES, outlets=outlets, clock=lambda: NOW).run(drain=True)
    for sent in smtp_server.wait_for(2):
        text = sent.message.get_body(preferencelist=("plain",))
        assert text is not None
        assert "/portal/l/" not in str(text.get_content())


def test_a_customer_with_only_a_mobile_gets_the_link_by_sms_and_one_reminder(engine: Engine) -> None:
    """E002's contact has no e-mail, only a mobile number: the November statement's portal link goes
    by SMS (the worker sends it through the gateway), and so does the one reminder on 2026-03-23."""
    fill_ledger(engine)
    configured = settings()
    configured.delivery.portal_url = BASE + "{token}"
    with transaction(engine, write=True) as conn:
        customer = conn.execute(select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == "E002")).scalar_one()
        conn.execute(
            update(CONTACTS)
            .where(CONTACTS.c.customer_id == customer)
            .values(email=None, phone="138-0013-8000")
        )
        boss = get_user(conn, login="boss")
        [issued] = issuing.issue(
            conn,
            user=boss,
            period=NOVEMBER,
            as_of=NOW.date(),
            now=NOW,
            creditor=CreditorSettings(name="华东贸易有限公司", address=[]),
            customers=["E002"],
            settings=configured,
        )
    assert (issued.mailed, issued.texted) == (False, True)
    gateway = FakeSmsGateway()
    worker = Worker(engine, configured, templates=TEMPLATES, outlets=Outlets(sms=gateway), clock=lambda: NOW)
    assert worker.run(drain=True).portal_texts.sent == 1
    [sms] = gateway.sent
    assert (sms.to, sms.reference) == ("+8613800138000", f"statement:{issued.statement_id}")
    found = re.search(re.escape(BASE) + r"(\S+)", sms.text)
    assert found is not None
    with transaction(engine) as conn:
        access = links.open_link(conn, settings=configured, token=found.group(1), now=NOW)
        assert access.statement == issued.statement_id
    with transaction(engine, write=True) as conn:
        done = issuing.remind(
            conn, user=boss, as_of=date(2026, 3, 23), now=NOW + timedelta(days=7), settings=configured
        )
        assert done.reminded == 1
        keys = list(conn.execute(select(PORTAL_TEXTS.c.key).order_by(PORTAL_TEXTS.c.id)).scalars())
    assert keys == [f"statement:{issued.statement_id}", f"reminder:{issued.statement_id}"]
