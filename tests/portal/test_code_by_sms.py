"""The one-time code by SMS, on SQLite and PostgreSQL: on 2026-03-16 W002 (Pacific Trading) has no
e-mail address on file, only a mobile number written the local way; asking for a code queues a text
(not an e-mail), the delivery worker sends it through the SMS gateway in E.164 form, and the code in
it unlocks. A customer with only a landline is told we have no contact for them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from dunmore.delivery.channels.fake import FakeSmsGateway
from dunmore.delivery.channels.sms import check_phone
from dunmore.delivery.worker import Outlets, Worker
from dunmore.ledger.models import CONTACTS, CUSTOMERS
from dunmore.portal import codes, links, texts
from dunmore.portal.models import PORTAL_TEXTS
from dunmore.store.db import transaction
from dunmore.workspace.mail_models import ALERT_MAILS
from tests.delivery.test_worker import TEMPLATES
from tests.web.conftest import fill_ledger, settings

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
SETTINGS = settings()


def _only_a_phone(engine: Engine, phone: str) -> None:
    with transaction(engine, write=True) as conn:
        customer = conn.execute(select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == "W002")).scalar_one()
        conn.execute(
            update(CONTACTS).where(CONTACTS.c.customer_id == customer).values(email=None, phone=phone)
        )


def test_a_code_goes_by_sms_when_the_contact_on_file_is_a_mobile(engine: Engine) -> None:
    fill_ledger(engine)
    _only_a_phone(engine, "138 0013 8000")
    with transaction(engine, write=True) as conn:
        token = links.make_token(conn, settings=SETTINGS, customer="W002", now=NOW, days=7)
        access = links.open_link(conn, settings=SETTINGS, token=token, now=NOW)
        key = links.signing_key(conn, SETTINGS)
        assert key is not None
        assert codes.send_code(conn, access=access, key=key, now=NOW) == "+86138****8000"
        assert conn.execute(select(ALERT_MAILS.c.id)).first() is None  # no e-mail
    gateway = FakeSmsGateway()
    worker = Worker(engine, SETTINGS, templates=TEMPLATES, outlets=Outlets(sms=gateway), clock=lambda: NOW)
    tally = worker.run(drain=True)
    assert tally.portal_texts.sent == 1
    [sms] = gateway.sent
    assert sms.to == "+8613800138000"
    found = re.search(r"\b(\d{6})\b", sms.text)
    assert found is not None
    with transaction(engine, write=True) as conn:
        assert conn.execute(select(PORTAL_TEXTS.c.status)).scalar_one() == "sent"
        verdict = codes.verify(conn, access=access, key=key, code=found.group(1), now=NOW)
        assert verdict.code_id is not None
    gateway.sent.clear()
    worker.run(drain=True)
    assert gateway.sent == []  # sent once


def test_a_landline_only_customer_gets_no_code(engine: Engine) -> None:
    fill_ledger(engine)
    _only_a_phone(engine, "021-6888 8888")
    with transaction(engine, write=True) as conn:
        token = links.make_token(conn, settings=SETTINGS, customer="W002", now=NOW, days=7)
        access = links.open_link(conn, settings=SETTINGS, token=token, now=NOW)
        key = links.signing_key(conn, SETTINGS)
        assert key is not None
        with pytest.raises(codes.CodeRefused):
            codes.send_code(conn, access=access, key=key, now=NOW)


@given(st.text(alphabet="+0123456789 -()", max_size=20))
def test_a_number_taken_as_mobile_is_one_the_gateway_accepts(phone: str) -> None:
    number = texts.mobile(phone)
    if number is not None:
        check_phone(number)  # E.164, or it raises
        assert number.startswith(("+86", "+886", "+852"))
        assert texts.mobile(number) == number  # written once more, the same number


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("13800138000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("0912 345 678", "+886912345678"),
        ("+852 9123 4567", "+85291234567"),
        ("021-68888888", None),
        ("(02) 2345 6789", None),
    ],
)
def test_mobile_numbers_as_written(written: str, sent: str | None) -> None:
    assert texts.mobile(written) == sent
