"""The order an SMS's status moves in: queued, sent, then one final state that nothing replaces."""

from __future__ import annotations

from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunmore.delivery.channels.sms import (
    SMS_STATE_ORDER,
    SMS_STATES,
    SmsState,
    states_before,
    status_advances,
)

FINAL = ("delivered", "failed", "undelivered")


@pytest.mark.parametrize(
    ("current", "new", "moves"),
    [
        (None, "queued", True),
        (None, "delivered", True),
        ("queued", "sent", True),
        ("queued", "failed", True),
        ("sent", "delivered", True),
        ("sent", "undelivered", True),
        ("sent", "queued", False),
        ("sent", "sent", False),
        ("delivered", "sent", False),
        ("delivered", "queued", False),
        ("failed", "sent", False),
        ("undelivered", "queued", False),
        ("delivered", "failed", False),
        ("failed", "delivered", False),
        ("undelivered", "delivered", False),
        ("delivered", "delivered", False),
    ],
)
def test_a_callback_moves_a_status_only_forward(current: str | None, new: SmsState, moves: bool) -> None:
    assert status_advances(current, new) is moves
    assert (current is None or current in states_before(new)) is moves


def test_every_state_has_its_place_and_the_final_ones_share_the_last() -> None:
    assert set(SMS_STATE_ORDER) == set(SMS_STATES)
    assert SMS_STATE_ORDER["queued"] < SMS_STATE_ORDER["sent"] < SMS_STATE_ORDER["delivered"]
    assert {SMS_STATE_ORDER[state] for state in FINAL} == {max(SMS_STATE_ORDER.values())}


def _apply(current: str | None, new: SmsState) -> str | None:
    return new if status_advances(current, new) else current


@given(st.lists(st.sampled_from(SMS_STATES), min_size=1, max_size=12))
def test_whatever_order_callbacks_come_in_the_status_is_the_first_of_the_furthest(
    callbacks: list[SmsState],
) -> None:
    kept = reduce(_apply, callbacks, None)
    furthest = max(SMS_STATE_ORDER[state] for state in callbacks)

    assert kept == next(state for state in callbacks if SMS_STATE_ORDER[state] == furthest)


@given(st.lists(st.sampled_from(SMS_STATES), min_size=1, max_size=12))
def test_a_status_never_moves_back(callbacks: list[SmsState]) -> None:
    seen: list[str | None] = [None]
    for state in callbacks:
        seen.append(_apply(seen[-1], state))
    places = [SMS_STATE_ORDER[state] for state in seen if state is not None]

    assert places == sorted(places)
