"""A/B of a collector's dashboard aging on one database, the calls interleaved so that both shapes see
the same load (on a shared machine the absolute figures move with the neighbours, the ratio much
less): the scope as a semi-join of the summary to the portfolio's customers (before migration 0017)
against the scope on the summary's own `portfolio` column (after), and the whole dashboard after.

    .venv/bin/python -m benchmarks.dashboard_scope [--db URL]   # the ledger of web_pages --items 1000000

Run `benchmarks.web_pages --items 1000000 [--db URL]` first: it builds the ledger (and its portfolio
`east`, one customer in ten) this reads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from benchmarks.common import DATA, save
from benchmarks.dunning_run import AS_OF
from dunmore.access.permissions import customer_scope
from dunmore.access.values import Language, Role, User
from dunmore.domain.aging import buckets
from dunmore.ledger import balances
from dunmore.ledger.models import BALANCES, CUSTOMERS
from dunmore.reports.dashboard import overview
from dunmore.store.db import open_database

REPEAT = 21
COLLECTOR = User(
    2, "ann", Role.COLLECTOR, Language.ZH_CN, frozenset({"east"}), False, datetime(2026, 3, 16, tzinfo=UTC)
)


def _calls() -> dict[str, Callable[[Connection], Any]]:
    joined = BALANCES.c.customer_id.in_(select(CUSTOMERS.c.id).where(customer_scope(COLLECTOR)))
    own = customer_scope(COLLECTOR, on=BALANCES)
    unindexed = customer_scope(COLLECTOR, on=BALANCES, by_index=False)
    return {
        "aging_joined": lambda conn: balances.aging(conn, scope=joined, as_of=AS_OF),
        "aging_own_columns": lambda conn: balances.aging(
            conn, scope=own, scope_unindexed=unindexed, as_of=AS_OF
        ),
        "dashboard": lambda conn: overview(conn, user=COLLECTOR, as_of=AS_OF, buckets=buckets()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="default: the SQLite file of web_pages --items 1000000")
    args = parser.parse_args()
    engine = open_database(args.db or f"sqlite:///{DATA / 'web-1000000.db'}", create=False)
    if engine.dialect.name == "postgresql":  # the new columns' statistics, as autovacuum would gather them
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE customer_balances")
    calls = _calls()
    with engine.connect() as conn:
        if calls["aging_joined"](conn) != calls["aging_own_columns"](conn):
            raise SystemExit("the two shapes disagree: the summary's portfolio copies are not current")
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(REPEAT):
        for name, call in calls.items():
            with engine.connect() as conn:
                start = time.perf_counter()
                call(conn)
                times[name].append(time.perf_counter() - start)
    results = {}
    print(f"{engine.dialect.name}, load average {os.getloadavg()[0]:.1f}")
    for name, found in times.items():
        found.sort()
        p95 = found[min(len(found) - 1, round(0.95 * len(found)))]
        results[name] = {"p50_ms": round(statistics.median(found) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}
        print(f"  {name}: {results[name]}")
    save(f"dashboard_scope_{engine.dialect.name}", {"load": os.getloadavg()[0], "ms": results})


if __name__ == "__main__":
    main()
