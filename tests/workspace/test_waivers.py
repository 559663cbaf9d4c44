"""Waivers of the fees a run charged, as a dated story of one customer (SQLite and PostgreSQL).

C1 owes INV-1, 10,000.00 CNY due 2026-09-01, under the standard policy of examples/dunning.yaml:
level 2 at +15 days charges a fee of 50.00, level 3 at +30 one of 100.00. Waivers above 60.00 CNY
wait for a manager; zhao (a collector) asks, boss (a manager) decides.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.errors import AmountError, BadArgument, PermissionDenied
from dunmore.ledger.models import CREDIT_NOTES
from dunmore.store.db import transaction
from dunmore.workspace import waivers
from dunmore.workspace.waivers import WaiverView
from tests.scenarios.story import ACTOR, Story, day, morning

LIMITS = {"CNY": 6000}


def ask(engine: Engine, when: str, item: str, amount: str | None, **more: Any) -> WaiverView:
    with transaction(engine) as conn:
        return waivers.request_waiver(
            conn,
            item=item,
            amount=None if amount is None else Decimal(amount),
            reason=more.pop("reason", "goodwill: a long-standing customer"),
            on=day(when),
            now=morning(when),
            actor=ACTOR,
            by=more.pop("by", "zhao"),
            thresholds=LIMITS,
            **more,
        )


def decide(engine: Engine, when: str, waiver_id: int, *, approve: bool, checker: str) -> WaiverView:
    with transaction(engine) as conn:
        return waivers.decide_waiver(
            conn,
            waiver_id=waiver_id,
            approve=approve,
            checker=checker,
            on=day(when),
            now=morning(when),
            actor=ACTOR,
        )


def fee_items(story: Story) -> dict[str, str]:
    return {name: text.split("open ")[1] for name, text in story.charges().items() if name.startswith("FEE-")}


@pytest.fixture
def story(engine: Engine) -> Story:
    with transaction(engine) as conn:
        for login, role in (("zhao", Role.COLLECTOR), ("boss", Role.MANAGER), ("chief", Role.MANAGER)):
            add_user(
                conn,
                login=login,
                role=role,
                password="a long enough password",
                actor=ACTOR,
                at=morning("2026-01-01"),
                portfolios=["default"] if role is Role.COLLECTOR else [],
            )
    found = Story(engine)
    found.customer("C1", grade="B")
    found.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    found.run("2026-09-04")
    found.run("2026-09-16")
    return found


def test_a_waiver_under_the_threshold_is_applied_at_once_by_a_credit_note(
    engine: Engine, story: Story
) -> None:
    [fee] = fee_items(story)
    assert fee_items(story) == {fee: "50.00"}
    done = ask(engine, "2026-09-18", fee, "20.00")
    assert (done.status, str(done.amount)) == ("applied", "20.00 CNY")
    assert fee_items(story) == {fee: "30.00"}
    with engine.connect() as conn:
        notes = conn.execute(select(CREDIT_NOTES.c.external_id, CREDIT_NOTES.c.amount_minor)).all()
    assert [tuple(n) for n in notes] == [(f"CN-WVR-{done.id}", 2000)]
    # the rest, by default
    assert str(ask(engine, "2026-09-19", fee, None).amount) == "30.00 CNY"
    assert fee_items(story) == {fee: "0.00"}
    with pytest.raises(AmountError):
        ask(engine, "2026-09-20", fee, "0.01")


def test_a_waiver_above_the_threshold_waits_for_another_manager(engine: Engine, story: Story) -> None:
    story.run("2026-10-01")  # level 3: a fee of 100.00
    second = next(name for name, left in fee_items(story).items() if left == "100.00")
    asked = ask(engine, "2026-10-02", second, None, by="boss")
    assert asked.status == "pending"
    assert fee_items(story)[second] == "100.00"  # nothing is waived yet
    with pytest.raises(PermissionDenied, match="asked for a waiver"):
        decide(engine, "2026-10-03", asked.id, approve=True, checker="boss")
    with pytest.raises(PermissionDenied, match="manager or an administrator"):
        decide(engine, "2026-10-03", asked.id, approve=True, checker="zhao")
    done = decide(engine, "2026-10-03", asked.id, approve=True, checker="chief")
    assert (done.status, done.decided_by) == ("applied", "chief")
    assert fee_items(story)[second] == "0.00"
    with pytest.raises(BadArgument, match="not waiting for approval"):
        decide(engine, "2026-10-04", asked.id, approve=False, checker="chief")


def test_a_rejected_waiver_waives_nothing_and_an_invoice_cannot_be_waived(
    engine: Engine, story: Story
) -> None:
    [fee] = fee_items(story)
    with transaction(engine) as conn:
        asked = waivers.request_waiver(
            conn,
            item=fee,
            amount=Decimal("50.00"),
            reason="asked twice",
            on=day("2026-09-18"),
            now=morning("2026-09-18"),
            actor=ACTOR,
            by="zhao",
            thresholds={"CNY": 0},
        )
    # a pending waiver holds its amount: no second waiver of the same money
    with pytest.raises(AmountError):
        ask(engine, "2026-09-18", fee, "0.01")
    assert decide(engine, "2026-09-19", asked.id, approve=False, checker="boss").status == "rejected"
    assert fee_items(story) == {fee: "50.00"}
    with pytest.raises(BadArgument, match="is an invoice"):
        ask(engine, "2026-09-19", "INV-1", "1.00")
    with pytest.raises(BadArgument, match="needs a reason"):
        ask(engine, "2026-09-19", fee, "1.00", reason="  ")
    with engine.connect() as conn:
        listed = waivers.list_waivers(conn)
    assert [(w.id, w.status, w.decided_by) for w in listed] == [(asked.id, "rejected", "boss")]
