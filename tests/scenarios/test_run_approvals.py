"""Approvals: a level that requires approval changes nothing until a person approves it.

The `strict` policy: pre-due reminder (−3); levels 1 first-overdue (+3), 2 legal-review (+10, fee
200.00 CNY and interest, requires approval), 3 handover (+14); 7 days between level notices;
interest 0.01 % a day.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dunmore.errors import BadArgument, NotFound, RunError
from tests.scenarios.story import Story, digest, policy_file

STRICT = """\
policies:
  strict:
    min_days_between_notices: 7
    interest: {annual_rate: "0.0365"}
    reminders:
      - {name: pre-due, at: -3, channels: [email], template: reminder-pre-due}
    levels:
      - {name: first-overdue, at: 3, channels: [email], template: overdue-1}
      - name: legal-review
        at: 10
        channels: [task, letter]
        template: legal-review
        fee: {CNY: "200.00"}
        charge_interest: true
        requires_approval: true
      - {name: handover, at: 14, channels: [letter], template: handover}
routes:
  - {policy: strict}
"""
BEFORE_APPROVAL = {"last_level_notice": date(2026, 9, 4), "fee_levels": "", "episode_open": True}


def strict_story(engine: Engine, folder: Path) -> Story:
    story = Story(engine, policy_file(folder, STRICT))
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"
    ]
    return story


def test_a_pending_legal_review_waits_and_applies_as_of_its_run_date_once_approved(
    engine: Engine, tmp_path: Path
) -> None:
    story = strict_story(engine, tmp_path)
    story.invoice("INV-2", "C1", issued="2026-09-01", due="2026-09-15", amount="1500.00")

    review = story.run("2026-09-11")
    assert digest(review) == [
        "C1 CNY L2 legal-review fee 200.00 interest 10.00 (pending approval): "
        "INV-1 L2 +10d 10000.00 (interest 10.00)"
    ]
    notice_id = review[0]["notice_id"]
    assert review[0]["status"] == "pending_approval"
    assert (story.levels(), story.charges(), story.deliveries(notice_id)) == (
        {"INV-1": 1, "INV-2": 0},
        {},
        [],
    )
    assert story.group("C1") == BEFORE_APPROVAL

    # While it waits the reminders go on, but the group gets no new level notice.
    assert digest(story.run("2026-09-12")) == ["C1 CNY reminder pre-due: INV-2 L0 -3d 1500.00"]
    assert "awaiting_approval" in story.explain("C1", "2026-09-12")["INV-1"].reasons

    story.approve(notice_id, on="2026-09-14")
    assert story.status(notice_id) == "approved"
    assert story.levels() == {"INV-1": 2, "INV-2": 0}
    assert story.level_dates() == {"INV-1": date(2026, 9, 11), "INV-2": None}
    assert story.charges() == {
        f"FEE-{notice_id}": "due 2026-09-11: 200.00 CNY, open 200.00",
        f"INT-{notice_id}": "due 2026-09-11: 10.00 CNY, open 10.00",
    }
    assert story.interest_charged() == {"INV-1": "10.00", "INV-2": "0.00"}
    assert story.deliveries(notice_id) == [("letter", "pending"), ("task", "pending")]
    assert story.group("C1") == {
        "last_level_notice": date(2026, 9, 11),
        "fee_levels": "2",
        "episode_open": True,
    }

    # The spacing clock started on the run date, 09-11: handover (+14) waits until 09-18.
    assert story.run("2026-09-15") == []
    assert digest(story.run("2026-09-18")) == [
        "C1 CNY L3 handover: INV-1 L3 +17d 10000.00 (interest 7.00), INV-2 L1 +3d 1500.00 (interest 0.45), "
        f"FEE-{notice_id} L0 +7d 200.00, INT-{notice_id} L0 +7d 10.00"
    ]


def test_a_rejected_legal_review_changes_nothing_and_is_not_proposed_again_at_the_next_run(
    engine: Engine, tmp_path: Path
) -> None:
    story = strict_story(engine, tmp_path)
    review = story.run("2026-09-11")
    notice_id = review[0]["notice_id"]

    story.reject(notice_id, on="2026-09-11")
    assert story.status(notice_id) == "rejected"
    assert (story.levels(), story.charges(), story.deliveries(notice_id)) == ({"INV-1": 1}, {}, [])
    assert story.interest_charged() == {"INV-1": "0.00"}
    assert story.group("C1") == BEFORE_APPROVAL
    with pytest.raises(RunError, match="rejected, not waiting for approval"):
        story.approve(notice_id, on="2026-09-11")
    with pytest.raises(NotFound):
        story.approve(notice_id + 100, on="2026-09-11")

    # The rejection is a decision: the same legal review is not proposed at the next run.
    assert story.run("2026-09-12") == []
    assert "held_by_rejection" in story.explain("C1", "2026-09-12")["INV-1"].reasons


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    story = strict_story(engine, tmp_path)
    notice_id = story.run("2026-09-11")[0]["notice_id"]
    with pytest.raises(BadArgument, match="needs a reason"):
        story.reject(notice_id, on="2026-09-11", reason="  ")
    assert story.status(notice_id) == "pending_approval"
