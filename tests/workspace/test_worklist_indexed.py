"""The worklist read from the rank indexes (`expected_minor` kept in `worklist_ranks`) is the list the
reference ranks in Python, line for line and page by page, on generated ledgers (SQLite and
PostgreSQL): several currencies, grades spelled loosely, equal amounts (ties), items about to change
aging bucket or to pass a year past due, read on the summary's day, before it and after it;
follow-ups, broken promises, tasks and customers worked today; grades changed after the summary was
written; collectors of one and of two portfolios and a salesperson."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert, update

from dunmore.access.service import get_user
from dunmore.access.values import Role
from dunmore.ledger import balances
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.store.db import transaction
from dunmore.workspace.worklist import WorklistPage, worklist
from tests.workspace.worklist_rows import add_broken_promise, add_run_task, add_users, at, log_contact

TZ = "Asia/Shanghai"
SUMMED = date(2026, 12, 6)  # the day the summary was written (the last run)
GRADES = ["A", "B", "C", "D", None, " b", "c+", "X", ""]
CURRENCIES = ["CNY", "CNY", "CNY", "USD", "EUR"]
AMOUNTS = [100_00, 2_500_00, 10_000_00, 48_200_00, 1]  # few values: many equal expected values
# due dates around the moves: a day before/after each bucket's entry and the year mark
OFFSETS = [-1, 0, 1, 2, 29, 30, 31, 60, 61, 90, 91, 179, 180, 181, 364, 365, 366, 367, 500]


def _ledger(conn: Connection, rng: random.Random) -> list[int]:
    customers = [
        {"external_id": f"K{n:03}", "name": f"Customer {n}", "grade": rng.choice(GRADES),
         "portfolio": rng.choice(["east", "east", "west", "north"]), "owner": rng.choice(["Sa", "sa", None])}
        for n in range(70)
    ]  # fmt: skip
    conn.execute(insert(CUSTOMERS), customers)
    ids = [int(cid) for cid in conn.execute(CUSTOMERS.select().with_only_columns(CUSTOMERS.c.id)).scalars()]
    invoices: list[dict[str, Any]] = []
    for cid in ids:
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            due = SUMMED - timedelta(days=rng.choice(OFFSETS))
            amount = rng.choice(AMOUNTS)
            invoices.append({
                "external_id": f"I{len(invoices):04}", "customer_id": cid,
                "issue_date": due - timedelta(days=30), "due_date": due,
                "currency": rng.choice(CURRENCIES), "amount_minor": amount,
                "open_minor": rng.choice([amount, amount, amount // 2, 0]),
            })  # fmt: skip
    conn.execute(insert(INVOICES), invoices)
    balances.refresh(conn, as_of=SUMMED)
    return ids


def _workspace(conn: Connection, rng: random.Random, ids: list[int]) -> None:
    add_users(
        conn,
        ("li", Role.COLLECTOR, ["east"]),
        ("mo", Role.COLLECTOR, ["east", "west"]),
        ("sa", Role.SALES, []),
    )
    picked = rng.sample(ids, 24)
    for cid in picked[:6]:
        follow_up = rng.choice(["2026-12-05", "2026-12-07"])
        log_contact(conn, cid, when=at("2026-12-03"), actor="li", follow_up=follow_up)
    for cid in picked[6:10]:
        decided = rng.choice(["2026-12-04", "2026-12-06"])
        add_broken_promise(conn, cid, amount_minor=5_000_00, due="2026-12-01", decided=decided)
    for cid in picked[10:14]:
        add_run_task(conn, cid, "2026-12-06")
    for cid in picked[14:18]:  # worked on the day read
        log_contact(conn, cid, when=at("2026-12-07", 5), actor=rng.choice(["li", "mo", "sa"]))
    # grades changed after the summary was written, as grading or an override does (then `follow`)
    for cid in picked[18:24]:
        conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.id == cid).values(grade=rng.choice(GRADES)))
    balances.follow(conn, customer_ids=picked[18:24])


def _pages(conn: Connection, login: str, day: date, *, indexed: bool) -> list[WorklistPage]:
    """Every page of the list, six lines a page, by the page markers."""
    user = get_user(conn, login=login)
    pages: list[WorklistPage] = []
    after = None
    while True:
        page = worklist(conn, user=user, as_of=day, timezone=TZ, after=after, limit=6, indexed=indexed)
        pages.append(page)
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


@pytest.mark.parametrize("seed", [1, 2])
def test_the_indexed_worklist_is_the_reference_one_page_by_page(engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    with transaction(engine) as conn:
        _workspace(conn, rng, _ledger(conn, rng))
    lines = 0
    with transaction(engine) as conn:
        for day in (SUMMED - timedelta(days=2), SUMMED, date(2026, 12, 7), SUMMED + timedelta(days=32)):
            for login in ("li", "mo", "sa"):
                indexed = _pages(conn, login, day, indexed=True)
                assert indexed == _pages(conn, login, day, indexed=False), (login, day)
                lines += sum(len(page.lines) for page in indexed)
    assert lines > 100  # the ledger gives lists worth comparing
