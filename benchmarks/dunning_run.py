"""Benchmark of the daily run on 1,000,000 open items of 200,000 customers (SQLite by default).

    .venv/bin/python -m benchmarks.dunning_run [--customers 200000] [--items 1000000] [--runs 3] [--db URL]

The portfolio comes from the demo generator (seeded); its latest `--items` invoices are loaded
without their payments so that every one is open. Timed separately: the gather (snapshot read),
the pure decision (best of 5, median shown too), and the whole `run --approve` (gather, decide,
write, commit), split into its stages. Gather and decide write nothing, so the whole run starts
from the freshly loaded ledger; with `--runs N` (SQLite only) the loaded file is copied first and
put back before each of the N whole runs, so every one starts from the same ledger.
`--db` names an EMPTY database instead of a fresh SQLite file (for PostgreSQL: createdb first).
Peak memory is the process's maximum resident set.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.common import DATA, peak_memory_mb, save, timed
from dunmore.demo.generator import DemoPortfolio, generate
from dunmore.demo.load import load_portfolio
from dunmore.domain.policy import PolicySet
from dunmore.engine.decide import decide
from dunmore.engine.frames import SnapshotFrames
from dunmore.ledger.models import CUSTOMERS
from dunmore.run import service
from dunmore.run.snapshot import read_snapshot
from dunmore.store.db import open_database, transaction

AS_OF = date(2026, 11, 23)
POLICY = Path(__file__).resolve().parents[1] / "examples" / "dunning.yaml"


def _open_portfolio(portfolio: DemoPortfolio, items: int) -> DemoPortfolio:
    latest = portfolio.invoices.sort("issue_date", "external_id", descending=True).head(items)
    empty = portfolio.payments.clear()
    return DemoPortfolio(
        portfolio.customers, portfolio.contacts, latest, empty, portfolio.credit_notes.clear()
    )


def _database(url: str | None) -> tuple[str, Callable[[], None]]:
    """The database to load: a fresh SQLite file, or the empty database the user named."""
    if url is None:
        base = DATA / "run.db"
        for path in DATA.glob("run*.db*"):
            path.unlink()
        return f"sqlite:///{base}", lambda: None
    engine = open_database(url)
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(CUSTOMERS)).scalar_one():
            raise SystemExit(f"{url} is not empty: give an empty database (e.g. createdb dunmore_bench)")
    return url, engine.dispose


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1, help="whole runs, each from the loaded ledger")
    parser.add_argument("--db", help="an EMPTY database to use instead of a fresh SQLite file")
    args = parser.parse_args()
    results: dict[str, float] = {}
    DATA.mkdir(exist_ok=True)
    url, done = _database(args.db)
    print(f"dunning run benchmark: {args.customers} customers, {args.items} open items, as of {AS_OF}, {url}")
    with timed("generate portfolio", results):
        portfolio = _open_portfolio(generate(customers=args.customers, seed=1, as_of=AS_OF), args.items)
    engine = open_database(url)
    with timed("load ledger", results), transaction(engine) as conn:
        load_portfolio(conn, portfolio)
        service.load_policy(conn, POLICY, now=datetime.now(UTC), actor="system")
    del portfolio  # a daily run's process holds no generated portfolio: measure the run without it
    gc.collect()
    with engine.connect() as conn:  # gather and decide write nothing: the run below starts afresh
        with timed("gather (snapshot read)", results):
            snapshot = read_snapshot(conn, AS_OF)
        policies = service.current_policy(conn).policies
    open_items = snapshot.items.height
    decide(snapshot, policies)  # warm-up: Polars' first call compiles and allocates
    times = sorted(_timed_decide(snapshot, policies) for _ in range(5))
    best, median = times[0], times[2]
    results["decide (pure, best of 5)"] = round(best, 3)
    results["decide (pure, median of 5)"] = round(median, 3)
    print(f"  decide (pure): best of 5 {best:.3f} s, median {median:.3f} s")
    engine.dispose()
    saved = _keep_loaded(url, args.runs)
    for number in range(1, args.runs + 1):
        seconds, stages, outcome = _whole_run(url, saved)
        results[f"whole run --approve #{number}"] = round(seconds, 3)
        split = ", ".join(f"{stage} {part:.1f}" for stage, part in stages.items())
        print(f"  whole run --approve #{number}: {seconds:.3f} s ({split})", flush=True)
    if saved is not None:
        saved.unlink()
    done()
    notices = outcome.notices.height
    rate = round(open_items / best)
    memory = peak_memory_mb()
    print(f"  {open_items} items, {notices} notices; decision {rate:,} items/s; peak memory {memory} MB")
    payload = {"database": engine.dialect.name, "customers": args.customers, "open_items": open_items}
    payload |= {
        "notices": notices,
        "seconds": results,
        "decide_items_per_second": rate,
        "peak_memory_mb": memory,
    }
    save(f"dunning_run_{engine.dialect.name}", payload)


def _keep_loaded(url: str, runs: int) -> Path | None:
    """A copy of the loaded SQLite file (closed, so its WAL is checkpointed) when more than one
    whole run will start from it."""
    if runs == 1:
        return None
    if not url.startswith("sqlite:///"):
        raise SystemExit("--runs above 1 needs the SQLite default (a database is put back by copying it)")
    saved = DATA / "run-loaded.db"
    shutil.copyfile(url.removeprefix("sqlite:///"), saved)
    return saved


def _whole_run(url: str, saved: Path | None) -> tuple[float, dict[str, float], service.RunOutcome]:
    """One whole `run --approve` from the loaded ledger: its seconds and those of each stage."""
    if saved is not None:
        path = Path(url.removeprefix("sqlite:///"))
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(saved, path)
    engine = open_database(url)
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, time.perf_counter())

    start = time.perf_counter()
    with transaction(engine, snapshot=True) as conn:
        outcome = service.commit(
            conn,
            as_of=AS_OF,
            today=AS_OF,
            now=datetime.now(UTC),
            actor="system",
            progress=progress,
            templates_dir=None,
            gate_templates=False,  # the run is measured, not the template check
        )
        marks["commit"] = time.perf_counter()
    end = time.perf_counter()
    engine.dispose()
    edges = [*marks.values(), end]
    return end - start, {stage: edges[n + 1] - edges[n] for n, stage in enumerate(marks)}, outcome


def _timed_decide(snapshot: SnapshotFrames, policies: PolicySet) -> float:
    start = time.perf_counter()
    decide(snapshot, policies)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
