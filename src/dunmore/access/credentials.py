"""Passwords and API tokens: how they are made, judged, hashed and checked.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile),
slow on purpose because people choose guessable ones. API tokens are 32 random bytes: nothing can
guess them, so one SHA-256 is enough to keep a stolen database from yielding usable tokens, and it lets
a request find its token by an indexed lookup of the hash instead of trying a slow hash per user.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dunmore.errors import AccessError
from dunmore.i18n import _m

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # bounds the work a sign-in can ask of the hasher
TOKEN_PREFIX = "dm_"
TOKEN_BYTES = 32


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to check unknown logins against, so that they take as long as known ones."""
    return _hasher().hash(secrets.token_urlsafe(16))


def prepare() -> None:
    """Make the dummy hash now (about as long as one sign-in): call it at start-up, e.g. in the web
    application's factory, so that the first unknown login takes no longer than the next ones."""
    _dummy_hash()


def check_password_strength(password: str, *, login: str) -> None:
    """Refuse a password that is too short, too long, or the login itself."""
    if len(password) < MIN_PASSWORD:
        raise AccessError(
            _m(
                "the password for %(login)s has %(count)s characters: choose one of at least %(least)s "
                "(a few unrelated words are easy to remember)",
                login=repr(login),
                count=len(password),
                least=MIN_PASSWORD,
            )
        )
    if len(password) > MAX_PASSWORD:
        raise AccessError(
            _m(
                "the password for %(login)s is longer than %(most)s characters: choose a shorter one",
                login=repr(login),
                most=MAX_PASSWORD,
            )
        )
    if password.casefold() == login.casefold():
        raise AccessError(
            _m("the password for %(login)s is the login itself: choose another one", login=repr(login))
        )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; with none stored, checks a dummy hash (same time), says no."""
    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was made with weaker parameters than today's and should be replaced."""
    return _hasher().check_needs_rehash(stored)


def new_token() -> str:
    """A fresh bearer token: the prefix (so people and secret scanners recognise it), then 32 random bytes."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()
