"""Benchmark of the worklist: a collector with 20,000 customers (one portfolio in ten of the run
benchmark's 200,000 customers and 1,000,000 open items, after one committed run), as p50/p95 over
repeated calls of the service a route makes (`workspace.worklist.worklist`, first page of 50).

    .venv/bin/python -m benchmarks.worklist [--items 1000000] [--db URL] [--reference]

The ledger is `benchmarks.web_pages`'s (kept between calls in benchmarks/.data); the workspace is
added once: for the collector's customers, 2,000 logged contacts (500 with a follow-up due), 300
broken promises and 1,000 open call tasks; 500 contacts logged by the collector on the day (worked
lines). Timed on the run's date (every summary row exact) and the day after (the rows whose items
moved to another aging bucket overnight are recomputed from their invoices). The collector's list is
read from the rank index (`worklist_ranks`); `--reference` times the reference instead (the whole
portfolio ranked in Python), and each day's first page is checked equal to the reference's first.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, insert, select

from benchmarks.common import DATA, save
from benchmarks.dunning_run import AS_OF
from benchmarks.web_pages import AT, _ledger, _measure
from dunmore.access.values import Language, Role, User
from dunmore.delivery.models import DELIVERIES, TASKS
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.models import NOTICES
from dunmore.store.db import open_database
from dunmore.workspace.models import ACTIVITIES, PROMISES
from dunmore.workspace.worklist import worklist

TZ = "Asia/Shanghai"
COLLECTOR = User(2, "ann", Role.COLLECTOR, Language.ZH_CN, frozenset({"east"}), False, AT)


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(TZ))


def _activities(ids: list[int], day: date) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n, cid in enumerate(ids[:2000]):
        when = _moment(day - timedelta(days=1 + n % 20), 10)
        follow_up = day - timedelta(days=n % 3) if n < 500 else None
        rows.append({"customer_id": cid, "kind": "call", "outcome": "reached", "at": when, "note": "",
                     "actor": "ann", "follow_up_on": follow_up, "created_at": when})  # fmt: skip
    for cid in ids[5000:5500]:  # worked today
        when = _moment(day, 11)
        rows.append({"customer_id": cid, "kind": "call", "outcome": "no_answer", "at": when, "note": "",
                     "actor": "ann", "follow_up_on": None, "created_at": when})  # fmt: skip
    return rows


def _promises(ids: list[int], day: date) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": cid,
            "currency": "CNY",
            "amount_minor": 100_000,
            "made_on": day - timedelta(days=20),
            "due_on": day - timedelta(days=5),
            "grace_days": 2,
            "status": "broken",
            "paid_minor": 0,
            "decided_on": day - timedelta(days=2),
            "reason": "promise_broken",
            "actor": "ann",
            "created_at": _moment(day - timedelta(days=20), 9),
        }
        for cid in ids[2000:2300]
    ]


def _tasks(conn: Connection, ids: list[int], day: date) -> list[dict[str, Any]]:
    """Open call tasks on the run's own deliveries (a task needs one)."""
    d, n = DELIVERIES.c, NOTICES.c
    wanted = set(ids[3000:])
    found = conn.execute(select(d.id, n.id, n.customer_id).join(NOTICES, n.id == d.notice_id).limit(50_000))
    rows: list[dict[str, Any]] = []
    for delivery_id, notice_id, cid in found:
        if cid in wanted and len(rows) < 1000:
            wanted.discard(cid)
            rows.append({"delivery_id": delivery_id, "notice_id": notice_id, "customer_id": cid,
                         "kind": "call", "title": "call", "brief": "", "status": "open",
                         "created_at": _moment(day, 9), "assignee": "ann", "due_on": day})  # fmt: skip
    return rows


def _workspace(engine: Engine, day: date) -> None:
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(ACTIVITIES)).scalar_one():
            return
        c = CUSTOMERS.c
        ids = list(conn.execute(select(c.id).where(c.portfolio == "east").order_by(c.id)).scalars())
        conn.execute(insert(ACTIVITIES), _activities(ids, day))
        conn.execute(insert(PROMISES), _promises(ids, day))
        if rows := _tasks(conn, ids, day):
            conn.execute(insert(TASKS), rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--items", type=int, default=1_000_000, help="open items of the run benchmark's ledger"
    )
    parser.add_argument("--db", help="default: the SQLite file of benchmarks.web_pages in benchmarks/.data")
    parser.add_argument(
        "--reference", action="store_true", help="time the reference (the whole reach ranked in Python)"
    )
    parser.add_argument(
        "--skip-check", action="store_true", help="do not check the first pages against the reference"
    )
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    engine = open_database(args.db or f"sqlite:///{DATA / f'web-{args.items}.db'}", create=True)
    items = _ledger(engine, 200_000, args.items, AS_OF)
    _workspace(engine, AS_OF)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # as autovacuum leaves the tables after the bulk writes (index-only scans need the
            # visibility map, which an UPDATE of every summary row, as migration 0037 does, clears)
            conn.exec_driver_sql("VACUUM ANALYZE")
    with engine.connect() as conn:
        reach = conn.execute(select(func.count()).where(CUSTOMERS.c.portfolio == "east")).scalar_one()
        page = worklist(conn, user=COLLECTOR, as_of=AS_OF, timezone=TZ)
    print(f"{items} invoices; the collector reaches {reach} customers; {page.total} lines today")
    results: dict[str, Any] = {}
    for label, day in (("run_day", AS_OF), ("day_after", AS_OF + timedelta(days=1))):
        if not args.skip_check:
            with engine.connect() as conn:  # the indexed read against the reference, once
                same = _call(conn, day=day, indexed=True) == _call(conn, day=day, indexed=False)
            print(f"  {label}: the first page is the reference's: {same}", flush=True)
            if not same:
                raise SystemExit("the indexed worklist differs from the reference")
        results[label] = _measure(engine, partial(_call, day=day, indexed=not args.reference))
        print(f"  {label}: {results[label]}", flush=True)
    suffix = "_reference" if args.reference else ""
    save(
        f"worklist_{engine.dialect.name}_{items}{suffix}",
        {"customers_reached": reach, "lines": page.total, "ms": results},
    )


def _call(conn: Connection, *, day: date, indexed: bool = True) -> object:
    return worklist(conn, user=COLLECTOR, as_of=day, timezone=TZ, indexed=indexed)


if __name__ == "__main__":
    main()
