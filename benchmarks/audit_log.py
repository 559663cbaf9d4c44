"""Benchmark of the audit log page's services on a big log: one page newest first (unfiltered, by
object, by actor, by action, deep in the log) as p50/p95, and one `verify` of the whole chain (what the
page's "verify the chain" button runs: every row, 5,000 at a time).

    .venv/bin/python -m benchmarks.audit_log [--rows 1000000] [--db sqlite:///benchmarks/.data/audit.db]

The log is written once through `audit.record_many` (10,000 events a call), by 50 actors on 100,000
objects with 10 actions, so that each filter matches a realistic share of the rows.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from benchmarks.common import DATA, save, timed
from benchmarks.web_pages import _measure
from dunmore.access import audit
from dunmore.access.models import AUDIT_LOG
from dunmore.access.values import Language, Role, User
from dunmore.store.db import open_database

START = datetime(2026, 1, 1, tzinfo=UTC)
ACTIONS = ("run.commit", "notice.approve", "notice.reject", "hold.set", "hold.release", "dispute.set",
           "auth.sign_in", "user.set_language", "delivery.retry", "policy.load")  # fmt: skip
BATCH = 10_000


def _fill(engine: Engine, rows: int) -> tuple[int, int]:
    """Append events up to `rows`; returns the rows in the log and how many were written now."""
    with engine.connect() as conn:
        present = int(conn.execute(select(func.count()).select_from(AUDIT_LOG)).scalar_one())
    for start in range(present, rows, BATCH):
        events = [
            audit.Event(
                START + timedelta(seconds=n),
                f"user{n % 50}",
                ACTIONS[n % 10],
                f"customer:C{n % 100_000:06d}",
                {"level": n % 4},
                {"level": n % 4 + 1},
            )
            for n in range(start, min(rows, start + BATCH))
        ]
        with engine.begin() as conn:
            audit.record_many(conn, events)
    return max(rows, present), max(rows - present, 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default=f"sqlite:///{DATA / 'audit.db'}")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    engine = open_database(args.db, create=True)
    fill: dict[str, float] = {}
    with timed("write the log", fill):
        rows, written = _fill(engine, args.rows)
    print(f"{rows} audit rows in {engine.dialect.name}")
    boss = User(1, "boss", Role.MANAGER, Language.ZH_CN, frozenset(), False, START)
    pages = {
        "newest": {},
        "object": {"object": "customer:C004242"},
        "actor": {"actor": "user7"},
        "action": {"action": "policy.load"},
        "deep": {"before_id": rows // 2},
    }
    results: dict[str, object] = {}
    for name, filters in pages.items():
        results[f"page_{name}"] = _measure(engine, lambda conn, f=filters: audit.browse(conn, user=boss, **f))  # type: ignore[misc]
        print(f"  page {name}: {results[f'page_{name}']}", flush=True)
    with engine.connect() as conn:
        start = time.perf_counter()
        verdict = audit.verify(conn)
        results["verify_s"] = round(time.perf_counter() - start, 2)
    assert verdict.broken is None, verdict.broken
    assert verdict.rows == rows, verdict.rows
    print(f"  verify {rows} rows: {results['verify_s']} s", flush=True)
    save(
        f"audit_log_{engine.dialect.name}",
        {"rows": rows, "written_now": written, "write_s": fill, "results": results},
    )


if __name__ == "__main__":
    main()
