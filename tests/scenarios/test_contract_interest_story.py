"""A contract's interest clause told as a dated story of one customer (examples/dunning.yaml: L1 at
+3 days, interest 3.65 % a year, i.e. 0.01 % a day).

C1 has contract K-7, 10,000.00 CNY due on signing, Monday 2026-08-03, whose interest clause says
0.05 % per day; and a plain invoice INV-1 of 10,000.00 CNY due the same day. wang drafts the
contract, boss approves it. Four days late, the contract invoice has accrued 4 × 5.00 = 20.00 and
the plain one the policy's 4 × 1.00 = 4.00. A policy whose `contract_cap` is 10 % a year cuts the
clause: 10,000.00 × 10 % × 4 / 365 = 10.96.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.run.explain import explain
from dunmore.store.db import transaction
from tests.scenarios.story import EXAMPLE, Story, day, digest, policy_file, signed_contract


def _story(engine: Engine, policy: Path = EXAMPLE) -> Story:
    story = Story(engine, policy)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-07-20", due="2026-08-03", amount="10000.00")
    with transaction(engine) as conn:
        add_user(
            conn, login="boss", role=Role.MANAGER, password="a long enough password", actor="t",
            at=datetime(2026, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        made = signed_contract(conn, "C1", "K-7", interest_terms="0.05% per day")
    assert made == ["CT-K-7-1"]
    return story


def test_a_contract_invoice_accrues_its_clause_and_a_plain_one_the_policy(engine: Engine) -> None:
    story = _story(engine)
    assert digest(story.run("2026-08-07")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +4d 10000.00 (interest 4.00), "
        "CT-K-7-1 L1 +4d 10000.00 (interest 20.00)"
    ]
    told = story.explain("C1", "2026-08-10")
    assert told["CT-K-7-1"].facts["interest"] == "35.00"  # 7 days × 5.00
    assert told["CT-K-7-1"].facts["interest_clause"] == "K-7 v1: 0.05% per day"
    assert told["CT-K-7-1"].facts["interest_annual_rate"] == "0.1825"
    assert told["CT-K-7-1"].reasons[-1] == "contract_interest"
    assert (
        told["CT-K-7-1"].sentences[-1] == "interest 0.05 %/day per contract K-7, interest clause of version 1"
    )
    assert told["INV-1"].facts["interest"] == "7.00"
    assert told["INV-1"].facts["interest_clause"] is None
    assert "contract_interest" not in told["INV-1"].reasons
    with transaction(engine) as conn:
        chinese = {
            lang: explain(conn, customer="C1", as_of=day("2026-08-10"), lang=lang)
            for lang in ("zh-CN", "zh-TW")
        }
    assert chinese["zh-CN"][0].sentences[-1] == "利息按合同 K-7 第 1 版的利息条款计：每日 0.05%"
    assert chinese["zh-TW"][0].sentences[-1] == "利息依合約 K-7 第 1 版的利息條款計：每日 0.05%"


def test_the_policy_cuts_a_clause_above_its_contract_cap(engine: Engine, tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    capped = text.replace(
        'interest: {annual_rate: "0.0365"}', 'interest: {annual_rate: "0.0365", contract_cap: "0.1"}'
    )
    assert capped != text
    story = _story(engine, policy_file(tmp_path, capped))
    assert digest(story.run("2026-08-07")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +4d 10000.00 (interest 4.00), "
        "CT-K-7-1 L1 +4d 10000.00 (interest 10.96)"
    ]
    told = story.explain("C1", "2026-08-07")["CT-K-7-1"]
    assert told.facts["interest_annual_rate"] == "0.1"
    assert told.sentences[-1] == (
        "interest per contract K-7, interest clause of version 1 (0.05 %/day), "
        "cut to the policy's cap of 10 %/year"
    )
