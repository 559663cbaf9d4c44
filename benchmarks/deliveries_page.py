"""Benchmark of the deliveries page's service on a big outbox: one page (50 rows, newest first) per
filter, for a manager (every customer) and a collector (one portfolio in ten), as p50/p95.

    .venv/bin/python -m benchmarks.deliveries_page [--deliveries 1000000] [--db sqlite:///benchmarks/.data/outbox.db]

The outbox is synthetic, written once in SQL (SQLite): 20,000 customers, a notice per two
deliveries, an e-mail and an SMS each; 94 % sent (half the texts confirmed delivered), 4 % waiting,
1 % failed for good, 1 % dead, spread evenly through the ids. `--analyze` runs SQLite's ANALYZE
first (Dunmore does not run it yet): with statistics the planner walks the ids back for common
statuses instead of sorting every row of the status.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from benchmarks.common import DATA, save, timed
from benchmarks.web_pages import _measure
from dunmore.access.values import Language, Role, User
from dunmore.delivery import browse
from dunmore.delivery.models import DELIVERIES
from dunmore.store.db import open_database

AT = datetime(2026, 3, 16, tzinfo=UTC)
CUSTOMERS = 20_000
FILL = [
    """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :customers)
    INSERT INTO customers
        (id, external_id, name, language, timezone, country, tags, portfolio, on_hold, cease_contact)
    SELECT i, printf('C%06d', i), printf('客户 %d', i), 'zh-CN', 'Asia/Shanghai', 'CN', '',
           CASE WHEN i % 10 = 1 THEN 'east' ELSE 'default' END, 0, 0 FROM n""",
    """INSERT INTO policy_versions (id, version, fingerprint, source, text, loaded_at)
    VALUES (1, 1, 'f', 'bench.yaml', 'policies: {}', '2026-03-16 00:00:00')""",
    """INSERT INTO runs (id, sequence, as_of, policy_version_id, committed_at, notices, status)
    VALUES (1, 1, '2026-03-16', 1, '2026-03-16 00:00:00', :notices, 'committed')""",
    """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :notices)
    INSERT INTO notices (id, run_id, as_of, customer_id, currency, kind, step, policy, level, status)
    SELECT i, 1, '2026-03-16', (i % :customers) + 1, 'CNY', 'level', 'first-overdue', 'p', 1, 'committed'
    FROM n""",
    """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :deliveries)
    INSERT INTO deliveries (id, notice_id, channel, status, created_at, attempts, recipient, provider_status,
                            sent_at, last_error)
    SELECT i, (i + 1) / 2, CASE WHEN i % 2 THEN 'email' ELSE 'sms' END,
           CASE WHEN i % 100 = 7 THEN 'failed' WHEN i % 100 = 8 THEN 'dead'
                WHEN i % 100 IN (1, 2, 3, 4) THEN 'pending' ELSE 'sent' END,
           '2026-03-16 00:00:00', 1, 'ap@debtor.example.cn',
           CASE WHEN i % 4 = 0 THEN 'delivered' END, '2026-03-16 01:00:00',
           CASE WHEN i % 100 IN (7, 8) THEN '550 5.1.1 user unknown' END FROM n""",
]


def _outbox(engine: Engine, deliveries: int) -> int:
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(DELIVERIES)).scalar_one() == 0:
            values = {"customers": CUSTOMERS, "notices": (deliveries + 1) // 2, "deliveries": deliveries}
            for statement in FILL:
                conn.execute(text(statement), values)
        return int(conn.execute(select(func.count()).select_from(DELIVERIES)).scalar_one())


def _page(conn: Connection, *, user: User, which: browse.Filter, after: int | None = None) -> Any:
    return browse.list_deliveries(conn, user=user, which=which, after=after, limit=50)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--db", default=f"sqlite:///{DATA / 'outbox.db'}")
    parser.add_argument("--analyze", action="store_true", help="Run ANALYZE before timing.")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    engine = open_database(args.db, create=True)
    fill: dict[str, float] = {}
    with timed("write the outbox", fill):
        count = _outbox(engine, args.deliveries)
    if args.analyze:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"{count} deliveries in {engine.dialect.name}")
    manager = User(1, "boss", Role.MANAGER, Language.ZH_CN, frozenset(), False, AT)
    collector = User(2, "ann", Role.COLLECTOR, Language.ZH_CN, frozenset({"east"}), False, AT)
    shown = browse.Shown
    results: dict[str, dict[str, float]] = {}
    for user in (manager, collector):
        calls: dict[str, Callable[[Connection], Any]] = {
            "all": partial(_page, user=user, which=browse.Filter()),
            "deep": partial(_page, user=user, which=browse.Filter(), after=count // 2),
            "waiting": partial(_page, user=user, which=browse.Filter(shown.WAITING)),
            "delivered": partial(_page, user=user, which=browse.Filter(shown.DELIVERED)),
            "dead_letters": partial(_page, user=user, which=browse.Filter(shown.DEAD_LETTERS)),
            "sms": partial(_page, user=user, which=browse.Filter(channel="sms")),
            "customer": partial(_page, user=user, which=browse.Filter(customer="C000011")),
        }
        for name, call in calls.items():
            results[f"{user.role}_{name}"] = _measure(engine, call)
            print(f"  {user.role} {name}: {results[f'{user.role}_{name}']}", flush=True)
    name = f"deliveries_page_{engine.dialect.name}{'_analyzed' if args.analyze else ''}"
    save(name, {"deliveries": count, "analyzed": args.analyze, "write_s": fill, "ms": results})


if __name__ == "__main__":
    main()
