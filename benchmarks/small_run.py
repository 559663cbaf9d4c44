"""Benchmark of a small daily run: 10,000 open items of 2,000 customers, as whole processes.

    .venv/bin/python -m benchmarks.small_run [--repeat 5] [--profile]

A small run must cost what its work costs, not the command's fixed costs. The portfolio comes from
the demo generator (seed 1, as of 2026-11-23); its latest `--items` invoices are loaded without
their payments so every one is open, with the example policy, and its templates checked once (as
a first run does; later runs skip the check while nothing changed). The whole `dunmore run --approve`
process is timed `--repeat` times, each from a copy of the loaded ledger, each followed by the same
on a ledger with the policy and no items: the difference within each pair is what the 10,000 items
cost (median and range of the pairs). `--profile` runs the
command once more inside this process under cProfile and prints the costliest calls.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks.common import DATA, DUNMORE, child_env, save

AS_OF = date(2026, 11, 23)
POLICY = Path(__file__).resolve().parents[1] / "examples" / "dunning.yaml"


def build(path: Path, customers: int, items: int) -> None:
    """A ledger of `items` open items (none when 0) and the example policy, in a fresh SQLite file."""
    from benchmarks.dunning_run import _open_portfolio
    from dunmore.delivery.template_gate import remember_passed, template_verdict
    from dunmore.delivery.uses import uses_for_policies
    from dunmore.demo.generator import generate
    from dunmore.demo.load import load_portfolio
    from dunmore.run import service
    from dunmore.store.db import open_database, transaction

    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    engine = open_database(f"sqlite:///{path}", create=True)
    with transaction(engine) as conn:
        if items:
            load_portfolio(conn, _open_portfolio(generate(customers=customers, seed=1, as_of=AS_OF), items))
        loaded = service.load_policy(conn, POLICY, now=datetime(2026, 11, 23, tzinfo=UTC), actor="benchmark")
        # as after the first run: its templates passed the check, which later runs do not repeat
        verdict = template_verdict(conn, None, uses_for_policies(loaded.policies))
        assert not verdict.problems
        remember_passed(conn, verdict)
    engine.dispose()


def _fresh(saved: Path) -> Path:
    path = DATA / "small_run.db"
    for leftover in DATA.glob("small_run.db*"):
        leftover.unlink()
    shutil.copyfile(saved, path)
    return path


def _args(path: Path) -> list[str]:
    return ["--db", f"sqlite:///{path}", "run", "--approve", "--as-of", AS_OF.isoformat()]


def _one_run(saved: Path, env: dict[str, str] | None) -> float:
    path = _fresh(saved)
    start = time.perf_counter()
    subprocess.run([*DUNMORE, *_args(path)], check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def whole_runs(
    loaded: Path, empty: Path, repeat: int, env: dict[str, str] | None
) -> list[tuple[float, float]]:
    """Seconds of `repeat` pairs of whole `dunmore run --approve` processes, the loaded ledger then the
    empty one, each from a copy: pairs, so that a noisy minute of the shared machine weighs on both
    sides of a difference. The first pair (cold files, cold caches) is a warm-up and is not counted."""
    pairs = [(_one_run(loaded, env), _one_run(empty, env)) for _ in range(repeat + 1)]
    return pairs[1:]


def profile(saved: Path, top: int) -> None:
    """One `run --approve` inside this process under cProfile (imports included)."""
    path = _fresh(saved)
    profiler = cProfile.Profile()
    sys.argv = ["dunmore", *_args(path)]
    profiler.enable()
    from dunmore.cli.app import main

    # the run's table is not the point here
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def _figures(seconds: list[float]) -> dict[str, float]:
    figures = {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds)}
    return {key: round(value, 3) for key, value in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--pythonpath", help="time the dunmore found here (e.g. an older checkout's src)")
    parser.add_argument("--name", default="small_run", help="result file name in benchmarks/results")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    loaded, empty = DATA / "small_run-loaded.db", DATA / "small_run-empty.db"
    build(loaded, args.customers, args.items)
    build(empty, args.customers, 0)
    print(f"small run: {args.items} open items of {args.customers} customers, {args.repeat} processes each")
    env = child_env(args.pythonpath)
    pairs = whole_runs(loaded, empty, args.repeat, env)
    full, bare = _figures([f for f, _ in pairs]), _figures([e for _, e in pairs])
    step = _figures([f - e for f, e in pairs])
    rows = (
        (f"{args.items} items", full),
        ("empty ledger", bare),
        ("the step, items minus empty, per pair", step),
    )
    for what, figures in rows:
        low, high = figures["min"], figures["max"]
        print(f"  run --approve, {what}: median {figures['median']:.3f} s ({low:.3f}–{high:.3f})")
    payload = {
        "customers": args.customers,
        "items": args.items,
        "repeat": args.repeat,
        "pythonpath": args.pythonpath,
    }
    save(
        args.name,
        payload | {"seconds": {"items": full, "empty": bare, "step (items minus empty, per pair)": step}},
    )
    if args.profile:
        profile(loaded, args.top)


if __name__ == "__main__":
    main()
