"""Benchmark of the services behind the web pages: the dashboard, the customer list (first page, next
page, a search) and a customer's page, for a manager (every customer) and a collector (one portfolio
in ten), as p50/p95 over repeated calls.

    .venv/bin/python -m benchmarks.web_pages [--customers 20000] [--db sqlite:///benchmarks/.data/web.db]

The ledger is the demo generator's (seeded), loaded once into an empty database; one customer in ten
is moved into the portfolio `east`. What is timed is the service call with its queries, as a route
makes it (the HTTP and template layers add a few milliseconds).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from benchmarks.common import DATA, save
from dunmore.access.values import Language, Role, User
from dunmore.demo.generator import generate
from dunmore.demo.load import load_portfolio
from dunmore.domain.aging import buckets
from dunmore.ledger.browse import get_customer, list_accounts
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.reports.dashboard import overview
from dunmore.store.db import open_database

AS_OF = date(2026, 3, 16)
AT = datetime(2026, 3, 16, tzinfo=UTC)
REPEAT = 21


def _ledger(engine: Engine, customers: int) -> int:
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(CUSTOMERS)).scalar_one() == 0:
            load_portfolio(conn, generate(customers=customers, seed=7, as_of=AS_OF))
            conn.execute(update(CUSTOMERS).values(portfolio="east").where(CUSTOMERS.c.id % 10 == 1))
        return int(conn.execute(select(func.count()).select_from(INVOICES)).scalar_one())


def _measure(engine: Engine, call: Callable[[Connection], Any]) -> dict[str, float]:
    times = []
    for _ in range(REPEAT):
        with engine.connect() as conn:
            start = time.perf_counter()
            call(conn)
            times.append(time.perf_counter() - start)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)))]
    return {"p50_ms": round(statistics.median(times) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


def _dashboard(conn: Connection, *, user: User) -> object:
    return overview(conn, user=user, as_of=AS_OF, buckets=buckets())


def _accounts(conn: Connection, *, user: User, after: str | None, search: str) -> object:
    return list_accounts(conn, user=user, as_of=AS_OF, after=after, search=search)


def _customer(conn: Connection, *, user: User, code: str) -> object:
    return get_customer(conn, user=user, code=code, as_of=AS_OF)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--db", default=f"sqlite:///{DATA / 'web.db'}")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    engine = open_database(args.db, create=True)
    items = _ledger(engine, args.customers)
    print(f"{items} invoices of {args.customers} customers in {engine.dialect.name}")
    manager = User(1, "boss", Role.MANAGER, Language.ZH_CN, frozenset(), False, AT)
    collector = User(2, "ann", Role.COLLECTOR, Language.ZH_CN, frozenset({"east"}), False, AT)
    results: dict[str, dict[str, float]] = {}
    for user in (manager, collector):
        with engine.connect() as conn:
            first = list_accounts(conn, user=user, as_of=AS_OF)
        code, after = first.rows[0].code, first.next_cursor
        calls: dict[str, Callable[[Connection], Any]] = {
            "dashboard": partial(_dashboard, user=user),
            "customers": partial(_accounts, user=user, after=None, search=""),
            "customers_next": partial(_accounts, user=user, after=after, search=""),
            "search": partial(_accounts, user=user, after=None, search="物流"),
            "customer": partial(_customer, user=user, code=code),
        }
        for name, call in calls.items():
            results[f"{user.role}_{name}"] = _measure(engine, call)
            print(f"  {user.role} {name}: {results[f'{user.role}_{name}']}", flush=True)
    save(f"web_pages_{engine.dialect.name}", {"customers": args.customers, "invoices": items, "ms": results})


if __name__ == "__main__":
    main()
