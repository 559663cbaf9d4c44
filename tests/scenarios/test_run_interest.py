"""Late-payment interest: simple, ACT/365, from the day after the due date, charged once.

The policy here charges interest on both of its levels, so that the first notice — 30 days after
the due date — already charges it. 3.65 % a year is exactly 0.01 % a day.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.scenarios.story import Story, digest, policy_file

LATE_INTEREST = """\
policies:
  late-interest:
    interest: {annual_rate: "0.0365"}
    levels:
      - {name: final-notice, at: 30, channels: [letter], template: final-notice, charge_interest: true}
      - {name: collection, at: 45, channels: [letter, task], template: collection, charge_interest: true}
routes:
  - {policy: late-interest}
"""


def test_the_example_of_the_design_page_and_interest_charged_only_once(
    engine: Engine, tmp_path: Path
) -> None:
    story = Story(engine, policy_file(tmp_path, LATE_INTEREST))
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.pay("PAY-1", "C1", on="2026-09-21", amount="4000.00", invoice="INV-1")

    # 4,000.00 × 20 days + 6,000.00 × 30 days = 26,000,000 minor-days × 0.0365 / 365 = 26.00
    final = story.run("2026-10-01")
    assert digest(final) == ["C1 CNY L1 final-notice interest 26.00: INV-1 L1 +30d 6000.00 (interest 26.00)"]
    interest_1 = f"INT-{final[0]['notice_id']}"
    assert story.charges() == {interest_1: "due 2026-10-01: 26.00 CNY, open 26.00"}

    # 15 days later only what accrued since is charged: 6,000.00 × 15 days = 9.00.
    assert digest(story.run("2026-10-16")) == [
        "C1 CNY L2 collection interest 9.00: INV-1 L2 +45d 6000.00 (interest 9.00), "
        f"{interest_1} L0 +15d 26.00"
    ]
    assert story.interest_charged() == {"INV-1": "35.00"}


def test_interest_ending_in_exactly_half_a_fen_rounds_up(engine: Engine, tmp_path: Path) -> None:
    story = Story(engine, policy_file(tmp_path, LATE_INTEREST))
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="20015.00")

    # 2,001,500 fen × 30 days × 0.0001 = 6,004.5 fen: half-up gives 60.05 (half-even would give 60.04).
    assert digest(story.run("2026-10-01")) == [
        "C1 CNY L1 final-notice interest 60.05: INV-1 L1 +30d 20015.00 (interest 60.05)"
    ]
