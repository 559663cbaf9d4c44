"""The notice states the interest rate and fee the run applied, not the policy's: a dated story
(examples/dunning.yaml: interest 3.65 % a year, L2 `second-overdue` at +15 days with a fee of
50.00 CNY, template overdue-2, which states the rate).

C1 owes only contract K-7's invoice, 10,000.00 CNY due on signing, Monday 2026-08-03; the contract
says interest 0.05 % per day (18.25 % a year) and a fee of 200.00 per notice. C2 owes a plain
invoice INV-2 as well as a contract invoice of K-8 (same clauses). The runs of 2026-08-07 and
2026-08-18 bring both to L2. C1's notice states 18.25 % a year and charges 200.00; C2's invoices
accrue at two rates, so its notice states no single rate (each line carries its own).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.delivery.notice_view import load_notices
from dunmore.delivery.render import Templates
from dunmore.delivery.view import LANGUAGES, Language, NoticeView
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.models import NOTICES
from dunmore.settings import Settings
from dunmore.store.db import transaction
from tests.scenarios.story import Story, signed_contract

RATE = {"en": "18.25%", "zh-CN": "18.25%", "zh-TW": "18.25%"}
POLICY_RATE = "3.65%"


def _story(engine: Engine, language: str) -> Story:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.customer("C2", grade="B")
    story.invoice("INV-2", "C2", issued="2026-07-20", due="2026-08-03", amount="10000.00")
    with transaction(engine) as conn:
        conn.execute(CUSTOMERS.update().values(language=language))
        add_user(
            conn, login="boss", role=Role.MANAGER, password="a long enough password", actor="t",
            at=datetime(2026, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        for customer, number in (("C1", "K-7"), ("C2", "K-8")):
            signed_contract(
                conn, customer, number, interest_terms="0.05% per day", fee_terms="200 per notice"
            )
    story.run("2026-08-07")
    story.run("2026-08-18")
    return story


def _second_notice(engine: Engine, customer: str) -> NoticeView:
    with engine.connect() as conn:
        found = conn.execute(
            select(NOTICES.c.id)
            .join(CUSTOMERS, CUSTOMERS.c.id == NOTICES.c.customer_id)
            .where(CUSTOMERS.c.external_id == customer, NOTICES.c.step == "second-overdue")
        ).scalar_one()
        return load_notices(conn, [found], Settings.model_validate({}))[found].view


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notice_states_the_contracts_rate_and_fee(sqlite_engine: Engine, language: Language) -> None:
    _story(sqlite_engine, language)
    view = _second_notice(sqlite_engine, "C1")
    assert view.interest_rate == Decimal("0.1825")
    assert view.fee is not None
    assert view.fee.minor == 200_00
    message = Templates().render("overdue-2", view)
    for part in (message.text, message.html, message.letter_html):
        assert RATE[language] in part
        assert POLICY_RATE not in part
        assert "200.00" in part


def test_a_notice_of_invoices_at_two_rates_states_no_single_rate(sqlite_engine: Engine) -> None:
    _story(sqlite_engine, "en")
    view = _second_notice(sqlite_engine, "C2")
    assert [(line.reference, line.interest_rate) for line in view.items] == [
        ("CT-K-8-1", Decimal("0.1825")),
        ("INV-2", Decimal("0.0365")),
    ]
    assert view.interest_rate is None
    assert view.fee is not None
    assert view.fee.minor == 200_00
    text = Templates().render("overdue-2", view).text
    assert "18.25%" not in text
    assert POLICY_RATE not in text
