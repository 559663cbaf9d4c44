"""Property: whatever good orders file is imported, the open orders stored are exactly its orders
(an import replaces the list), and a credit check's exposure is the open receivables plus the
customer's orders in that currency — orders of another customer or currency never count."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role
from dunmore.credit import limits
from dunmore.credit.admission_models import OPEN_ORDERS
from dunmore.credit.orders import import_orders
from dunmore.store.db import transaction
from tests.scenarios.story import ACTOR, Story, morning

ORDERS = st.lists(
    st.tuples(st.sampled_from(["C1", "C2"]), st.sampled_from(["CNY", "USD"]), st.integers(1, 10**9)),
    max_size=8,
)


def test_the_exposure_counts_exactly_the_last_files_orders(sqlite_engine: Engine, tmp_path: Path) -> None:
    story = Story(sqlite_engine, policy=None)
    for code in ("C1", "C2"):
        story.customer(code)
    story.invoice("INV-1", "C1", issued="2026-01-01", due="2026-01-31", amount="1000.00")
    with transaction(sqlite_engine) as conn:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        add_user(conn, login="boss", role=Role.MANAGER, password="a long enough password", actor="t", at=at)
        boss = get_user(conn, login="boss")
    path = tmp_path / "orders.csv"

    @settings(max_examples=25, deadline=None, derandomize=True, database=None)
    @given(orders=ORDERS)
    def check(orders: list[tuple[str, str, int]]) -> None:
        lines = ["customer,number,date,currency,amount"]
        for n, (customer, currency, minor) in enumerate(orders):
            lines.append(f"{customer},SO-{n},2026-03-01,{currency},{Decimal(minor).scaleb(-2)}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with transaction(sqlite_engine) as conn:
            assert import_orders(conn, path, actor=ACTOR, now=morning("2026-03-02")).orders == len(orders)
        with sqlite_engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(OPEN_ORDERS)).scalar_one() == len(orders)
            for currency, open_minor in (("CNY", 100_000), ("USD", 0)):
                verdict = limits.check(conn, user=boss, customer="C1", amount=Decimal(1), currency=currency)
                ordered = sum(minor for c, cur, minor in orders if (c, cur) == ("C1", currency))
                assert verdict.exposure_minor == open_minor + ordered

    check()
