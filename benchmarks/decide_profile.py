"""Stage-by-stage profile of the pure dunning decision on the benchmark portfolio.

    .venv/bin/python -m benchmarks.decide_profile [--repeat 5] [--rebuild]

The snapshot is the one `benchmarks.dunning_run` decides on (1,000,000 open items of 200,000
customers as of 2026-11-23): built once through a fresh SQLite ledger and `read_snapshot`, then kept
as Parquet under benchmarks/.data/ so that later profiles start in a second. Each stage of
`engine.decide` is timed best of `--repeat` (the machine is shared; the best run is the least
disturbed), then the whole decision, also best of `--repeat`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.common import DATA
from benchmarks.dunning_run import AS_OF, POLICY, _open_portfolio
from dunmore.demo.generator import generate
from dunmore.demo.load import load_portfolio
from dunmore.domain.policy import PolicySet, load_policy_file
from dunmore.engine import levels, notices
from dunmore.engine.decide import by_item_id, coding_of, decide, item_rules
from dunmore.engine.frames import SnapshotFrames
from dunmore.run import service
from dunmore.run.snapshot import read_snapshot
from dunmore.store.db import open_database, transaction

FRAMES = ("items", "customers", "groups")
ON_DEMAND = "(level changes, when read)"  # not part of `decide`: built only if a caller reads them


def _cache(name: str) -> Path:
    return DATA / f"decide_snapshot_{name}.parquet"


def _build(customers: int, items: int) -> SnapshotFrames:
    """The snapshot exactly as the run benchmark reads it: generated, loaded into SQLite, gathered."""
    DATA.mkdir(exist_ok=True)
    path = DATA / "decide_profile.db"
    path.unlink(missing_ok=True)
    engine = open_database(f"sqlite:///{path}")
    portfolio = _open_portfolio(generate(customers=customers, seed=1, as_of=AS_OF), items)
    with transaction(engine) as conn:
        load_portfolio(conn, portfolio)
        service.load_policy(conn, POLICY, now=datetime.now(UTC), actor="system")
    with engine.connect() as conn:
        snapshot = read_snapshot(conn, AS_OF)
    engine.dispose()
    path.unlink()
    return snapshot


def benchmark_snapshot(*, rebuild: bool = False) -> SnapshotFrames:
    """The 1M-item benchmark snapshot, from the Parquet cache when there is one."""
    if rebuild or not all(_cache(name).exists() for name in FRAMES):
        snapshot = _build(200_000, 1_000_000)
        for name in FRAMES:
            getattr(snapshot, name).write_parquet(_cache(name))
        return snapshot
    items, customers, groups = (pl.read_parquet(_cache(name)) for name in FRAMES)
    return SnapshotFrames(AS_OF, items, customers, groups)


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The best wall time of `repeat` runs of `work`."""
    return timings(repeat, work)[0]


def timings(repeat: int, work: Callable[[], object]) -> tuple[float, float]:
    """(best wall time, best process CPU time) of `repeat` runs: CPU time counts both cores' work
    and is less disturbed by the other processes of a shared machine."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def profile(
    snapshot: SnapshotFrames, policies: PolicySet, repeat: int
) -> Iterator[tuple[str, tuple[float, float]]]:
    """Each stage of `decide` (the same calls, in the same order), timed best of `repeat` on the
    previous stages' results."""
    stages: dict[str, Callable[[], object]] = {}

    def stage(label: str, work: Callable[[], object]) -> Any:
        stages[label] = work
        return work()

    snapshot = stage("sort by item_id", lambda: by_item_id(snapshot))
    coding = stage("codes (customers, currencies)", lambda: coding_of(snapshot, policies))
    size = coding.size
    past_due, candidates = stage("item rules (past due, reminders)", lambda: item_rules(snapshot, coding))
    grouped = stage("past-due amounts by group", lambda: levels.by_group(past_due, size))
    totals = stage("group totals", lambda: levels.group_totals(grouped, coding.codes.stride))
    state = stage("group state", lambda: levels.group_state(snapshot, coding))
    rejections = stage("rejections", lambda: levels.group_rejections(snapshot, coding))
    groups = stage(
        "group rules, level notices",
        lambda: notices.with_level_notices(
            levels.evaluate_groups(totals, state, rejections, coding, snapshot.as_of), coding
        ),
    )
    level = stage("level notices of the rising", lambda: notices.level_notices(groups))
    _, sent = stage("reminders", lambda: notices.reminders(candidates))
    reminder, reminder_items = stage("reminder notices", lambda: notices.reminder_notices(sent, coding))
    numbered = stage("number notices", lambda: notices.number_notices(level, reminder))
    stage("notice frame", lambda: notices.notice_frame(numbered, coding))
    level_items = stage("level notice items", lambda: notices.level_notice_items(past_due, numbered, size))
    stage("notice items", lambda: notices.notice_items(level_items, reminder_items, numbered))
    stage("group changes", lambda: notices.group_changes(groups, coding, snapshot.as_of))
    stage(ON_DEMAND, lambda: notices.level_changes(past_due, level, size))
    for label, work in stages.items():
        yield label, timings(repeat, work)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per stage; the best is shown")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached snapshot")
    args = parser.parse_args()
    snapshot = benchmark_snapshot(rebuild=args.rebuild)
    policies: PolicySet = load_policy_file(POLICY)
    sizes = f"{snapshot.items.height} items, {snapshot.customers.height} customers"
    print(f"decide profile: {sizes}, best of {args.repeat}")
    decide(snapshot, policies)  # warm-up: Polars' first call compiles and allocates
    total_wall = total_cpu = 0.0
    on_demand = ""
    print(f"  {'stage':<30} {'wall ms':>8} {'cpu ms':>8}")
    for label, (wall, cpu) in profile(snapshot, policies, args.repeat):
        if label != ON_DEMAND:
            total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            print(f"  {label:<30} {wall * 1000:8.1f} {cpu * 1000:8.1f}")
        else:
            on_demand = f"  {label:<30} {wall * 1000:8.1f} {cpu * 1000:8.1f}"
    print(f"  {'sum of stages':<30} {total_wall * 1000:8.1f} {total_cpu * 1000:8.1f}")
    print(on_demand)
    wall, cpu = timings(args.repeat, lambda: decide(snapshot, policies))
    rate = snapshot.items.height / wall
    print(f"  {'decide (whole)':<30} {wall * 1000:8.1f} {cpu * 1000:8.1f}   {rate:,.0f} items/s (wall)")


if __name__ == "__main__":
    main()
