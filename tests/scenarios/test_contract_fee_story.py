"""A contract's fee clause told as a dated story (examples/dunning.yaml: L1 at +3 days without a
fee, L2 `second-overdue` at +15 days with a fee of 50.00 CNY, 7 days between notices).

C1 has contract K-7, 10,000.00 CNY due on signing, Monday 2026-08-03, whose fee clause says
200.00 per notice, and a plain invoice INV-1 of the same day; C2 has only a plain invoice INV-2.
wang drafts the contract, boss approves it. On 2026-08-07 both customers get L1 (no fee: the
policy's L1 charges none, and the clause does not add one). On 2026-08-18 both rise to L2: C2's
notice charges the policy's 50.00, C1's notice — which duns the contract's invoice — the clause's
200.00, and `explain` names the clause.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.credit import contracts
from dunmore.errors import BadArgument
from dunmore.run.explain import explain
from dunmore.store.db import transaction
from tests.scenarios.story import Story, day, digest, signed_contract


def _story(engine: Engine) -> Story:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.customer("C2", grade="B")
    story.invoice("INV-1", "C1", issued="2026-07-20", due="2026-08-03", amount="10000.00")
    story.invoice("INV-2", "C2", issued="2026-07-20", due="2026-08-03", amount="10000.00")
    with transaction(engine) as conn:
        add_user(
            conn, login="boss", role=Role.MANAGER, password="a long enough password", actor="t",
            at=datetime(2026, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        made = signed_contract(conn, "C1", "K-7", fee_terms=" 200  PER notice")
    assert made == ["CT-K-7-1"]
    return story


def test_a_notice_dunning_a_contract_invoice_charges_the_contracts_fee(engine: Engine) -> None:
    story = _story(engine)
    assert digest(story.run("2026-08-07")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +4d 10000.00 (interest 4.00), "
        "CT-K-7-1 L1 +4d 10000.00 (interest 4.00)",
        "C2 CNY L1 first-overdue: INV-2 L1 +4d 10000.00 (interest 4.00)",
    ]
    assert digest(story.run("2026-08-18")) == [
        "C1 CNY L2 second-overdue fee 200.00: INV-1 L2 +15d 10000.00 (interest 15.00), "
        "CT-K-7-1 L2 +15d 10000.00 (interest 15.00)",
        "C2 CNY L2 second-overdue fee 50.00: INV-2 L2 +15d 10000.00 (interest 15.00)",
    ]
    told = story.explain("C1", "2026-08-18")
    for invoice in ("CT-K-7-1", "INV-1"):  # the notice's fee is the group's: both invoices say so
        assert told[invoice].facts["fee_clause"] == "K-7 v1: 200.00 per notice"
        assert "contract_fee" in told[invoice].reasons
    assert told["CT-K-7-1"].sentences[-1] == (
        "a level that charges a fee charges 200.00 CNY per contract K-7, fee clause of version 1, "
        "instead of the policy's fee"
    )
    assert story.explain("C2", "2026-08-18")["INV-2"].facts["fee_clause"] is None
    with transaction(engine) as conn:
        chinese = {
            lang: explain(conn, customer="C1", as_of=day("2026-08-18"), lang=lang)[0].sentences[-1]
            for lang in ("zh-CN", "zh-TW")
        }
    assert chinese["zh-CN"] == "收费的催款级别按合同 K-7 第 1 版的费用条款收取 200.00 CNY，不按策略的费用"
    assert chinese["zh-TW"] == "收費的催款級別依合約 K-7 第 1 版的費用條款收取 200.00 CNY，不依策略的費用"


def test_a_fee_clause_is_an_amount_per_notice_in_the_contracts_currency() -> None:
    assert contracts.fee_clause(" 200  PER notice", "CNY") == "200.00 per notice"
    assert contracts.fee_clause("700 per notice", "JPY") == "700 per notice"
    assert contracts.fee_clause("", "CNY") is None
    for wrong in ("a reasonable fee", "200.00 CNY per notice", "-5 per notice"):
        with pytest.raises(BadArgument, match="per notice"):
            contracts.fee_clause(wrong, "CNY")
