"""The run alerts the owner and the managers: a high-value invoice becoming overdue, a customer
reaching the alert level — once each, however many runs follow.

Customer C1 (owned by sales user wang) owes INV-1, ¥200,000.00 due 2026-01-01; high value is
¥100,000.00 and the alert level 3 (the example policy's final notice, at 30 days past due).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select, update

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.ledger.models import CUSTOMERS
from dunmore.run import service
from dunmore.store.db import transaction
from dunmore.workspace.models import ALERTS
from dunmore.workspace.run_alerts import AlertRules
from tests.scenarios.story import ACTOR, UNGATED, Story, day, morning

RULES = AlertRules(level=3, high_value_minor={"CNY": 10_000_000})


def _story(engine: Engine) -> Story:
    story = Story(engine)
    story.customer("C1")
    story.customer("C2")
    story.invoice("INV-1", "C1", issued="2025-12-01", due="2026-01-01", amount="200000.00")
    story.invoice("INV-2", "C2", issued="2025-12-01", due="2026-01-01", amount="99999.99")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.external_id == "C1").values(owner="Wang"))
        for login, role in (("wang", Role.SALES), ("boss", Role.MANAGER)):
            add_user(conn, login=login, role=role, password="a long enough password", actor="test",
                     at=datetime(2025, 12, 1, tzinfo=UTC))  # fmt: skip
    return story


def _run(story: Story, as_of: str, rules: AlertRules = RULES) -> list[tuple[str, str, str]]:
    """Commit the run for `as_of` with the alert rules; the alerts it raised (kind, recipient, key)."""
    with transaction(story.engine, snapshot=True) as conn:
        before = {row.id for row in conn.execute(select(ALERTS.c.id))}
        service.commit(conn, as_of=day(as_of), today=day(as_of), now=morning(as_of), actor=ACTOR,
                       alerting=rules, **UNGATED)  # fmt: skip
        rows = conn.execute(select(ALERTS).order_by(ALERTS.c.kind, ALERTS.c.recipient)).all()
    return [(row.kind, row.recipient, row.key.split(":")[0]) for row in rows if row.id not in before]


def test_a_high_value_invoice_alerts_the_day_it_becomes_overdue_and_level_3_once(engine: Engine) -> None:
    story = _story(engine)
    # 2026-01-02: INV-1 is one day past due. Its customer's owner and the manager hear of it; INV-2,
    # one fen under the threshold, alerts nobody.
    assert _run(story, "2026-01-02") == [
        ("high_value_overdue", "boss", "high-value-overdue"),
        ("high_value_overdue", "wang", "high-value-overdue"),
    ]
    # 2026-01-04 and 2026-01-16: levels 1 and 2, below the alert level; the invoice alerted already.
    assert _run(story, "2026-01-04") == []
    assert _run(story, "2026-01-16") == []
    # 2026-01-31: the final notice (level 3) for both customers: C1 alerts wang and boss, C2 (no
    # owner among the users) the manager only.
    assert _run(story, "2026-01-31") == [
        ("level_passed", "boss", "level-passed"),
        ("level_passed", "boss", "level-passed"),
        ("level_passed", "wang", "level-passed"),
    ]
    # 2026-02-01: the next day's run raises nothing new.
    assert _run(story, "2026-02-01") == []


def test_without_a_threshold_no_invoice_alerts(engine: Engine) -> None:
    story = _story(engine)
    with transaction(story.engine, snapshot=True) as conn:
        service.commit(conn, as_of=day("2026-01-02"), today=day("2026-01-02"), now=morning("2026-01-02"),
                       actor=ACTOR, **UNGATED)  # fmt: skip
        assert conn.execute(select(ALERTS)).all() == []


def test_a_level_above_the_alert_level_in_the_same_episode_alerts_no_more(engine: Engine) -> None:
    story, level_2 = _story(engine), AlertRules(level=2)
    assert _run(story, "2026-01-04", level_2) == []  # level 1
    assert [kind for kind, _who, _key in _run(story, "2026-01-16", level_2)] == ["level_passed"] * 3
    assert _run(story, "2026-01-31", level_2) == []  # level 3: the episode passed level 2 already
