"""Users and API tokens on both backends, told as dated stories: who is added, who signs in, which
token still works, and the audit row each change leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine, select, update

from dunmore.access import service
from dunmore.access.audit import list_rows
from dunmore.access.models import API_TOKENS, USERS
from dunmore.access.values import Language, Role, TokenInfo, User
from dunmore.errors import AccessError, NotFound

MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
ADMIN = "cli:ops"


def add(conn: Connection, login: str, role: Role = Role.MANAGER, *portfolios: str) -> User:
    return service.add_user(conn, login=login, role=role, password=PASSWORD, portfolios=portfolios,
                            language=Language.ZH_TW, actor=ADMIN, at=MORNING)  # fmt: skip


def test_a_user_is_added_with_portfolios_and_an_audit_row(engine: Engine) -> None:
    with engine.begin() as conn:
        added = add(conn, "Li.Wei", Role.COLLECTOR, "east", "north")
    with engine.connect() as conn:
        found = service.get_user(conn, login="LI.WEI")
        rows = list_rows(conn)
        stored = conn.execute(select(USERS.c.password_hash)).scalar_one()
    assert found == added
    assert (found.login, found.role, found.portfolios, found.language) == (
        "li.wei", Role.COLLECTOR, frozenset({"east", "north"}), Language.ZH_TW
    )  # fmt: skip
    assert found.created_at == MORNING
    assert PASSWORD not in stored
    assert [(r.actor, r.action, r.object) for r in rows] == [(ADMIN, "user.add", "user:li.wei")]
    assert PASSWORD not in (rows[0].after or "")


def test_logins_are_unique_whatever_their_case(engine: Engine) -> None:
    with engine.begin() as conn:
        add(conn, "alice")
        with pytest.raises(AccessError, match="already exists"):
            add(conn, "ALICE")


@pytest.mark.parametrize(
    ("role", "portfolios", "why"),
    [(Role.COLLECTOR, (), "at least one --portfolio"), (Role.SALES, ("east",), "leave out --portfolio")],
)
def test_only_collectors_have_portfolios_and_they_must(
    engine: Engine, role: Role, portfolios: tuple[str, ...], why: str
) -> None:
    with engine.begin() as conn, pytest.raises(AccessError, match=why):
        add(conn, "someone", role, *portfolios)


def test_sign_in_with_the_right_password_only(engine: Engine) -> None:
    with engine.begin() as conn:
        add(conn, "alice")
        assert service.authenticate_password(conn, login="Alice", password=PASSWORD) is not None
        assert service.authenticate_password(conn, login="alice", password=PASSWORD + "!") is None
        assert service.authenticate_password(conn, login="nobody", password=PASSWORD) is None
        service.disable_user(conn, login="alice", actor=ADMIN, at=MORNING)
        assert service.authenticate_password(conn, login="alice", password=PASSWORD) is None


@pytest.mark.real_hashing
def test_a_hash_of_weaker_parameters_is_replaced_at_sign_in(engine: Engine) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with engine.begin() as conn:
        add(conn, "alice")
        conn.execute(update(USERS).values(password_hash=weak))
        assert service.authenticate_password(conn, login="alice", password=PASSWORD) is not None
        renewed = conn.execute(select(USERS.c.password_hash)).scalar_one()
    assert renewed != weak
    assert PasswordHasher().verify(renewed, PASSWORD)
    assert not PasswordHasher().check_needs_rehash(renewed)


def test_a_collector_changes_portfolios_and_password(engine: Engine) -> None:
    with engine.begin() as conn:
        add(conn, "li", Role.COLLECTOR, "east")
        moved = service.set_portfolios(conn, login="li", portfolios=["west"], actor=ADMIN, at=MORNING)
        service.set_password(conn, login="li", password="another long one", actor=ADMIN, at=MORNING)
        assert service.authenticate_password(conn, login="li", password="another long one") == moved
        rows = list_rows(conn)
    assert moved.portfolios == {"west"}
    assert [row.action for row in rows] == ["user.set_password", "user.set_portfolios", "user.add"]
    assert (rows[1].before, rows[1].after) == ('{"portfolios":["east"]}', '{"portfolios":["west"]}')


def test_a_token_works_until_revoked_and_is_stored_only_as_its_hash(engine: Engine) -> None:
    later = MORNING + timedelta(hours=3)
    with engine.begin() as conn:
        alice = add(conn, "alice")
        made = service.create_token(conn, login="alice", name="erp-sync", actor=ADMIN, at=MORNING)
        assert service.authenticate_token(conn, token=made.secret, now=later) == alice
        stored = conn.execute(select(API_TOKENS)).one()
        listed = service.list_tokens(conn, login="alice")
        service.revoke_token(conn, login="alice", name="erp-sync", actor=ADMIN, at=later)
        after_revoke = service.authenticate_token(conn, token=made.secret, now=later)
        actions = [row.action for row in list_rows(conn)]
    assert made.secret not in [str(value) for value in stored]
    assert listed == [TokenInfo("erp-sync", MORNING, later, None)]
    assert after_revoke is None
    assert actions == ["token.revoke", "token.create", "user.add"]


def test_a_disabled_users_tokens_and_unknown_tokens_are_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        add(conn, "alice")
        made = service.create_token(conn, login="alice", name="api", actor=ADMIN, at=MORNING)
        assert service.authenticate_token(conn, token="dm_" + "x" * 43, now=MORNING) is None
        assert service.authenticate_token(conn, token=made.secret[3:], now=MORNING) is None
        service.disable_user(conn, login="alice", actor=ADMIN, at=MORNING)
        assert service.authenticate_token(conn, token=made.secret, now=MORNING) is None


def test_a_live_token_name_is_used_once_and_free_again_when_revoked(engine: Engine) -> None:
    with engine.begin() as conn:
        add(conn, "alice")
        service.create_token(conn, login="alice", name="api", actor=ADMIN, at=MORNING)
        with pytest.raises(AccessError, match="revoke it first"):
            service.create_token(conn, login="alice", name="api", actor=ADMIN, at=MORNING)
        service.revoke_token(conn, login="alice", name="api", actor=ADMIN, at=MORNING)
        service.create_token(conn, login="alice", name="api", actor=ADMIN, at=MORNING)
        with pytest.raises(NotFound, match="no live token named 'ci'"):
            service.revoke_token(conn, login="alice", name="ci", actor=ADMIN, at=MORNING)
        assert len(service.list_tokens(conn, login="alice")) == 2


def test_an_unknown_user_is_named_in_the_error(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(NotFound, match=r"no user 'ghost'.*dunmore users list"):
        service.disable_user(conn, login="ghost", actor=ADMIN, at=MORNING)
