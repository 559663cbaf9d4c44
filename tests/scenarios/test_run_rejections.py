"""Rejections stick: a rejected legal review is not proposed again until the debt grows or a person
reopens it, and `explain` says so.

The `review` policy: levels 1 first-overdue (+3) and 2 legal-review (+10, requires approval);
7 days between level notices; no interest, no minimum.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from dunmore.errors import RunError
from tests.scenarios.story import Story, digest, policy_file

REVIEW = """\
policies:
  review:
    min_days_between_notices: 7
    levels:
      - {name: first-overdue, at: 3, channels: [email], template: overdue-1}
      - {name: legal-review, at: 10, channels: [task], template: legal-review, requires_approval: true}
routes:
  - {policy: review}
"""


def review_story(engine: Engine, folder: Path) -> tuple[Story, int]:
    """C1 owes 10,000.00 due 2026-02-15; the run of 2026-03-01 proposes its legal review."""
    story = Story(engine, policy_file(folder, REVIEW))
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-01-15", due="2026-02-15", amount="10000.00")
    assert digest(story.run("2026-02-18")) == ["C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00"]
    review = story.run("2026-03-01")
    assert digest(review) == ["C1 CNY L2 legal-review (pending approval): INV-1 L2 +14d 10000.00"]
    return story, int(review[0]["notice_id"])


def test_a_rejected_legal_review_waits_until_a_new_invoice_raises_the_dunned_amount(
    engine: Engine, tmp_path: Path
) -> None:
    story, notice_id = review_story(engine, tmp_path)
    story.reject(notice_id, on="2026-03-02", reason="the customer pays through its parent", by="wang")

    # 03-08: the group would rise to legal review again, but the manager's decision stands.
    assert story.run("2026-03-08") == []
    held = story.explain("C1", "2026-03-08")["INV-1"]
    assert held.reasons == ["route_default", "held_by_rejection", "next_after_rejection"]
    assert held.sentences[1] == (
        f"held back: notice {notice_id} for step legal-review was rejected on 2026-03-02 by wang because "
        "the customer pays through its parent; it is proposed again when the dunned amount (now 10000.00) "
        f"exceeds 10000.00 CNY, or after `dunmore reopen {notice_id}`"
    )
    assert held.facts["next_step"] == {
        "step": "legal-review",
        "date": None,
        "when_dunned_amount_exceeds": "10000.00",
    }

    # A new invoice falls due on 03-10: on 03-14 the dunned amount is 10,500.00, above the rejected one.
    story.invoice("INV-2", "C1", issued="2026-03-01", due="2026-03-10", amount="500.00")
    assert digest(story.run("2026-03-14")) == [
        "C1 CNY L2 legal-review (pending approval): INV-1 L2 +27d 10000.00, INV-2 L1 +4d 500.00"
    ]


def test_a_payment_that_brings_the_amount_back_down_holds_the_group_again(
    engine: Engine, tmp_path: Path
) -> None:
    story, notice_id = review_story(engine, tmp_path)
    story.reject(notice_id, on="2026-03-02")
    story.pay("PAY-1", "C1", on="2026-03-05", amount="600.00", invoice="INV-1")
    story.invoice("INV-2", "C1", issued="2026-03-01", due="2026-03-10", amount="500.00")
    # 9,400.00 + 500.00 = 9,900.00 does not exceed the rejected 10,000.00.
    assert story.run("2026-03-14") == []


def test_reopening_a_rejection_lets_the_next_run_propose_the_step_again(
    engine: Engine, tmp_path: Path
) -> None:
    story, notice_id = review_story(engine, tmp_path)
    story.reject(notice_id, on="2026-03-02")
    assert story.run("2026-03-08") == []

    assert story.reopen(notice_id, on="2026-03-09", by="li") == 1
    assert digest(story.run("2026-03-09")) == [
        "C1 CNY L2 legal-review (pending approval): INV-1 L2 +22d 10000.00"
    ]
    with pytest.raises(RunError, match="reopened, not a standing rejection"):
        story.reopen(notice_id, on="2026-03-09")
