"""Promises to pay, told as dated stories of one customer under the standard policy
(examples/dunning.yaml: L1 at +3, L2 at +15 with a 50.00 fee, 7 days between level notices; the
default promise limits: 2 days of grace, at most 30 days out, 2 broken promises a year).

While a promise is pending its invoices do not rise; the run decides it kept, partially kept or
broken; a broken one alerts the owner and the managers and lifts the spacing at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, update

from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role, User
from dunmore.errors import NotFound, PromiseRefused
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import transaction
from dunmore.workspace import promises
from dunmore.workspace.models import ALERTS, PROMISES
from tests.scenarios.story import Story, day, digest, morning

PASSWORD = "a long enough password"


def _users(engine: Engine) -> None:
    with transaction(engine) as conn:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        add_user(
            conn, login="wang", role=Role.COLLECTOR, password=PASSWORD, portfolios=["north"], actor="t", at=at
        )
        add_user(conn, login="boss", role=Role.MANAGER, password=PASSWORD, actor="t", at=at)
        add_user(
            conn, login="zhao", role=Role.COLLECTOR, password=PASSWORD, portfolios=["south"], actor="t", at=at
        )


def _story(engine: Engine) -> Story:
    """C1, owned by the collector wang in portfolio north; INV-1 10,000.00 CNY due 2026-09-01."""
    story = Story(engine)
    story.customer("C1", grade="B")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).values(owner="wang", portfolio="north"))
    _users(engine)
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    return story


def _user(engine: Engine, login: str) -> User:
    with engine.connect() as conn:
        return get_user(conn, login=login)


def promise(
    engine: Engine,
    amount: str,
    *,
    by: str,
    on: str,
    invoices: tuple[str, ...] = ("INV-1",),
    login: str = "wang",
) -> int:
    """`login` records on `on` that C1 promised `amount` CNY by `by` (over `invoices`; none: all)."""
    with transaction(engine) as conn:
        made = promises.add(
            conn, user=_user(engine, login), customer="C1", amount=Decimal(amount), by=day(by),
            today=day(on), now=morning(on), invoices=invoices,
        )  # fmt: skip
    return made.id


def state(engine: Engine, promise_id: int) -> tuple[str, str | None, str | None, int]:
    """(status, decided on, reason, paid minor) as stored."""
    p = PROMISES.c
    with engine.connect() as conn:
        row = conn.execute(
            select(p.status, p.decided_on, p.reason, p.paid_minor).where(p.id == promise_id)
        ).one()
    return row.status, row.decided_on and row.decided_on.isoformat(), row.reason, row.paid_minor


def alerted(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(ALERTS.c.recipient, ALERTS.c.kind).order_by(ALERTS.c.recipient)).all()
    return [(row.recipient, row.kind) for row in rows]


def test_a_kept_promise_holds_the_escalation_until_the_payment_then_ends(engine: Engine) -> None:
    story = _story(engine)
    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"
    ]
    # 2026-09-05: C1 promises 4,000.00 by 2026-09-20 (paused until 2026-09-22 with the grace).
    kept = promise(engine, "4000.00", by="2026-09-20", on="2026-09-05")
    # 2026-09-16: INV-1 is 15 days late, its second level is due, but the promise holds it.
    assert story.run("2026-09-16") == []
    assert story.levels() == {"INV-1": 1}
    assert f"paused: promise #{kept} of 4000.00 CNY by 2026-09-20 (until 2026-09-22)" in (
        story.explain("C1", "2026-09-17")["INV-1"].sentences
    )
    story.pay("PAY-1", "C1", on="2026-09-18", amount="4000.00", invoice="INV-1")
    # 2026-09-19: the promise is kept; the rest (6,000.00) escalates again.
    assert digest(story.run("2026-09-19")) == [
        "C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +18d 6000.00 (interest 17.60)"
    ]
    assert state(engine, kept) == ("kept", "2026-09-19", "promise_kept", 400000)
    assert alerted(engine) == []


def test_a_broken_promise_escalates_at_the_next_run_without_waiting_out_the_spacing(engine: Engine) -> None:
    story = _story(engine)
    story.invoice("INV-2", "C1", issued="2026-08-10", due="2026-09-10", amount="5000.00")
    story.run("2026-09-04")
    assert digest(story.run("2026-09-13")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +12d 10000.00 (interest 12.00), "
        "INV-2 L1 +3d 5000.00 (interest 1.50)"
    ]
    # 2026-09-14: C1 promises its whole overdue balance by 2026-09-16 (grace until 2026-09-18).
    broken = promise(engine, "15000.00", by="2026-09-16", on="2026-09-14", invoices=())
    assert story.run("2026-09-16") == []  # INV-1 reached its second level: paused
    # 2026-09-19: nothing was paid. Six days after the last level notice, the spacing (7) would
    # hold the group until 2026-09-20; the broken promise lifts it.
    noticed = story.run("2026-09-19")
    assert digest(noticed)[0].startswith("C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +18d 10000.00")
    assert state(engine, broken) == ("broken", "2026-09-19", "promise_broken", 0)
    assert alerted(engine) == [("boss", "promise_broken"), ("wang", "promise_broken")]
    assert story.run("2026-09-20") == []  # decided once: no second alert, no second notice
    assert len(alerted(engine)) == 2


def test_a_partly_paid_promise_is_partially_kept_and_counts_as_broken(engine: Engine) -> None:
    story = _story(engine)
    partial = promise(engine, "8000.00", by="2026-09-10", on="2026-09-02")
    story.pay("PAY-1", "C1", on="2026-09-09", amount="3000.00", invoice="INV-1")
    assert story.run("2026-09-12") == []  # until 2026-09-12: paused on its last day of grace
    assert state(engine, partial)[0] == "pending"
    assert digest(story.run("2026-09-13")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +12d 7000.00 (interest 10.80)"
    ]
    assert state(engine, partial) == ("partial", "2026-09-13", "promise_partially_kept", 300000)
    assert ("wang", "promise_broken") in alerted(engine)


def test_a_cancelled_promise_no_longer_holds_anything(engine: Engine) -> None:
    story = _story(engine)
    cancelled = promise(engine, "10000.00", by="2026-09-20", on="2026-09-02")
    assert story.run("2026-09-04") == []
    with transaction(engine) as conn:
        promises.cancel(conn, user=_user(engine, "wang"), promise_id=cancelled, reason="wrong customer",
                        now=morning("2026-09-05"))  # fmt: skip
    assert digest(story.run("2026-09-05")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +4d 10000.00 (interest 4.00)"
    ]
    assert state(engine, cancelled)[0] == "cancelled"
    with pytest.raises(PromiseRefused), transaction(engine) as conn:
        promises.cancel(conn, user=_user(engine, "wang"), promise_id=cancelled, reason="again",
                        now=morning("2026-09-06"))  # fmt: skip


def test_a_revert_puts_the_promise_the_run_decided_back_to_pending(engine: Engine) -> None:
    story = _story(engine)
    broken = promise(engine, "10000.00", by="2026-09-05", on="2026-09-02")
    story.run("2026-09-08")
    assert state(engine, broken)[0] == "broken"
    run_id = story.runs()[-1][0]
    story.revert(run_id, on="2026-09-08")
    assert state(engine, broken) == ("pending", None, None, 0)


def test_promises_beyond_the_limits_are_refused_with_the_limit(engine: Engine) -> None:
    story = _story(engine)
    with pytest.raises(PromiseRefused, match="max_days_out"):
        promise(engine, "100.00", by="2026-10-10", on="2026-09-02")  # 38 days out
    with pytest.raises(PromiseRefused, match="not an open CNY invoice"):
        promise(engine, "100.00", by="2026-09-10", on="2026-09-02", invoices=("INV-9",))
    with pytest.raises(NotFound):
        promise(engine, "100.00", by="2026-09-10", on="2026-09-02", login="zhao")  # not zhao's portfolio
    for start, by in (("2026-09-02", "2026-09-04"), ("2026-09-08", "2026-09-10")):
        promise(engine, "100.00", by=by, on=start)
        story.run(f"2026-09-{int(by[-2:]) + 3:02d}")
    with pytest.raises(PromiseRefused, match="max_broken"):
        promise(engine, "100.00", by="2026-09-20", on="2026-09-14")
    assert promise(engine, "100.00", by="2026-09-20", on="2026-09-14", login="boss") > 0
