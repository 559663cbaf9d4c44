"""Disputes with a life, as dated stories of one customer (SQLite and PostgreSQL).

C1 (owned by the sales user wang, in the portfolio `north`) owes INV-1, 10,000.00 CNY due
2026-09-01, under the standard policy of examples/dunning.yaml: level 1 at +3 days, level 2 at +15
(fee 50.00), level 3 at +30 (fee 100.00 and interest). The manager boss hears of every dispute.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from dunmore.access.service import add_user
from dunmore.access.values import Role, User
from dunmore.errors import AmountError, BadArgument, NotFound
from dunmore.ledger.models import CREDIT_NOTES, CUSTOMERS, INVOICES
from dunmore.store.db import transaction
from dunmore.webhooks import service as webhook_service
from dunmore.webhooks.models import WEBHOOK_EVENTS
from dunmore.workspace import disputes
from dunmore.workspace.models import ALERTS, DISPUTES
from tests.scenarios.story import ACTOR, Notices, Story, day, morning
from tests.scenarios.story import digest as full_digest

PASSWORD = "a long enough password"


def digest(notices: Notices) -> list[str]:
    """The story's digest without the interest each item shows (interest is not what these tell)."""
    interest = r" \(interest [0-9.]+\)| interest [0-9.]+(?=:)"
    return [re.sub(interest, "", line) for line in full_digest(notices)]


def users(engine: Engine) -> dict[str, User]:
    found = {}
    with transaction(engine) as conn:
        for login, role, portfolios in (
            ("wang", Role.SALES, ()),
            ("boss", Role.MANAGER, ()),
            ("zhao", Role.COLLECTOR, ("north",)),
            ("qian", Role.COLLECTOR, ("south",)),
        ):
            found[login] = add_user(
                conn,
                login=login,
                role=role,
                password=PASSWORD,
                portfolios=portfolios,
                actor=ACTOR,
                at=morning("2026-01-01"),
            )
    return found


def story_of_c1(engine: Engine) -> Story:
    story = Story(engine)
    story.customer("C1", grade="B")
    with transaction(engine) as conn:
        conn.execute(
            update(CUSTOMERS).where(CUSTOMERS.c.external_id == "C1").values(owner="Wang", portfolio="north")
        )
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    return story


def open_on(engine: Engine, when: str, amount: str, **more: Any) -> disputes.Opened:
    with transaction(engine) as conn:
        return disputes.open_dispute(
            conn,
            invoice=more.pop("invoice", "INV-1"),
            amount=Decimal(amount),
            reason=more.pop("reason", "quality"),
            now=morning(when),
            actor=ACTOR,
            **more,
        )


def resolve_on(engine: Engine, when: str, dispute_id: int, outcome: str, **more: Any) -> disputes.Resolved:
    with transaction(engine) as conn:
        return disputes.resolve_dispute(
            conn, dispute_id=dispute_id, outcome=outcome, on=day(when), now=morning(when), actor=ACTOR, **more
        )


def invoice_state(engine: Engine, invoice: str = "INV-1") -> tuple[str, str]:
    """(open, disputed) of the invoice, as decimal text."""
    i = INVOICES.c
    with engine.connect() as conn:
        row = conn.execute(select(i.open_minor, i.disputed_minor).where(i.external_id == invoice)).one()
    return f"{Decimal(row.open_minor) / 100:.2f}", f"{Decimal(row.disputed_minor) / 100:.2f}"


def dispute_row(engine: Engine, dispute_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(select(DISPUTES).where(DISPUTES.c.id == dispute_id)).mappings().one())


def test_a_dispute_resolved_by_a_credit_note_lowers_the_balance_and_the_rest_is_dunned(
    engine: Engine,
) -> None:
    users(engine)
    story = story_of_c1(engine)
    with transaction(engine) as conn:
        webhook_service.add(
            conn,
            url="https://erp.example.cn/hook",
            events=["dispute.opened", "dispute.resolved"],
            now=morning("2026-09-01"),
            actor=ACTOR,
        )
    assert digest(story.run("2026-09-04")) == ["C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00"]

    # 09-05: the customer says 4,000.00 of the goods were faulty. Wang (the owner) and boss hear of it.
    opened = open_on(engine, "2026-09-05", "4000.00", note="broken pallets")
    assert invoice_state(engine) == ("10000.00", "4000.00")
    with engine.connect() as conn:
        alerts = conn.execute(select(ALERTS.c.recipient, ALERTS.c.kind, ALERTS.c.params)).all()
    assert sorted((a.recipient, a.kind) for a in alerts) == [
        ("boss", "dispute_opened"),
        ("wang", "dispute_opened"),
    ]
    assert json.loads(alerts[0].params)["invoice"] == "INV-1"
    assert dispute_row(engine, opened.dispute_id)["owner"] == "wang"

    # 09-16: only the undisputed 6,000.00 is dunned.
    assert digest(story.run("2026-09-16")) == ["C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +15d 6000.00"]

    # 09-20: a credit note for 3,000.00 settles the dispute; the other 1,000.00 goes back to dunning.
    done = resolve_on(engine, "2026-09-20", opened.dispute_id, "credit-note", amount=Decimal("3000.00"))
    assert (done.credit_note, str(done.credited), str(done.back_to_dunning)) == (
        "CN-DSP-1",
        "3000.00 CNY",
        "1000.00 CNY",
    )
    assert invoice_state(engine) == ("7000.00", "0.00")
    with engine.connect() as conn:
        note = conn.execute(
            select(CREDIT_NOTES.c.external_id, CREDIT_NOTES.c.amount_minor, CREDIT_NOTES.c.date)
        ).one()
        events = list(conn.execute(select(WEBHOOK_EVENTS.c.type).order_by(WEBHOOK_EVENTS.c.id)).scalars())
    assert tuple(note) == ("CN-DSP-1", 300000, day("2026-09-20"))
    assert events == ["dispute.opened", "dispute.resolved"]
    row = dispute_row(engine, opened.dispute_id)
    assert (row["status"], row["outcome"], row["resolved_minor"]) == ("resolved", "credit_note", 300000)

    # 10-01: the final notice names the 7,000.00 left, the 1,000.00 once disputed included.
    notices = story.run("2026-10-01")
    assert [item["open_amount"] for item in notices[0]["items"] if item["invoice_id"] == "INV-1"] == [
        "7000.00"
    ]


def test_a_rejected_dispute_puts_the_whole_amount_back_into_dunning_and_stays_on_record(
    engine: Engine,
) -> None:
    story = story_of_c1(engine)
    opened = open_on(engine, "2026-09-02", "10000.00", reason="already-paid")
    assert story.run("2026-09-04") == []  # all of it disputed: nothing to dun
    resolve_on(engine, "2026-09-10", opened.dispute_id, "rejected", note="no proof of payment")
    assert invoice_state(engine) == ("10000.00", "0.00")
    assert digest(story.run("2026-09-11")) == ["C1 CNY L1 first-overdue: INV-1 L1 +10d 10000.00"]
    row = dispute_row(engine, opened.dispute_id)
    assert (row["status"], row["outcome"], row["reason"], row["resolved_minor"]) == (
        "resolved",
        "rejected",
        "already-paid",
        0,
    )
    with engine.connect() as conn:
        listed = disputes.list_disputes(conn, as_of=day("2026-09-30"), sla_days=14)
    assert [(v.id, v.status, v.outcome, v.age_days, v.overdue) for v in listed] == [
        (opened.dispute_id, "resolved", "rejected", 8, False)
    ]


def test_a_withdrawn_dispute_is_dunned_again_and_an_open_one_past_the_sla_is_flagged(engine: Engine) -> None:
    story = story_of_c1(engine)
    first = open_on(engine, "2026-09-02", "2000.00", reason="price")
    second = open_on(engine, "2026-09-03", "500.00", reason="quantity")
    assert invoice_state(engine) == ("10000.00", "2500.00")
    resolve_on(engine, "2026-09-08", first.dispute_id, "withdrawn")
    assert invoice_state(engine) == ("10000.00", "500.00")
    assert digest(story.run("2026-09-08")) == ["C1 CNY L1 first-overdue: INV-1 L1 +7d 9500.00"]
    with engine.connect() as conn:
        listed = disputes.list_disputes(conn, as_of=day("2026-09-20"), sla_days=14, status="open")
    assert [(v.id, v.age_days, v.overdue) for v in listed] == [(second.dispute_id, 17, True)]


def test_bounds_an_amount_above_what_is_open_and_a_second_resolution_are_refused(engine: Engine) -> None:
    story_of_c1(engine)
    opened = open_on(engine, "2026-09-02", "6000.00")
    with pytest.raises(AmountError, match=r"more than the 4000\.00 CNY"):
        open_on(engine, "2026-09-02", "4000.01")
    with pytest.raises(BadArgument, match="unknown reason"):
        open_on(engine, "2026-09-02", "1.00", reason="mood")
    with pytest.raises(AmountError, match=r"at most 6000\.00 CNY"):
        resolve_on(engine, "2026-09-03", opened.dispute_id, "credit-note", amount=Decimal("6000.01"))
    with pytest.raises(BadArgument, match="only a credit-note"):
        resolve_on(engine, "2026-09-03", opened.dispute_id, "rejected", amount=Decimal("1.00"))
    resolve_on(engine, "2026-09-03", opened.dispute_id, "withdrawn")
    with pytest.raises(BadArgument, match="already resolved"):
        resolve_on(engine, "2026-09-04", opened.dispute_id, "rejected")
    assert invoice_state(engine) == ("10000.00", "0.00")


def test_a_collector_reaches_only_the_disputes_of_their_portfolios(engine: Engine) -> None:
    people = users(engine)
    story_of_c1(engine)
    opened = open_on(engine, "2026-09-02", "100.00", user=people["zhao"])
    with pytest.raises(NotFound):
        open_on(engine, "2026-09-02", "100.00", user=people["qian"])
    with pytest.raises(NotFound):
        resolve_on(engine, "2026-09-03", opened.dispute_id, "rejected", user=people["qian"])
    with engine.connect() as conn:
        assert disputes.list_disputes(conn, as_of=day("2026-09-03"), sla_days=14, user=people["qian"]) == []
        assert (
            len(disputes.list_disputes(conn, as_of=day("2026-09-03"), sla_days=14, user=people["zhao"])) == 1
        )
    from dunmore.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        open_on(engine, "2026-09-02", "100.00", user=people["wang"])  # sales read, they do not dispute


def test_the_old_command_sets_the_total_and_the_rows_follow(engine: Engine) -> None:
    story_of_c1(engine)
    opened = open_on(engine, "2026-09-02", "1000.00")
    with transaction(engine) as conn:
        _, made = disputes.set_disputed_total(
            conn, invoice="INV-1", amount=Decimal("3000.00"), now=morning("2026-09-03"), actor=ACTOR
        )
    assert invoice_state(engine) == ("10000.00", "3000.00")
    assert [dispute_row(engine, i)["amount_minor"] for i in made] == [200000]
    with transaction(engine) as conn:
        disputes.set_disputed_total(
            conn, invoice="INV-1", amount=Decimal("500.00"), now=morning("2026-09-04"), actor=ACTOR
        )
    with engine.connect() as conn:
        still = conn.execute(
            select(DISPUTES.c.id, DISPUTES.c.amount_minor).where(DISPUTES.c.status == "open")
        ).all()
    assert invoice_state(engine) == ("10000.00", "500.00")
    assert sum(m for _, m in still) == 50000
    assert dispute_row(engine, opened.dispute_id)["status"] == "resolved"
