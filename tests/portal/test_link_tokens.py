"""A signed link refuses every change: any one character of a token replaced, dropped or added,
the token is refused as tampered (property test over customers, days and positions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunmore.portal.links import LinkRefused, read_token, sign_token

KEY = "test-secret-key-that-is-long-enough-0123456789"
ISSUED = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


@given(
    customer=st.text(alphabet="C0123456789", min_size=1, max_size=12),
    days=st.integers(min_value=1, max_value=366),
    where=st.integers(min_value=0, max_value=10_000),
    other=st.sampled_from(ALPHABET),
    change=st.sampled_from(("replace", "drop", "add")),
)
def test_any_changed_character_is_refused(
    customer: str, days: int, where: int, other: str, change: str
) -> None:
    token = sign_token(KEY, customer=customer, issued=ISSUED, days=days)
    assert read_token(KEY, token)["c"] == customer
    at = where % len(token)
    if change == "replace":
        changed = token[:at] + other + token[at + 1 :]
    elif change == "drop":
        changed = token[:at] + token[at + 1 :]
    else:
        changed = token[:at] + other + token[at:]
    if changed == token:
        return  # the same character put back: not a change
    with pytest.raises(LinkRefused):
        read_token(KEY, changed)


def test_the_last_characters_spare_bits_do_not_pass() -> None:
    token = sign_token(KEY, customer="C1", issued=ISSUED, days=3)
    for other in ALPHABET:
        changed = token[:-1] + other
        if changed != token:
            with pytest.raises(LinkRefused):
                read_token(KEY, changed)


def test_a_token_of_another_key_is_refused() -> None:
    token = sign_token(
        "another-secret-key-that-is-long-enough-9876543210", customer="C1", issued=ISSUED, days=3
    )
    with pytest.raises(LinkRefused):
        read_token(KEY, token)
