"""Users and their API tokens: the rules and the writes. Every change appends an audit row.

Functions take the caller's connection (the caller owns the transaction), keyword arguments, the
acting person (`actor`: a login, `system`, or `cli:<os user>`) and the moment (`at`, aware UTC), and
return frozen values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from dunmore.access import audit
from dunmore.access.credentials import (
    TOKEN_PREFIX,
    check_password_strength,
    hash_password,
    needs_rehash,
    new_token,
    password_matches,
    token_digest,
)
from dunmore.access.models import API_TOKENS, USER_PORTFOLIOS, USERS
from dunmore.access.permissions import ROLES, Scope
from dunmore.access.values import Language, NewToken, Role, TokenInfo, User
from dunmore.errors import AccessError, NotFound
from dunmore.i18n import _m
from dunmore.store.db import as_utc

# Lower-case letters, digits and . _ @ - : safe in URLs, file names and the audit's `user:<login>`,
# and never a `:`, so a login cannot pass for `system` or `cli:<name>` as an audit actor.
LOGIN = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
PORTFOLIO_MAX = 64
SCOPE_SAID = {  # what a role reaches, said in the reader's language in the errors that name it
    Scope.ALL: _m("all customers"),
    Scope.PORTFOLIOS: _m("customers of their portfolios"),
    Scope.OWNED: _m("customers they own"),
}


def normalize_login(login: str) -> str:
    """The stored form of a login (lower case), or `AccessError` when it is not a valid one."""
    folded = login.lower()
    if not LOGIN.fullmatch(folded):
        raise AccessError(
            _m(
                "%(login)s is not a valid login: use 2 to 64 letters, digits, '.', '_', '@' or '-', "
                "starting with a letter or digit",
                login=repr(login),
            )
        )
    return folded


def _portfolios(role: Role, portfolios: Iterable[str], login: str) -> frozenset[str]:
    names = frozenset(name.strip() for name in portfolios)
    for name in names:
        if not name or len(name) > PORTFOLIO_MAX or not name.isprintable():
            raise AccessError(
                _m(
                    "portfolio name %(name)s for %(login)s is not valid: use 1 to %(most)s "
                    "printable characters, as in the customers' portfolio column",
                    name=repr(name),
                    login=repr(login),
                    most=PORTFOLIO_MAX,
                )
            )
    scoped = ROLES[role].scope is Scope.PORTFOLIOS
    if scoped and not names:
        raise AccessError(
            _m(
                "a collector works the customers of their portfolios: give %(login)s at least one "
                "--portfolio",
                login=repr(login),
            )
        )
    if names and not scoped:
        raise AccessError(
            _m(
                "only collectors are limited to portfolios; %(login)s is %(role)s and reaches "
                "%(scope)s: leave out --portfolio",
                login=repr(login),
                role=role.value,
                scope=SCOPE_SAID[ROLES[role].scope],
            )
        )
    return names


def _values(rows: Iterable[Row[Any]], portfolios: dict[int, set[str]]) -> list[User]:
    return [
        User(
            id=row.id,
            login=row.login,
            role=Role(row.role),
            language=Language(row.language),
            portfolios=frozenset(portfolios.get(row.id, ())),
            disabled=row.disabled,
            created_at=as_utc(row.created_at),
        )
        for row in rows
    ]


def _users(conn: Connection, *, login: str | None = None) -> list[User]:
    """Users (all, or the one with `login`) with their portfolios: two queries whatever their number."""
    query = select(USERS).order_by(USERS.c.login)
    if login is not None:
        query = query.where(USERS.c.login == login)
    rows = conn.execute(query).all()
    portfolios: dict[int, set[str]] = {}
    links = select(USER_PORTFOLIOS).where(USER_PORTFOLIOS.c.user_id.in_([row.id for row in rows]))
    for link in conn.execute(links):
        portfolios.setdefault(link.user_id, set()).add(link.portfolio)
    return _values(rows, portfolios)


def list_users(conn: Connection) -> list[User]:
    """Every user, by login."""
    return _users(conn)


def get_user(conn: Connection, *, login: str) -> User:
    """The user with this login (any case), or `NotFound`."""
    found = _users(conn, login=login.lower())
    if not found:
        raise NotFound(_m("no user %(login)s: see the users with `dunmore users list`", login=repr(login)))
    return found[0]


def _described(user: User) -> dict[str, Any]:
    return {
        "login": user.login,
        "role": user.role.value,
        "language": user.language.value,
        "portfolios": sorted(user.portfolios),
        "disabled": user.disabled,
    }


def _link_portfolios(conn: Connection, user_id: int, portfolios: frozenset[str]) -> None:
    conn.execute(USER_PORTFOLIOS.delete().where(USER_PORTFOLIOS.c.user_id == user_id))
    if portfolios:
        conn.execute(
            USER_PORTFOLIOS.insert(), [{"user_id": user_id, "portfolio": p} for p in sorted(portfolios)]
        )


def add_user(conn: Connection, *, login: str, role: Role, password: str, portfolios: Iterable[str] = (),
             language: Language = Language.ZH_CN, actor: str, at: datetime) -> User:  # fmt: skip
    """Add a user who signs in with `password` (checked for strength, stored as an argon2 hash)."""
    name = normalize_login(login)
    names = _portfolios(role, portfolios, name)
    check_password_strength(password, login=name)
    if conn.execute(select(USERS.c.id).where(USERS.c.login == name)).first() is not None:
        raise AccessError(
            _m("a user %(login)s already exists (logins ignore case): choose another login", login=repr(name))
        )
    values = {
        "login": name,
        "role": role.value,
        "language": language.value,
        "disabled": False,
        "created_at": at,
    }
    insert = USERS.insert().values(password_hash=hash_password(password), **values).returning(USERS.c.id)
    _link_portfolios(conn, conn.execute(insert).scalar_one(), names)
    user = get_user(conn, login=name)
    audit.record(conn, at=at, actor=actor, action="user.add", object=f"user:{name}", after=_described(user))
    return user


def disable_user(conn: Connection, *, login: str, actor: str, at: datetime) -> User:
    """Disable a user: no sign-in, no token works. Nothing happens to a user already disabled."""
    user = get_user(conn, login=login)
    if user.disabled:
        return user
    conn.execute(update(USERS).where(USERS.c.id == user.id).values(disabled=True))
    audit.record(conn, at=at, actor=actor, action="user.disable", object=f"user:{user.login}",
                 before={"disabled": False}, after={"disabled": True})  # fmt: skip
    return get_user(conn, login=user.login)


def set_password(conn: Connection, *, login: str, password: str, actor: str, at: datetime) -> None:
    """Give a user a new password (the audit row says it changed, never what it is)."""
    user = get_user(conn, login=login)
    check_password_strength(password, login=user.login)
    conn.execute(update(USERS).where(USERS.c.id == user.id).values(password_hash=hash_password(password)))
    audit.record(conn, at=at, actor=actor, action="user.set_password", object=f"user:{user.login}")


def set_portfolios(
    conn: Connection, *, login: str, portfolios: Iterable[str], actor: str, at: datetime
) -> User:
    """Replace the portfolios a collector works."""
    user = get_user(conn, login=login)
    names = _portfolios(user.role, portfolios, user.login)
    if names == user.portfolios:
        return user
    _link_portfolios(conn, user.id, names)
    before, after = {"portfolios": sorted(user.portfolios)}, {"portfolios": sorted(names)}
    audit.record(conn, at=at, actor=actor, action="user.set_portfolios", object=f"user:{user.login}",
                 before=before, after=after)  # fmt: skip
    return get_user(conn, login=user.login)


def authenticate_password(conn: Connection, *, login: str, password: str) -> User | None:
    """The user when `login` and `password` match and the user is enabled, else None.

    An unknown login is checked against a dummy hash, so that its answer takes as long as a known
    login's and does not tell which logins exist. A hash made with weaker parameters than today's is
    replaced by a fresh one on a successful check.
    """
    row = conn.execute(
        select(USERS.c.id, USERS.c.login, USERS.c.password_hash).where(USERS.c.login == login.lower())
    ).first()
    if not password_matches(None if row is None else row.password_hash, password) or row is None:
        return None
    if needs_rehash(row.password_hash):
        conn.execute(update(USERS).where(USERS.c.id == row.id).values(password_hash=hash_password(password)))
    user = get_user(conn, login=row.login)
    return None if user.disabled else user


def create_token(conn: Connection, *, login: str, name: str, actor: str, at: datetime) -> NewToken:
    """Make an API token for a user; its secret is in the answer only, the database keeps its hash."""
    user = get_user(conn, login=login)
    if not TOKEN_NAME.fullmatch(name):
        raise AccessError(
            _m(
                "token name %(name)s is not valid: use 1 to 64 letters, digits, '.', '_' or '-'",
                name=repr(name),
            )
        )
    live = select(API_TOKENS.c.id).where(
        API_TOKENS.c.user_id == user.id, API_TOKENS.c.name == name, API_TOKENS.c.revoked_at.is_(None)
    )
    if conn.execute(live).first() is not None:
        raise AccessError(
            _m(
                "%(login)s already has a token named %(name)s: choose another --name, or revoke it first "
                "with `dunmore users revoke-token %(user)s %(token)s`",
                login=repr(user.login),
                name=repr(name),
                user=user.login,
                token=name,
            )
        )
    secret = new_token()
    conn.execute(
        API_TOKENS.insert().values(user_id=user.id, name=name, token_hash=token_digest(secret), created_at=at)
    )
    audit.record(
        conn, at=at, actor=actor, action="token.create", object=f"user:{user.login}", after={"token": name}
    )
    return NewToken(name=name, secret=secret)


def revoke_token(conn: Connection, *, login: str, name: str, actor: str, at: datetime) -> None:
    """Revoke a user's live token by name: from now on it authenticates no one."""
    user = get_user(conn, login=login)
    done = conn.execute(
        update(API_TOKENS)
        .where(API_TOKENS.c.user_id == user.id, API_TOKENS.c.name == name, API_TOKENS.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    if done.rowcount == 0:
        raise NotFound(
            _m(
                "%(login)s has no live token named %(name)s: see their tokens with "
                "`dunmore users tokens %(user)s`",
                login=repr(user.login),
                name=repr(name),
                user=user.login,
            )
        )
    audit.record(
        conn, at=at, actor=actor, action="token.revoke", object=f"user:{user.login}", before={"token": name}
    )


def list_tokens(conn: Connection, *, login: str) -> list[TokenInfo]:
    """A user's tokens, live and revoked, oldest first: names and dates, never the token."""
    user = get_user(conn, login=login)
    query = select(API_TOKENS).where(API_TOKENS.c.user_id == user.id).order_by(API_TOKENS.c.id)
    return [
        TokenInfo(
            name=row.name,
            created_at=as_utc(row.created_at),
            last_used_at=None if row.last_used_at is None else as_utc(row.last_used_at),
            revoked_at=None if row.revoked_at is None else as_utc(row.revoked_at),
        )
        for row in conn.execute(query)
    ]


def authenticate_token(conn: Connection, *, token: str, now: datetime) -> User | None:
    """The user a bearer token belongs to, or None: unknown, revoked, or its user disabled.
    Marks the token used at `now`.

    The lookup is by the token's SHA-256: an attacker timing it learns about hashes of their guesses,
    not about a stored token, so no constant-time comparison is needed here.

    The mark is the lookup, one UPDATE … RETURNING, and the first statement of an API request: on
    SQLite a transaction that reads and then writes fails at once ("database is locked") when another
    request commits in between, where one that writes first waits its turn.
    """
    if not token.startswith(TOKEN_PREFIX):
        return None
    enabled = select(USERS.c.id).where(~USERS.c.disabled)
    marked = conn.execute(
        update(API_TOKENS)
        .where(
            API_TOKENS.c.token_hash == token_digest(token),
            API_TOKENS.c.revoked_at.is_(None),
            API_TOKENS.c.user_id.in_(enabled.scalar_subquery()),
        )
        .values(last_used_at=now)
        .returning(API_TOKENS.c.user_id)
    ).first()
    if marked is None:
        return None
    login = conn.execute(select(USERS.c.login).where(USERS.c.id == marked.user_id)).scalar_one()
    return get_user(conn, login=login)


def set_language(conn: Connection, *, login: str, language: Language, actor: str, at: datetime) -> User:
    """Change the language a user reads Dunmore in (the web's language switcher)."""
    user = get_user(conn, login=login)
    if user.language is language:
        return user
    conn.execute(update(USERS).where(USERS.c.id == user.id).values(language=language.value))
    audit.record(conn, at=at, actor=actor, action="user.set_language", object=f"user:{user.login}",
                 before={"language": user.language.value}, after={"language": language.value})  # fmt: skip
    return get_user(conn, login=user.login)
