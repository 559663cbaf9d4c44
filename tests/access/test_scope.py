"""The one scoping rule on both backends: a collector sees their portfolios' customers, sales the
customers they own, managers and viewers all of them, a disabled user none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from dunmore.access.permissions import customer_scope
from dunmore.access.values import Language, Role, User
from dunmore.ledger.models import CUSTOMERS

CUSTOMERS_ROWS = [
    # external_id, portfolio, owner
    ("C0001", "east", "Wang.Fang"),
    ("C0002", "east", None),
    ("C0003", "west", "wang.fang"),
    ("C0004", "north", "zhao.lei"),
    ("C0005", "default", None),
]


def user(role: Role, login: str = "wang.fang", portfolios: frozenset[str] = frozenset(),
         disabled: bool = False) -> User:  # fmt: skip
    return User(7, login, role, Language.ZH_CN, portfolios, disabled, datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        (user(Role.COLLECTOR, portfolios=frozenset({"east"})), ["C0001", "C0002"]),
        (user(Role.COLLECTOR, portfolios=frozenset({"east", "north"})), ["C0001", "C0002", "C0004"]),
        (user(Role.SALES), ["C0001", "C0003"]),
        (user(Role.SALES, login="zhao.lei"), ["C0004"]),
        (user(Role.MANAGER), ["C0001", "C0002", "C0003", "C0004", "C0005"]),
        (user(Role.VIEWER), ["C0001", "C0002", "C0003", "C0004", "C0005"]),
        (user(Role.ADMIN), ["C0001", "C0002", "C0003", "C0004", "C0005"]),
        (user(Role.MANAGER, disabled=True), []),
        (user(Role.COLLECTOR), []),
    ],
)
def test_each_user_sees_only_the_customers_in_their_scope(engine: Engine, who: User, sees: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(
            CUSTOMERS.insert(),
            [{"external_id": c, "name": c, "portfolio": p, "owner": o} for c, p, o in CUSTOMERS_ROWS],
        )
        query = select(CUSTOMERS.c.external_id).where(customer_scope(who)).order_by(CUSTOMERS.c.external_id)
        assert list(conn.scalars(query)) == sees


def test_a_customer_without_a_portfolio_is_in_the_default_one(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(CUSTOMERS.insert().values(external_id="C1", name="A"))
        assert conn.scalar(select(CUSTOMERS.c.portfolio)) == "default"
