"""Passwords and token secrets: what is refused, what is stored, and the same work for unknown logins."""

from __future__ import annotations

import pytest

from dunmore.access import credentials
from dunmore.access.credentials import (
    TOKEN_PREFIX,
    check_password_strength,
    hash_password,
    new_token,
    password_matches,
    token_digest,
)
from dunmore.access.service import normalize_login
from dunmore.errors import AccessError


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short", "5 characters"),
        ("123456789", "9 characters"),
        ("Alice.Wong", "the login itself"),
        ("x" * 1025, "longer"),
    ],
)
def test_weak_passwords_are_refused(password: str, why: str) -> None:
    with pytest.raises(AccessError, match=why):
        check_password_strength(password, login="alice.wong")


def test_a_ten_character_password_other_than_the_login_is_accepted() -> None:
    check_password_strength("ten chars!", login="alice")


def test_a_password_matches_its_hash_only() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert password_matches(stored, "correct horse battery")
    assert not password_matches(stored, "correct horse batterY")
    assert not password_matches("not a hash", "correct horse battery")


def test_an_unknown_login_is_checked_against_a_dummy_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    hasher = credentials._hasher()

    class Counting(type(hasher)):  # type: ignore[misc]
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checked.append(str(hash))
            return bool(super().verify(hash, password))

    monkeypatch.setattr(credentials, "_hasher", lambda: Counting())
    assert not password_matches(None, "whatever password")
    assert checked == [credentials._dummy_hash()]


def test_tokens_are_long_random_prefixed_and_stored_as_their_sha256() -> None:
    one, two = new_token(), new_token()
    assert one != two
    assert one.startswith(TOKEN_PREFIX)
    assert len(one) - len(TOKEN_PREFIX) >= 43  # 32 bytes in urlsafe base64
    assert token_digest(one) != one
    assert len(token_digest(one)) == 64


@pytest.mark.parametrize(
    ("given", "stored"), [("Alice", "alice"), ("li.wei@east", "li.wei@east"), ("a_1-b", "a_1-b")]
)
def test_logins_are_stored_in_lower_case(given: str, stored: str) -> None:
    assert normalize_login(given) == stored


@pytest.mark.parametrize("login", ["a", "x" * 65, "cli:ops", "al ice", "_alice", "张三", ""])
def test_logins_outside_the_safe_set_are_refused(login: str) -> None:
    with pytest.raises(AccessError, match="not a valid login"):
        normalize_login(login)


def test_prepare_makes_the_dummy_hash_before_the_first_sign_in() -> None:
    credentials._dummy_hash.cache_clear()
    credentials.prepare()
    assert credentials._dummy_hash.cache_info().currsize == 1
