"""Benchmark of the command line's start-up: what a user waits for before any work is done.

    .venv/bin/python -m benchmarks.cli_startup [--repeat 7] [--customers 500]

Timed as whole processes (the median and range of `--repeat` runs of each, and the median CPU time
they used, which the other jobs of a shared machine disturb less): `dunmore --help` as users get it
after their first call (the page kept, `dunmore.cli.entry`) and as made by Typer (the kept pages
removed before each call, in a cache folder of the benchmark's own), and
`dunmore aging` on a demo ledger of `--customers` customers (built once by the demo generator, seed 7,
as of 2026-11-23). Then `python -X importtime -c "import dunmore.cli.app"` lists the modules whose
import costs most (cumulative, top level of each package). The machine is shared and noisy: compare
medians of the same hour, and read the range.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date

from benchmarks.common import DATA, DUNMORE, child_env, save

AS_OF = date(2026, 11, 23)


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed_process(
    args: list[str], repeat: int, env: dict[str, str] | None, before: Callable[[], None] = lambda: None
) -> dict[str, float]:
    """Median, min and max seconds of `repeat` whole processes (after one unmeasured warm-up; each
    after `before`), and the median CPU seconds each used: on a shared machine the wall time waits
    for the other jobs, the CPU time much less."""
    subprocess.run(args, check=True, capture_output=True, env=env)
    seconds, cpu = [], []
    for _ in range(repeat):
        before()
        start, start_cpu = time.perf_counter(), _children_cpu()
        subprocess.run(args, check=True, capture_output=True, env=env)
        seconds.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - start_cpu)
    figures = {
        "median": statistics.median(seconds),
        "min": min(seconds),
        "max": max(seconds),
        "cpu": statistics.median(cpu),
    }
    return {key: round(value, 3) for key, value in figures.items()}


def import_offenders(top: int, env: dict[str, str] | None) -> list[dict[str, object]]:
    """The costliest imports of `dunmore.cli.app` (cumulative µs), one line per top-level package
    outside dunmore and per dunmore module."""
    code = "import dunmore.cli.app"
    command = [sys.executable, "-X", "importtime", "-c", code]
    done = subprocess.run(command, check=True, capture_output=True, env=env)
    costs: dict[str, int] = {}
    total = 0
    for line in done.stderr.decode().splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        module = name.strip()
        depth = (len(name) - len(name.lstrip())) // 2
        if module == "dunmore.cli.app":
            total = int(cumulative)
        key = module if module.startswith("dunmore") else module.split(".")[0]
        if depth <= 2 or not module.startswith("dunmore"):
            costs[key] = max(costs.get(key, 0), int(cumulative))
    ranked = sorted(costs.items(), key=lambda pair: -pair[1])
    rows: list[dict[str, object]] = [{"module": "dunmore.cli.app (total)", "seconds": round(total / 1e6, 3)}]
    rows += [{"module": m, "seconds": round(us / 1e6, 3)} for m, us in ranked if m != "dunmore.cli.app"][:top]
    return rows


def demo_database(customers: int) -> str:
    """A demo ledger (generator, seed 7) in benchmarks/.data, built once per customer count."""
    path = DATA / f"cli_demo_{customers}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    from datetime import UTC, datetime
    from pathlib import Path

    from dunmore.demo.generator import generate
    from dunmore.demo.load import load_portfolio
    from dunmore.run import service
    from dunmore.store.db import open_database, transaction

    DATA.mkdir(exist_ok=True)
    engine = open_database(url, create=True)
    policy = Path(__file__).resolve().parents[1] / "examples" / "dunning.yaml"
    with transaction(engine) as conn:
        load_portfolio(conn, generate(customers=customers, seed=7, as_of=AS_OF))
        service.load_policy(conn, policy, now=datetime(2026, 11, 23, tzinfo=UTC), actor="benchmark")
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--pythonpath", help="time the dunmore found here (e.g. an older checkout's src)")
    parser.add_argument("--name", default="cli_startup", help="result file name in benchmarks/results")
    args = parser.parse_args()
    url = demo_database(args.customers)
    cache = DATA / "cli_cache"
    env = {**(child_env(args.pythonpath) or os.environ), "DUNMORE_CACHE_DIR": str(cache)}
    print(f"command-line start-up: median of {args.repeat} processes ({os.cpu_count()} cpus, {url})")
    seconds = {
        "dunmore --help": timed_process([*DUNMORE, "--help"], args.repeat, env),
        "dunmore --help, the page made by Typer": timed_process(
            [*DUNMORE, "--help"], args.repeat, env, lambda: shutil.rmtree(cache / "help", ignore_errors=True)
        ),
        f"dunmore aging ({args.customers}-customer demo)": timed_process(
            [*DUNMORE, "--db", url, "aging", "--as-of", AS_OF.isoformat()], args.repeat, env
        ),
    }
    for what, figures in seconds.items():
        print(
            f"  {what}: median {figures['median']:.3f} s (range {figures['min']:.3f}–{figures['max']:.3f}),"
            f" cpu {figures['cpu']:.3f} s"
        )
    offenders = import_offenders(args.top, env)
    print("  import dunmore.cli.app, costliest imports (cumulative):")
    for row in offenders:
        print(f"    {row['seconds']:.3f} s  {row['module']}")
    save(
        args.name,
        {"pythonpath": args.pythonpath, "repeat": args.repeat, "seconds": seconds, "imports": offenders},
    )


if __name__ == "__main__":
    main()
