"""Benchmark of the services behind the web pages: the dashboard, the customer list (first page, next
page, a search) and a customer's page, for a manager (every customer) and a collector (one portfolio
in ten), as p50/p95 over repeated calls.

    .venv/bin/python -m benchmarks.web_pages [--customers 20000] [--db sqlite:///benchmarks/.data/web.db]
    .venv/bin/python -m benchmarks.web_pages --items 1000000 [--db URL]   # the run benchmark's ledger

The ledger is the demo generator's (seeded), loaded once into an empty database; one customer in ten
is moved into the portfolio `east`. With `--items N` it is the run benchmark's ledger instead (200,000
customers, their latest N invoices all open, see benchmarks/dunning_run.py) after one committed run,
so that items carry levels and customers have notices and deliveries. What is timed is the service
call with its queries, as a route makes it (the HTTP and template layers add a few milliseconds).
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
from benchmarks.dunning_run import AS_OF as RUN_AS_OF
from benchmarks.dunning_run import POLICY, _open_portfolio
from dunmore.access.values import Language, Role, User
from dunmore.delivery.history import customer_notices
from dunmore.demo.generator import generate
from dunmore.demo.load import load_portfolio
from dunmore.domain.aging import buckets
from dunmore.ledger import balances
from dunmore.ledger.browse import AccountFilter, get_customer, list_accounts
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.reports.dashboard import overview
from dunmore.run import service
from dunmore.run.explain import explain
from dunmore.run.models import RUNS
from dunmore.store.db import open_database, transaction

AS_OF = date(2026, 3, 16)
AT = datetime(2026, 3, 16, tzinfo=UTC)
REPEAT = 21


def _ledger(engine: Engine, customers: int, items: int | None, as_of: date) -> int:
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(CUSTOMERS)).scalar_one() == 0:
            if items is None:
                load_portfolio(conn, generate(customers=customers, seed=7, as_of=as_of))
            else:
                generated = generate(customers=customers, seed=1, as_of=as_of)
                load_portfolio(conn, _open_portfolio(generated, items))
                service.load_policy(conn, POLICY, now=AT, actor="system")
            conn.execute(update(CUSTOMERS).values(portfolio="east").where(CUSTOMERS.c.id % 10 == 1))
            balances.follow(conn, customer_ids=None)
    if items is not None:
        with transaction(engine, snapshot=True) as conn:
            if conn.execute(select(func.count()).select_from(RUNS)).scalar_one() == 0:
                service.commit(
                    conn,
                    as_of=as_of,
                    today=as_of,
                    now=AT,
                    actor="system",
                    templates_dir=None,
                    gate_templates=False,
                )
    with engine.connect() as conn:
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


def _dashboard(conn: Connection, *, user: User, as_of: date) -> object:
    return overview(conn, user=user, as_of=as_of, buckets=buckets())


def _accounts(conn: Connection, *, user: User, as_of: date, after: str | None, search: str) -> object:
    return list_accounts(conn, user=user, as_of=as_of, after=after, filters=AccountFilter(search))


def _customer(conn: Connection, *, user: User, as_of: date, code: str) -> object:
    """What the customer page reads: the customer, its notices with their deliveries, `explain`."""
    found = get_customer(conn, user=user, code=code, as_of=as_of)
    customer_notices(conn, customer_id=found.id)
    return explain(conn, customer=code, as_of=as_of, lang="zh-CN")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, help="20,000; 200,000 with --items")
    parser.add_argument("--items", type=int, help="the run benchmark's ledger of this many open items")
    parser.add_argument("--db", help="default: a SQLite file in benchmarks/.data, kept between calls")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    customers = args.customers or (20_000 if args.items is None else 200_000)
    as_of = AS_OF if args.items is None else RUN_AS_OF
    name = "web.db" if args.items is None else f"web-{args.items}.db"
    engine = open_database(args.db or f"sqlite:///{DATA / name}", create=True)
    items = _ledger(engine, customers, args.items, as_of)
    if engine.dialect.name == "postgresql":
        # Statistics and the visibility map, as autovacuum leaves them after a bulk load (it vacuums
        # a table after inserts too, since PostgreSQL 13): without statistics the planner guesses, and
        # without the visibility map an index-only scan still reads every row the run wrote — a
        # freshly loaded database measures plans and reads no running one would.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    print(f"{items} invoices of {customers} customers in {engine.dialect.name}")
    manager = User(1, "boss", Role.MANAGER, Language.ZH_CN, frozenset(), False, AT)
    collector = User(2, "ann", Role.COLLECTOR, Language.ZH_CN, frozenset({"east"}), False, AT)
    results: dict[str, dict[str, float]] = {}
    for user in (manager, collector):
        with engine.connect() as conn:
            first = list_accounts(conn, user=user, as_of=as_of)
        code, after = first.rows[0].code, first.next_cursor
        calls: dict[str, Callable[[Connection], Any]] = {
            "dashboard": partial(_dashboard, user=user, as_of=as_of),
            "customers": partial(_accounts, user=user, as_of=as_of, after=None, search=""),
            "customers_next": partial(_accounts, user=user, as_of=as_of, after=after, search=""),
            "search": partial(_accounts, user=user, as_of=as_of, after=None, search="物流"),
            "customer": partial(_customer, user=user, as_of=as_of, code=code),
        }
        for name, call in calls.items():
            results[f"{user.role}_{name}"] = _measure(engine, call)
            print(f"  {user.role} {name}: {results[f'{user.role}_{name}']}", flush=True)
    suffix = "" if args.items is None else f"_{args.items}"
    save(
        f"web_pages_{engine.dialect.name}{suffix}", {"customers": customers, "invoices": items, "ms": results}
    )


if __name__ == "__main__":
    main()
