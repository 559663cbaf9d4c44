"""The run's alerts after the run: a notice approved later alerts like one committed at once, and a
revert withdraws what its run raised, so the inbox no longer shows it and the next run may raise it
again.

Customer C1 (owned by sales user wang) owes INV-1, ¥200,000.00 due 2026-01-01; high value is
¥100,000.00. The example policy: L1 at +3, L2 at +15, final notice (L3) at +30, legal review (L4)
at +60, which waits for approval.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, select, update

from dunmore.access import audit
from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role
from dunmore.ledger.models import CUSTOMERS
from dunmore.run import service
from dunmore.run.models import NOTICES
from dunmore.run.revert import revert
from dunmore.store.db import transaction
from dunmore.workspace import inbox, promises
from dunmore.workspace.models import ALERTS, PROMISES
from dunmore.workspace.run_alerts import AlertRules
from tests.scenarios.story import ACTOR, UNGATED, Story, day, morning

HIGH = {"CNY": 10_000_000}


def _story(engine: Engine) -> Story:
    story = Story(engine)
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2025-12-01", due="2026-01-01", amount="200000.00")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.external_id == "C1").values(owner="Wang"))
        for login, role in (("wang", Role.SALES), ("boss", Role.MANAGER)):
            add_user(conn, login=login, role=role, password="a long enough password", actor="test",
                     at=datetime(2025, 12, 1, tzinfo=UTC))  # fmt: skip
    return story


def _run(story: Story, as_of: str, rules: AlertRules) -> int:
    with transaction(story.engine, snapshot=True) as conn:
        outcome = service.commit(conn, as_of=day(as_of), today=day(as_of), now=morning(as_of), actor=ACTOR,
                                 alerting=rules, **UNGATED)  # fmt: skip
    return int(outcome.run_id or 0)


def _alerts(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(ALERTS.c.kind, ALERTS.c.recipient).order_by(ALERTS.c.kind, ALERTS.c.recipient)
        )
        return [(kind, recipient) for kind, recipient in rows]


def _notices(engine: Engine, run_id: int) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(NOTICES.c.id).where(NOTICES.c.run_id == run_id)).scalars())


def _inbox(engine: Engine, login: str) -> list[str]:
    with engine.connect() as conn:
        page = inbox.list_alerts(conn, user=get_user(conn, login=login))
    return [line.kind for line in page.rows]


def test_a_legal_review_approved_later_alerts_like_one_committed_at_once(engine: Engine) -> None:
    story, level_4 = _story(engine), AlertRules(level=4)
    for as_of in ("2026-01-04", "2026-01-16", "2026-01-31", "2026-03-02"):
        _run(story, as_of, level_4)
    # 2026-03-02: the legal review waits for approval: nothing reached level 4 yet.
    assert _alerts(engine) == []
    with engine.connect() as conn:
        pending = conn.execute(
            select(NOTICES.c.id).where(NOTICES.c.status == "pending_approval")
        ).scalar_one()
    # 2026-03-03: the manager approves it: the owner and the manager hear that C1 reached level 4.
    with transaction(engine) as conn:
        service.approve(conn, pending, now=morning("2026-03-03"), actor=ACTOR, alerting=level_4, **UNGATED)
    assert _alerts(engine) == [("level_passed", "boss"), ("level_passed", "wang")]
    assert _inbox(engine, "wang") == ["level_passed"]


def test_a_revert_withdraws_the_alerts_of_its_run_only_and_the_run_again_raises_them_again(
    engine: Engine,
) -> None:
    story, rules = _story(engine), AlertRules(level=1, high_value_minor=HIGH)
    # 2026-01-02: INV-1 became overdue (high value); 2026-01-04: C1's first reminder (level 1).
    first = _run(story, "2026-01-02", rules)
    second = _run(story, "2026-01-04", rules)
    assert _alerts(engine) == [("high_value_overdue", "boss"), ("high_value_overdue", "wang"),
                               ("level_passed", "boss"), ("level_passed", "wang")]  # fmt: skip
    assert sorted(_inbox(engine, "boss")) == ["high_value_overdue", "level_passed"]
    # The reminder's run is reverted: what it told people did not happen, and the inbox forgets it;
    # the alert of the run before stays.
    with transaction(engine) as conn:
        revert(conn, second, now=morning("2026-01-04"), actor=ACTOR)
    assert _alerts(engine) == [("high_value_overdue", "boss"), ("high_value_overdue", "wang")]
    assert _inbox(engine, "wang") == ["high_value_overdue"]
    with engine.connect() as conn:
        (row,) = audit.list_rows(conn, object=f"run:{second}", action="run.revert")
    withdrawn = json.loads(row.after or "{}")["alerts_withdrawn"]
    assert withdrawn == [f"level-passed:{notice}" for notice in _notices(engine, second)]
    # Then the first run too: nothing is left, and running that day again raises its alert again.
    with transaction(engine) as conn:
        revert(conn, first, now=morning("2026-01-04"), actor=ACTOR)
    assert _alerts(engine) == []
    assert _inbox(engine, "boss") == []
    _run(story, "2026-01-02", rules)
    assert _alerts(engine) == [("high_value_overdue", "boss"), ("high_value_overdue", "wang")]


def test_a_revert_withdraws_the_broken_promise_alert_and_the_promise_is_pending_again(engine: Engine) -> None:
    story, rules = _story(engine), AlertRules(level=9)
    with transaction(engine) as conn:
        boss = get_user(conn, login="boss")
        made = promises.add(conn, user=boss, customer="C1", amount=Decimal("5000.00"), by=day("2026-01-08"),
                            today=day("2026-01-05"), now=morning("2026-01-05"))  # fmt: skip
    # 2026-01-11: nothing paid by the 8th and its two days of grace: the run breaks the promise.
    run = _run(story, "2026-01-11", rules)
    assert _alerts(engine) == [("promise_broken", "boss"), ("promise_broken", "wang")]
    with transaction(engine) as conn:
        revert(conn, run, now=morning("2026-01-11"), actor=ACTOR)
        status = conn.execute(select(PROMISES.c.status).where(PROMISES.c.id == made.id)).scalar_one()
    assert status == "pending"
    assert _alerts(engine) == []
    assert _inbox(engine, "wang") == []
