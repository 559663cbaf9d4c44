"""The compliance guard, judged at fixed instants: windows in the debtor's own timezone, caps,
cease-contact, holds and disputes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunmore.delivery.guard import ContactRules, Situation, judge

RULES = ContactRules(
    windows={"email": (time(8), time(20)), "sms": (time(8), time(20))},
    caps={"email": 3, "sms": 3},
    cap_days=7,
    cease_contact_channels=frozenset({"letter"}),
)
# 2026-11-23 13:30 UTC is 21:30 in Shanghai (UTC+8) and 08:30 in New York (UTC-5, winter time).
INSTANT = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)


def test_one_instant_is_late_evening_in_shanghai_and_morning_in_new_york() -> None:
    shanghai = judge(Situation("email", "Asia/Shanghai"), RULES, INSTANT)
    new_york = judge(Situation("email", "America/New_York"), RULES, INSTANT)
    assert new_york.action == "send"
    assert (shanghai.action, shanghai.reason) == ("defer", "contact_window")
    # It waits for 08:00 next morning in Shanghai, which is 00:00 UTC on the 24th.
    assert shanghai.until == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert "21:30 in Asia/Shanghai is outside 08:00-20:00" in shanghai.detail


def test_before_the_window_opens_it_waits_for_the_same_morning() -> None:
    early = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)  # 05:15 in New York
    verdict = judge(Situation("sms", "America/New_York"), RULES, early)
    assert verdict.until == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 08:00 EST


def test_a_window_end_is_exclusive_and_its_start_inclusive() -> None:
    at_eight = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 08:00 Shanghai
    at_twenty = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 20:00 Shanghai
    assert judge(Situation("email", "Asia/Shanghai"), RULES, at_eight).action == "send"
    assert judge(Situation("email", "Asia/Shanghai"), RULES, at_twenty).action == "defer"


def test_the_next_morning_across_a_daylight_saving_change_is_still_eight_local() -> None:
    # 2026-11-01: New York leaves daylight saving time at 02:00. 21:00 EDT on Oct 31 is 01:00 UTC.
    evening = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    verdict = judge(Situation("email", "America/New_York"), RULES, evening)
    assert verdict.until == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)  # 08:00 EST = 13:00 UTC


def test_letters_and_tasks_have_no_window_by_default() -> None:
    midnight = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
    assert judge(Situation("letter", "Asia/Shanghai"), RULES, midnight).action == "send"
    assert judge(Situation("task", "Asia/Shanghai"), RULES, midnight).action == "send"


def test_a_fourth_message_in_seven_days_waits_until_the_oldest_leaves_the_period() -> None:
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    sends = [now - timedelta(days=6), now - timedelta(days=2), now - timedelta(hours=1)]
    verdict = judge(Situation("email", "Asia/Shanghai", recent_sends=sends), RULES, now)
    assert (verdict.action, verdict.reason) == ("defer", "frequency_cap")
    assert verdict.until == sends[0] + timedelta(days=7)
    assert "3 email messages in the last 7 days (cap 3)" in verdict.detail


def test_the_cap_counts_per_channel_and_only_within_the_period() -> None:
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    old = [
        now - timedelta(days=8),
        now - timedelta(days=7),
        now - timedelta(days=1),
        now - timedelta(hours=2),
    ]
    assert judge(Situation("email", "Asia/Shanghai", recent_sends=old), RULES, now).action == "send"


def test_cease_contact_leaves_only_letters() -> None:
    stop = Situation("email", "Asia/Shanghai", cease_contact=True)
    verdict = judge(stop, RULES, INSTANT)
    assert (verdict.action, verdict.reason) == ("cancel", "cease_contact")
    assert "channels still allowed: letter" in verdict.detail
    letter = Situation("letter", "Asia/Shanghai", cease_contact=True)
    assert judge(letter, RULES, INSTANT).action == "send"


@pytest.mark.parametrize(
    ("situation", "reason"),
    [
        (Situation("letter", "Asia/Shanghai", on_hold=True), "hold"),
        (Situation("letter", "Asia/Shanghai", disputed_since_notice=True), "dispute"),
    ],
)
def test_a_hold_or_a_new_dispute_cancels(situation: Situation, reason: str) -> None:
    verdict = judge(situation, RULES, INSTANT)
    assert (verdict.action, verdict.reason) == ("cancel", reason)


@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
    zone=st.sampled_from(
        ["Asia/Shanghai", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Pacific/Auckland"]
    ),
)
def test_a_deferred_delivery_is_always_sendable_when_its_time_comes(minutes: int, zone: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    verdict = judge(Situation("email", zone), RULES, now)
    if verdict.action == "defer":
        assert verdict.until is not None
        assert now < verdict.until <= now + timedelta(hours=13)
        assert judge(Situation("email", zone), RULES, verdict.until).action == "send"
