"""The ladder of the standard policy (examples/dunning.yaml), one unpaid invoice at a time.

Standard: reminders pre-due (−3) and due-today (0); levels 1 first-overdue (+3), 2 second-overdue
(+15, fee 50.00 CNY), 3 final-notice (+30, fee 100.00 CNY, charges interest), 4 legal-review (+60,
waits for approval); 7 days at least between two level notices of a group; interest 3.65 % a year,
which is exactly 0.01 % of the amount per day (10,000.00 CNY for 30 days → 30.00).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from tests.scenarios.story import Story, digest


def test_an_unpaid_invoice_meets_every_step_on_its_day_and_nothing_in_between(engine: Engine) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")

    assert story.run("2026-08-28") == []
    assert digest(story.run("2026-08-29")) == ["C1 CNY reminder pre-due: INV-1 L0 -3d 10000.00"]
    assert story.run("2026-08-31") == []
    assert digest(story.run("2026-09-01")) == ["C1 CNY reminder due-today: INV-1 L0 +0d 10000.00"]
    assert story.run("2026-09-03") == []
    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"
    ]
    assert story.run("2026-09-15") == []
    second = story.run("2026-09-16")
    assert digest(second) == ["C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +15d 10000.00 (interest 15.00)"]
    fee_2 = f"FEE-{second[0]['notice_id']}"
    assert story.run("2026-09-30") == []
    final = story.run("2026-10-01")
    assert digest(final) == [
        "C1 CNY L3 final-notice fee 100.00 interest 30.00: "
        f"INV-1 L3 +30d 10000.00 (interest 30.00), {fee_2} L0 +15d 50.00"
    ]
    fee_3, interest_3 = f"FEE-{final[0]['notice_id']}", f"INT-{final[0]['notice_id']}"
    assert story.run("2026-10-30") == []
    # Only the interest accrued since the final notice is still owed: 60 days' worth less 30.00.
    assert digest(story.run("2026-10-31")) == [
        "C1 CNY L4 legal-review (pending approval): INV-1 L4 +60d 10000.00 (interest 30.00), "
        f"{fee_2} L0 +45d 50.00, {fee_3} L0 +30d 100.00, {interest_3} L0 +30d 30.00"
    ]

    assert story.levels() == {"INV-1": 3}
    assert story.level_dates() == {"INV-1": date(2026, 10, 1)}
    assert story.reminders() == {("INV-1", "pre-due"): "sent", ("INV-1", "due-today"): "sent"}
    assert story.charges() == {
        fee_2: "due 2026-09-16: 50.00 CNY, open 50.00",
        fee_3: "due 2026-10-01: 100.00 CNY, open 100.00",
        interest_3: "due 2026-10-01: 30.00 CNY, open 30.00",
    }
    assert story.interest_charged() == {"INV-1": "30.00"}


def test_a_second_invoice_waits_seven_days_after_the_last_level_notice_of_its_group(engine: Engine) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.invoice("INV-2", "C1", issued="2026-08-06", due="2026-09-06", amount="4000.00")

    assert digest(story.run("2026-09-03")) == ["C1 CNY reminder pre-due: INV-2 L0 -3d 4000.00"]
    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"
    ]
    assert digest(story.run("2026-09-06")) == ["C1 CNY reminder due-today: INV-2 L0 +0d 4000.00"]
    # INV-2 is 3 days late on 09-09, but the group had a level notice 5 days before.
    assert story.run("2026-09-09") == []
    assert story.run("2026-09-10") == []
    assert digest(story.run("2026-09-11")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +10d 10000.00 (interest 10.00), "
        "INV-2 L1 +5d 4000.00 (interest 2.00)"
    ]
    # INV-1 reaches +15 on 09-16, five days after that notice: its second-overdue waits too.
    assert story.run("2026-09-16") == []
    assert story.run("2026-09-17") == []
    assert digest(story.run("2026-09-18")) == [
        "C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +17d 10000.00 (interest 17.00), "
        "INV-2 L1 +12d 4000.00 (interest 4.80)"
    ]
    assert story.levels() == {"INV-1": 2, "INV-2": 1}
    assert story.group("C1") == {
        "last_level_notice": date(2026, 9, 18),
        "fee_levels": "2",
        "episode_open": True,
    }
