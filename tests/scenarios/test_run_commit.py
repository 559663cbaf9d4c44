"""Committing runs: same-day reruns, concurrent runs, runs back in time, dry runs and the outbox.

Standard policy of examples/dunning.yaml unless a story brings its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from dunmore.delivery.models import DELIVERIES
from dunmore.errors import RunConflict, RunError
from dunmore.ledger.models import ALLOCATIONS, INVOICES
from dunmore.run import service
from dunmore.run.models import DUNNING_GROUPS, NOTICE_ITEMS, NOTICES, REMINDER_RECORDS, RUNS
from dunmore.store.db import transaction
from tests.scenarios.story import UNGATED, Notices, Story, day, digest, morning, policy_file

DAILY = """\
policies:
  daily:
    min_days_between_notices: 0
    levels:
      - {name: first-overdue, at: 3, channels: [email], template: overdue-1}
      - {name: second-overdue, at: 15, channels: [email], template: overdue-2, fee: {CNY: "50.00"}}
      - {name: final-notice, at: 30, channels: [letter], template: final-notice}
routes:
  - {policy: daily}
"""
TABLES = (RUNS, NOTICES, NOTICE_ITEMS, REMINDER_RECORDS, DELIVERIES, DUNNING_GROUPS, INVOICES, ALLOCATIONS)


def one_invoice_story(engine: Engine) -> Story:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    return story


def test_the_first_run_on_an_empty_ledger_commits_a_run_with_no_notices(engine: Engine) -> None:
    story = Story(engine)
    assert story.run("2026-09-04") == []
    assert [story.count(table) for table in (RUNS, NOTICES)] == [1, 0]


def test_a_second_run_the_same_day_does_only_what_is_new(engine: Engine) -> None:
    story = one_invoice_story(engine)
    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"
    ]
    assert story.run("2026-09-04") == []
    # INV-2 is imported later that day, three days before its due date.
    story.invoice("INV-2", "C1", issued="2026-08-07", due="2026-09-07", amount="3000.00")
    assert digest(story.run("2026-09-04")) == ["C1 CNY reminder pre-due: INV-2 L0 -3d 3000.00"]
    assert story.run("2026-09-04") == []
    assert story.levels() == {"INV-1": 1, "INV-2": 0}
    assert story.count(NOTICES) == 2


def test_an_item_risen_today_does_not_rise_again_in_a_second_run(engine: Engine, tmp_path: Path) -> None:
    story = Story(engine, policy_file(tmp_path, DAILY))  # no spacing: only `not_risen_today` holds INV-1
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-07-01", due="2026-08-01", amount="5000.00")
    assert digest(story.run("2026-09-10")) == ["C1 CNY L1 first-overdue: INV-1 L1 +40d 5000.00"]
    assert story.run("2026-09-10") == []

    story.invoice("INV-2", "C1", issued="2026-08-07", due="2026-09-07", amount="2000.00")
    assert digest(story.run("2026-09-10")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +40d 5000.00, INV-2 L1 +3d 2000.00"
    ]
    assert story.levels() == {"INV-1": 1, "INV-2": 1}
    assert digest(story.run("2026-09-11")) == [
        "C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +41d 5000.00, INV-2 L1 +4d 2000.00"
    ]


def test_of_two_runs_deciding_the_same_day_at_once_one_commits_and_the_other_writes_nothing(
    engine: Engine,
) -> None:
    story = one_invoice_story(engine)
    winner: Notices = []

    def late_run() -> None:
        with transaction(engine, snapshot=True) as late:
            service.propose(
                late, as_of=day("2026-09-04"), today=day("2026-09-04")
            )  # its snapshot is taken here
            winner.extend(story.run("2026-09-04"))  # another connection commits meanwhile
            service.commit(
                late,
                as_of=day("2026-09-04"),
                today=day("2026-09-04"),
                now=morning("2026-09-04"),
                actor="cli:ops",
                **UNGATED,
            )

    with pytest.raises(RunConflict, match="nothing was written"):
        late_run()

    assert digest(winner) == ["C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"]
    assert [story.count(table) for table in (RUNS, NOTICES, DELIVERIES)] == [1, 1, 2]
    assert story.levels() == {"INV-1": 1}


def test_a_run_for_a_day_before_the_last_committed_run_is_refused(engine: Engine) -> None:
    story = one_invoice_story(engine)
    story.run("2026-09-10")
    for attempt in (story.run, story.propose):
        with pytest.raises(RunError, match="already committed") as refused:
            attempt("2026-09-04")
        assert refused.type is RunError
    assert story.count(RUNS) == 1


def test_a_dry_run_shows_the_notices_and_writes_nothing(engine: Engine) -> None:
    story = one_invoice_story(engine)
    story.run("2026-09-04")
    before = [story.count(table) for table in TABLES]

    proposed = story.propose("2026-09-16")

    assert digest(proposed) == ["C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +15d 10000.00 (interest 15.00)"]
    assert [(n["notice_id"], n["status"]) for n in proposed] == [(None, "proposed")]
    assert [story.count(table) for table in TABLES] == before
    assert story.levels() == {"INV-1": 1}
    # Committing the same day does what the dry run showed.
    committed = story.run("2026-09-16")
    assert digest(committed) == digest(proposed)
    assert committed[0]["status"] == "committed"


def test_every_committed_notice_has_one_pending_delivery_per_channel_of_its_step(engine: Engine) -> None:
    story = one_invoice_story(engine)
    pre_due = story.run("2026-08-29")
    first = story.run("2026-09-04")
    second = story.run("2026-09-16")

    assert story.deliveries(pre_due[0]["notice_id"]) == [("email", "pending")]
    assert story.deliveries(first[0]["notice_id"]) == [("email", "pending"), ("sms", "pending")]
    assert story.deliveries(second[0]["notice_id"]) == [("call", "pending"), ("email", "pending")]
    assert story.count(DELIVERIES) == 5
