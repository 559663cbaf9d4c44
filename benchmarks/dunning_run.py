"""Benchmark of the daily run on 1,000,000 open items of 200,000 customers (SQLite by default).

    .venv/bin/python -m benchmarks.dunning_run [--customers 200000] [--items 1000000] [--runs 3] [--db URL]
        [--partitions N] [--skip-decide] [--promises N] [--plans N]

The portfolio comes from the demo generator (seeded); its latest `--items` invoices are loaded
without their payments so that every one is open. Timed separately: the gather (snapshot read),
the pure decision (best of 5, median shown too), and the whole `run --approve` (gather, decide,
write, commit), split into its stages (a partitioned run's stages are summed over its partitions).
Gather and decide write nothing, so the whole run starts from the freshly loaded ledger; with
`--runs N` every whole run starts from the same loaded ledger: SQLite's file is copied and put
back, PostgreSQL's database is kept as a template (`<name>_loaded`) and the database is created
afresh from it before each run (so the user must be allowed to create databases).
`--db` names an EMPTY database instead of a fresh SQLite file (for PostgreSQL: createdb first).
`--partitions N` commits the whole run in N partitions of customers (`run --approve --partitions`);
`--skip-decide` leaves out the separate gather and decision timings (they hold a whole snapshot in
memory, which a partitioned run is there to avoid). `--promises N` adds N pending promises to pay
to as many (customer, currency) groups (half over one named invoice, half over the whole balance;
about a third past their grace on D, so the run decides them broken and alerts). `--plans N` adds N
active instalment plans over the open invoices of as many (customer, currency) groups drawn with a
fixed seed (three instalments each; about a third with the first instalment past its grace on D,
broken by the run since the ledger holds no payment; the rest pause their items). Peak memory is
the process's maximum resident set; generating the portfolio is timed apart and its frames are
freed before the run.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import multiprocessing
import random
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, insert, select
from sqlalchemy.engine import make_url

from benchmarks.common import DATA, peak_memory_mb, save, timed
from dunmore.demo.generator import DemoPortfolio, generate
from dunmore.demo.load import load_portfolio
from dunmore.domain.policy import PolicySet
from dunmore.engine.decide import decide
from dunmore.engine.frames import SnapshotFrames
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.run import service
from dunmore.run.snapshot import read_snapshot
from dunmore.store.db import open_database, transaction
from dunmore.workspace.models import PROMISE_ITEMS, PROMISES
from dunmore.workspace.plan_models import PLAN_INSTALMENTS, PLAN_ITEMS, PLANS

AS_OF = date(2026, 11, 23)
PLAN_SEED = 12  # the plans' groups are drawn with this seed: the same plans on every run
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
    parser.add_argument("--partitions", type=int, default=1, help="commit the run in N partitions")
    parser.add_argument("--skip-decide", action="store_true", help="no separate gather and decision")
    parser.add_argument("--promises", type=int, default=0, help="pending promises to pay to add")
    parser.add_argument("--plans", type=int, default=0, help="active instalment plans to add")
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
    if args.promises:
        with timed("add promises", results), transaction(engine) as conn:
            _add_promises(conn, args.promises)
    if args.plans:
        with timed("add plans", results), transaction(engine) as conn:
            _add_plans(conn, args.plans)
    del portfolio  # a daily run's process holds no generated portfolio: measure the run without it
    gc.collect()
    memory_before_run = peak_memory_mb()
    best = _gather_and_decide(engine, results) if not args.skip_decide else None
    engine.dispose()
    done()  # no connection may stay open on a database that becomes a template
    saved = _keep_loaded(url, args.runs)
    run_memory = 0.0
    for number in range(1, args.runs + 1):
        seconds, stages, notices, peak = _in_own_process(url, saved, args.partitions)
        run_memory = max(run_memory, peak)
        results[f"whole run --approve #{number}"] = round(seconds, 3)
        split = ", ".join(f"{stage} {part:.1f}" for stage, part in stages.items())
        print(f"  whole run --approve #{number}: {seconds:.3f} s ({split})", flush=True)
    _forget_loaded(url, saved)
    done()
    rate = round(args.items / best) if best else None
    memory = peak_memory_mb()
    print(
        f"  {notices} notices; decision {rate or '-'} items/s; peak memory {memory} MB in this process "
        f"(generating, loading, gathering), {run_memory} MB in the whole runs' processes"
    )
    payload = {"database": engine.dialect.name, "customers": args.customers, "items": args.items}
    payload["promises"] = args.promises
    payload["plans"] = args.plans
    payload |= {
        "partitions": args.partitions,
        "notices": notices,
        "seconds": results,
        "decide_items_per_second": rate,
        "peak_memory_mb": memory,
        "peak_memory_before_runs_mb": memory_before_run,
        "peak_memory_of_whole_run_processes_mb": run_memory,
    }
    suffix = f"_{args.items}_items_{args.partitions}_partitions" if args.partitions > 1 else ""
    suffix += f"_{args.promises}_promises" if args.promises else ""
    suffix += f"_{args.plans}_plans" if args.plans else ""
    save(f"dunning_run_{engine.dialect.name}{suffix}", payload)


def _add_promises(conn: Connection, count: int) -> None:
    """`count` pending promises, one per (customer, currency) group with an open invoice: even ids
    name the group's first invoice, odd ones cover its whole balance; due from D − 7 to D + 12."""
    i = INVOICES.c
    groups = select(i.customer_id, i.currency, func.min(i.id)).where(i.open_minor > 0)
    picked = conn.execute(groups.group_by(i.customer_id, i.currency).limit(count)).all()
    now = datetime.now(UTC)
    rows = [
        {
            "id": n,
            "customer_id": customer,
            "currency": currency,
            "amount_minor": 10_000,
            "made_on": AS_OF - timedelta(days=20),
            "due_on": AS_OF + timedelta(days=n % 20 - 7),
            "grace_days": 2,
            "status": "pending",
            "paid_minor": 0,
            "actor": "bench",
            "created_at": now,
        }
        for n, (customer, currency, _) in enumerate(picked, start=1)
    ]
    conn.execute(insert(PROMISES), rows)
    named = [
        {"promise_id": n, "invoice_id": invoice}
        for n, (_, _, invoice) in enumerate(picked, start=1)
        if n % 2 == 0
    ]
    conn.execute(insert(PROMISE_ITEMS), named)


def _add_plans(conn: Connection, count: int) -> None:
    """`count` active plans, each over every open invoice of one (customer, currency) group drawn
    with `PLAN_SEED`: three instalments 30 days apart adding up to the covered amount (the last takes
    the rounding); every third plan's first instalment fell due 10 days before D (broken on D), the
    others' first falls due from D + 1 to D + 20."""
    i = INVOICES.c
    open_items = conn.execute(
        select(i.customer_id, i.currency, i.id, i.open_minor).where(i.open_minor > 0).order_by(i.id)
    ).all()
    groups: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for customer, currency, item, minor in open_items:
        groups.setdefault((customer, currency), []).append((item, minor))
    picked = random.Random(PLAN_SEED).sample(sorted(groups), min(count, len(groups)))
    now = datetime.now(UTC)
    plans, items, instalments = [], [], []
    for n, (customer, currency) in enumerate(picked, start=1):
        covered = groups[(customer, currency)]
        total = sum(minor for _, minor in covered)
        first = AS_OF - timedelta(days=10) if n % 3 == 0 else AS_OF + timedelta(days=n % 20 + 1)
        plans.append(
            {
                "id": n,
                "customer_id": customer,
                "currency": currency,
                "total_minor": total,
                "down_payment_minor": 0,
                "grace_days": 2,
                "start_on": AS_OF - timedelta(days=30),
                "status": "active",
                "note": "",
                "created_by": "bench",
                "created_at": now,
            }
        )
        items += [{"plan_id": n, "invoice_id": item} for item, _ in covered]
        share = total // 3
        for number in (1, 2, 3):
            amount = total - 2 * share if number == 3 else share
            due = first + timedelta(days=30 * (number - 1))
            instalments.append(
                {"plan_id": n, "number": number, "due_on": due, "amount_minor": amount, "paid_minor": 0}
                | {"status": "pending"}
            )
    conn.execute(insert(PLANS), plans)
    conn.execute(insert(PLAN_ITEMS), items)
    conn.execute(insert(PLAN_INSTALMENTS), instalments)


def _gather_and_decide(engine: Engine, results: dict[str, float]) -> float:
    """The gather and the pure decision timed apart (best of five decisions, after a warm-up)."""
    with engine.connect() as conn:  # gather and decide write nothing: the run below starts afresh
        with timed("gather (snapshot read)", results):
            snapshot = read_snapshot(conn, AS_OF)
        policies = service.current_policy(conn).policies
    decide(snapshot, policies)  # warm-up: Polars' first call compiles and allocates
    times = sorted(_timed_decide(snapshot, policies) for _ in range(5))
    best, median = times[0], times[2]
    results["decide (pure, best of 5)"] = round(best, 3)
    results["decide (pure, median of 5)"] = round(median, 3)
    print(f"  decide (pure): best of 5 {best:.3f} s, median {median:.3f} s")
    return best


def _keep_loaded(url: str, runs: int) -> Path | str | None:
    """What puts the loaded ledger back before each whole run, when more than one will start from
    it: a copy of the SQLite file (closed, so its WAL is checkpointed), or on PostgreSQL a template
    database copied from the loaded one."""
    if runs == 1:
        return None
    if url.startswith("sqlite:///"):
        saved = DATA / "run-loaded.db"
        shutil.copyfile(url.removeprefix("sqlite:///"), saved)
        return saved
    name = make_url(url).database
    template = f"{name}_loaded"
    _admin(url, f'DROP DATABASE IF EXISTS "{template}"', f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
    return template


def _put_back(url: str, saved: Path | str) -> None:
    if isinstance(saved, Path):
        path = Path(url.removeprefix("sqlite:///"))
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(saved, path)
        return
    name = make_url(url).database
    _admin(url, f'DROP DATABASE "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{saved}"')


def _forget_loaded(url: str, saved: Path | str | None) -> None:
    if isinstance(saved, Path):
        saved.unlink()
    elif saved is not None:
        _admin(url, f'DROP DATABASE "{saved}"')


def _admin(url: str, *statements: str) -> None:
    """Statements outside a transaction, on the server's `postgres` database (our own names only)."""
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def _in_own_process(
    url: str, saved: Path | str | None, partitions: int
) -> tuple[float, dict[str, float], int, float]:
    """A whole run in a fresh process, as `dunmore run --approve` runs: (seconds, stages, notices,
    the peak resident memory of the whole-run processes so far in MB). The generator's and the
    gather's memory in this process would otherwise hide the run's."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_whole_run, url, saved, partitions).result()


def _peak_of_this_program() -> float:
    """Peak resident memory since this program started (VmHWM; ru_maxrss would count the moment
    between fork and exec, when the new process still shares the parent's pages)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return peak_memory_mb()  # pragma: no cover - not Linux


def _whole_run(
    url: str, saved: Path | str | None, partitions: int
) -> tuple[float, dict[str, float], int, float]:
    """One whole `run --approve` from the loaded ledger: its seconds and those of each stage."""
    if saved is not None:
        _put_back(url, saved)
    engine = open_database(url)
    stages: dict[str, float] = {}
    last_stage, last_time = ["start"], [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        """Time since the last report goes to the stage reported last (partitions come back to one)."""
        now = time.perf_counter()
        stages[last_stage[0]] = stages.get(last_stage[0], 0.0) + now - last_time[0]
        last_stage[0], last_time[0] = stage, now

    start = time.perf_counter()
    with transaction(engine, snapshot=True) as conn:
        # `partitions` and the template gate only when known: an older checkout (`--pythonpath`) lacks them
        split: dict[str, Any] = {"partitions": partitions} if partitions > 1 else {}
        if "gate_templates" in inspect.signature(service.commit).parameters:
            split |= {"templates_dir": None, "gate_templates": False}  # the run is measured, not the check
        outcome = service.commit(
            conn, as_of=AS_OF, today=AS_OF, now=datetime.now(UTC), actor="system", progress=progress, **split
        )
        progress("commit", 0, 1)
    end = time.perf_counter()
    progress("end", 0, 1)
    engine.dispose()
    stages.pop("start", None)
    return end - start, stages, outcome.notices.height, _peak_of_this_program()


def _timed_decide(snapshot: SnapshotFrames, policies: PolicySet) -> float:
    start = time.perf_counter()
    decide(snapshot, policies)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
