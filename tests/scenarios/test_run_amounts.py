"""What counts: minimum amounts, disputes, payments between runs, and fees once per episode.

Unless a story brings its own policy it uses the standard policy of examples/dunning.yaml:
minimum overdue 100.00 CNY, levels at +3, +15 (fee 50.00), +30 (fee 100.00 and interest), 7 days
between level notices, interest 0.01 % a day.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from tests.scenarios.story import Story, digest, policy_file

FIRM = """\
policies:
  firm:
    minimum_overdue: {CNY: "7500.00"}
    interest: {annual_rate: "0.0365"}
    levels:
      - {name: final-notice, at: 30, channels: [letter], template: final-notice, charge_interest: true}
routes:
  - {policy: firm}
"""


def test_a_group_below_the_minimum_gets_reminders_and_rises_once_a_second_invoice_lifts_it(
    engine: Engine,
) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="60.00")
    story.invoice("INV-2", "C1", issued="2026-08-10", due="2026-09-10", amount="50.00")

    assert digest(story.run("2026-08-29")) == ["C1 CNY reminder pre-due: INV-1 L0 -3d 60.00"]
    assert digest(story.run("2026-09-01")) == ["C1 CNY reminder due-today: INV-1 L0 +0d 60.00"]
    # 60.00 overdue is below the 100.00 minimum: no level notice, however late.
    assert story.run("2026-09-04") == []
    assert story.explain("C1", "2026-09-04")["INV-1"].reasons == [
        "route_default",
        "below_minimum",
        "next_at_minimum",
    ]
    assert digest(story.run("2026-09-07")) == ["C1 CNY reminder pre-due: INV-2 L0 -3d 50.00"]
    assert digest(story.run("2026-09-10")) == ["C1 CNY reminder due-today: INV-2 L0 +0d 50.00"]
    # 09-13: INV-2 is overdue too, 110.00 in all. 0.015 CNY of interest on INV-2 rounds up to 0.02.
    assert digest(story.run("2026-09-13")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +12d 60.00 (interest 0.07), INV-2 L1 +3d 50.00 (interest 0.02)"
    ]
    assert story.levels() == {"INV-1": 1, "INV-2": 1}


def test_only_the_undisputed_remainder_counts_in_sums_on_notices_and_for_interest(
    engine: Engine, tmp_path: Path
) -> None:
    story = Story(engine, policy_file(tmp_path, FIRM))
    story.customer("C1")
    story.invoice(
        "INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00", disputed="10000.00"
    )
    story.invoice("INV-2", "C1", issued="2026-08-01", due="2026-09-01", amount="8000.00", disputed="3000.00")
    story.invoice("INV-3", "C1", issued="2026-08-01", due="2026-09-01", amount="2000.00")

    # 20,000.00 is overdue but only 7,000.00 of it undisputed: below the 7,500.00 minimum.
    assert story.run("2026-10-01") == []
    # On 10-05 the customer drops 1,000.00 of the dispute on INV-2: 8,000.00 undisputed.
    story.dispute("INV-2", "2000.00")
    assert digest(story.run("2026-10-05")) == [
        "C1 CNY L1 final-notice interest 27.20: "
        "INV-2 L1 +34d 6000.00 (interest 20.40), INV-3 L1 +34d 2000.00 (interest 6.80)"
    ]
    assert story.levels() == {"INV-1": 0, "INV-2": 1, "INV-3": 1}
    assert story.interest_charged() == {"INV-1": "0.00", "INV-2": "20.40", "INV-3": "6.80"}


def test_payments_between_runs_shrink_and_drop_items_and_a_new_episode_charges_fees_again(
    engine: Engine,
) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.invoice("INV-2", "C1", issued="2026-08-01", due="2026-09-01", amount="3000.00")

    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00), INV-2 L1 +3d 3000.00 (interest 0.90)"
    ]
    story.pay("PAY-1", "C1", on="2026-09-10", amount="4000.00", invoice="INV-1")
    second = story.run("2026-09-16")
    # INV-1's interest: 4,000.00 paid 9 days late, 6,000.00 still open after 15 days.
    assert digest(second) == [
        "C1 CNY L2 second-overdue fee 50.00: "
        "INV-1 L2 +15d 6000.00 (interest 12.60), INV-2 L2 +15d 3000.00 (interest 4.50)"
    ]
    fee_2 = f"FEE-{second[0]['notice_id']}"
    story.pay("PAY-2", "C1", on="2026-09-20", amount="3000.00", invoice="INV-2")
    final = story.run("2026-10-01")
    assert digest(final) == [
        f"C1 CNY L3 final-notice fee 100.00 interest 21.60: INV-1 L3 +30d 6000.00 (interest 21.60), "
        f"{fee_2} L0 +15d 50.00"
    ]
    # Everything is paid on 10-05: INV-1, both fees and the interest item.
    story.pay("PAY-3", "C1", on="2026-10-05", amount="6171.60")
    assert story.run("2026-10-08") == []
    assert story.group("C1") == {
        "last_level_notice": date(2026, 10, 1),
        "fee_levels": "",
        "episode_open": False,
    }

    story.invoice("INV-3", "C1", issued="2026-09-20", due="2026-10-20", amount="5000.00")
    assert digest(story.run("2026-10-23")) == [
        "C1 CNY L1 first-overdue: INV-3 L1 +3d 5000.00 (interest 1.50)"
    ]
    # A new episode: second-overdue charges its fee again.
    assert digest(story.run("2026-11-04")) == [
        "C1 CNY L2 second-overdue fee 50.00: INV-3 L2 +15d 5000.00 (interest 7.50)"
    ]
    assert story.group("C1") == {
        "last_level_notice": date(2026, 11, 4),
        "fee_levels": "2",
        "episode_open": True,
    }


def test_a_second_invoice_reaching_a_charged_level_in_the_same_episode_pays_no_second_fee(
    engine: Engine,
) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.invoice("INV-2", "C1", issued="2026-08-20", due="2026-09-20", amount="2000.00")

    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"
    ]
    second = story.run("2026-09-16")
    assert digest(second) == ["C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +15d 10000.00 (interest 15.00)"]
    fee_2 = f"FEE-{second[0]['notice_id']}"
    assert digest(story.run("2026-09-23")) == [
        "C1 CNY L1 first-overdue: INV-1 L2 +22d 10000.00 (interest 22.00), "
        f"INV-2 L1 +3d 2000.00 (interest 0.60), {fee_2} L0 +7d 50.00"
    ]
    final = story.run("2026-10-01")
    assert digest(final) == [
        "C1 CNY L3 final-notice fee 100.00 interest 32.20: INV-1 L3 +30d 10000.00 (interest 30.00), "
        f"INV-2 L1 +11d 2000.00 (interest 2.20), {fee_2} L0 +15d 50.00"
    ]
    fee_3, interest_3 = f"FEE-{final[0]['notice_id']}", f"INT-{final[0]['notice_id']}"
    assert story.run("2026-10-05") == []  # INV-2 reached +15, but the last notice was 4 days ago
    # INV-2 reaches second-overdue, whose fee this episode already charged on 09-16.
    assert digest(story.run("2026-10-08")) == [
        "C1 CNY L2 second-overdue: INV-1 L3 +37d 10000.00 (interest 7.00), "
        f"INV-2 L2 +18d 2000.00 (interest 1.40), {fee_2} L0 +22d 50.00, {fee_3} L0 +7d 100.00, "
        f"{interest_3} L0 +7d 32.20"
    ]
    assert sorted(story.charges()) == sorted([fee_2, fee_3, interest_3])
    assert story.group("C1") == {
        "last_level_notice": date(2026, 10, 8),
        "fee_levels": "2;3",
        "episode_open": True,
    }


SHARE = """\
policies:
  share:
    levels:
      - name: first-overdue
        at: 3
        channels: [email]
        template: overdue-1
        fee: {CNY: "2.5%", JPY: "5%", EUR: "5.00"}
        fee_cap: {CNY: "100.00"}
      - {name: second-overdue, at: 15, channels: [email], template: overdue-2, fee: {CNY: "5%"}}
routes:
  - {policy: share}
"""


def test_a_percentage_fee_is_charged_exactly_half_up_once_and_at_most_its_cap(
    engine: Engine, tmp_path: Path
) -> None:
    story = Story(engine, policy_file(tmp_path, SHARE))
    for customer in ("C1", "C2", "C3"):
        story.customer(customer)
    # 2.5 % of 1,233.80 is 30.845: half-up gives 30.85 (half-even, or a float, 30.84).
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="1233.80")
    # 5 % of ¥1,010 is ¥50.5: ¥51.
    story.invoice("INV-2", "C2", issued="2026-08-01", due="2026-09-01", amount="1010", currency="JPY")
    # 2.5 % of 10,000.00 is 250.00, above the 100.00 cap.
    story.invoice("INV-3", "C3", issued="2026-08-01", due="2026-09-01", amount="10000.00")

    first = story.run("2026-09-04")
    assert digest(first) == [
        "C1 CNY L1 first-overdue fee 30.85: INV-1 L1 +3d 1233.80",
        "C2 JPY L1 first-overdue fee 51: INV-2 L1 +3d 1010",
        "C3 CNY L1 first-overdue fee 100.00: INV-3 L1 +3d 10000.00",
    ]
    # The fee item is part of the dunned amount of the next notice: 5 % of 1,264.65 is 63.2325.
    fee_1 = f"FEE-{first[0]['notice_id']}"
    assert digest(story.run("2026-09-16"))[0] == (
        f"C1 CNY L2 second-overdue fee 63.23: INV-1 L2 +15d 1233.80, {fee_1} L0 +12d 30.85"
    )
