"""Benchmark of a customer's timeline: one customer with a long history, its first and a deep page.

    .venv/bin/python -m benchmarks.timeline [--events 100000] [--repeat 20] [--db URL]

The customer gets `--events` contacts, a fifth as many payments and a tenth as many audit changes
(SQLite under benchmarks/.data/ unless `--db`), among 1,000 other customers with some history each.
A page of 50 is read (as a manager) first from the top, then 100 pages deep through the cursors;
the median and the range of `--repeat` reads of each are reported. Keyset pagination should make
the deep page cost what the first costs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, insert

from benchmarks.common import DATA, save
from dunmore.access.models import AUDIT_LOG
from dunmore.access.values import Language, Role, User
from dunmore.ledger.models import CUSTOMERS, PAYMENTS
from dunmore.store.db import open_database
from dunmore.workspace.models import ACTIVITIES
from dunmore.workspace.timeline import timeline

START = datetime(2020, 1, 1, tzinfo=UTC)
MANAGER = User(1, "boss", Role.MANAGER, Language.EN, frozenset(), False, START)


def _fill(conn: Connection, events: int) -> None:
    customers = [{"external_id": f"C{n:06d}", "name": f"Customer {n}", "portfolio": "p"} for n in range(1001)]
    conn.execute(insert(CUSTOMERS), customers)
    others = [(n % 1000) + 2 for n in range(events)]
    for customer, count in ((1, events), *((c, 1) for c in others[: events // 10])):
        _history(conn, customer, count)


def _history(conn: Connection, customer: int, count: int) -> None:
    at = [START + timedelta(minutes=37 * n) for n in range(count)]
    calls = [{"customer_id": customer, "kind": "call", "outcome": "reached", "at": t, "note": "",
              "actor": "li", "created_at": t} for t in at]  # fmt: skip
    day = date(2020, 1, 1)
    paid = [{"external_id": f"P{customer}-{n}", "customer_id": customer, "currency": "CNY",
             "date": day + timedelta(days=n // 20), "amount_minor": 100, "unapplied_minor": 0}
            for n in range(count // 5)]  # fmt: skip
    last = conn.execute(AUDIT_LOG.select().order_by(AUDIT_LOG.c.id.desc()).limit(1)).first()
    base = 0 if last is None else last.id
    held = [{"id": base + n + 1, "at": at[n * 10], "actor": "li", "action": "customer.hold",
             "object": f"customer:C{customer - 1:06d}", "prev_hash": "0" * 64, "hash": "0" * 64}
            for n in range(count // 10)]  # fmt: skip
    for table, rows in ((ACTIVITIES, calls), (PAYMENTS, paid), (AUDIT_LOG, held)):
        if rows:
            conn.execute(insert(table), rows)


def _timed(conn: Connection, after: str | None, repeat: int) -> list[float]:
    took = []
    for _ in range(repeat):
        began = time.perf_counter()
        timeline(conn, user=MANAGER, customer="C000000", after=after, limit=50)
        took.append(time.perf_counter() - began)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / "timeline.db"
    path.unlink(missing_ok=True)
    engine = open_database(args.db or f"sqlite:///{path}", create=True)
    with engine.begin() as conn:
        _fill(conn, args.events)
    with engine.connect() as conn:
        after = None
        for _ in range(100):
            after = timeline(conn, user=MANAGER, customer="C000000", after=after, limit=50).next_cursor
        first, deep = _timed(conn, None, args.repeat), _timed(conn, after, args.repeat)
    result = {
        "events": args.events,
        "first_page_ms": [round(statistics.median(first) * 1000, 1), round(min(first) * 1000, 1),
                          round(max(first) * 1000, 1)],
        "page_100_ms": [round(statistics.median(deep) * 1000, 1), round(min(deep) * 1000, 1),
                        round(max(deep) * 1000, 1)],
        "backend": engine.dialect.name,
    }  # fmt: skip
    print(result)
    save("timeline", result)


if __name__ == "__main__":
    main()
