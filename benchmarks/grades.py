"""Benchmark of grading (issue 13): every customer of the run benchmark's ledger (200,000 customers,
1,000,000 open items, after one committed run) graded in one pass; goal: under 5 s.

    .venv/bin/python -m benchmarks.grades [--items 1000000 | --history] [--db URL] [--steps] [--next-day]

Timed apart: reading the frames (`grades_inputs.read_inputs`), the pure vectorized pass
(`grades_frames.grade_frame`), and the whole `grades.compute` (history written, grades set, holds,
early warnings) in one transaction, rolled back so that each repetition starts from the same ledger.
`--steps` also times the steps of that `grades.compute` (the functions it calls, wrapped here): the
read, the pure pass, the history insert, setting the changed grades, re-ranking their accounts
(`balances.follow`), the holds and the rest. `--next-day` also times the grading of the day after,
on top of the first in the same transaction: a day's grading, which changes few grades. `--history`
grades another ledger: the demo generator's 12 months of 200,000 customers (about 1.5 million
invoices, most of them paid, and their payments; no run), where the run benchmark's has only open
items and no payment. The database is its own (benchmarks/.data/grades-<items>.db or
grades-history.db, or `--db`, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/bench_grades): grading changes customers' grades. On
PostgreSQL the tables grading writes are vacuumed first: each rolled-back repetition leaves ~800,000
dead rows behind, which slowed the next one by half.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from typing import Any

from benchmarks.common import DATA, save
from benchmarks.dunning_run import AS_OF
from benchmarks.web_pages import AT, _ledger
from dunmore.access.values import Language, Role, User
from dunmore.credit import grades, limits
from dunmore.credit.grades_frames import grade_frame
from dunmore.credit.grades_inputs import read_inputs
from dunmore.ledger import balances
from dunmore.store.db import open_database

MANAGER = User(1, "max", Role.MANAGER, Language.ZH_CN, frozenset(), False, AT)
# the functions `grades.compute` calls, by the step they time ("set grades" includes the re-rank)
STEPS: list[tuple[Any, str, str]] = [
    (grades, "read_inputs", "read"),
    (grades, "grade_frame", "pure"),
    (grades, "_store_history", "history"),
    (grades, "_set_grades", "set grades"),
    (balances, "follow", "re-rank"),
    (limits, "set_holds", "holds"),
]


@contextmanager
def timed_steps(seconds: dict[str, float]) -> Iterator[None]:
    """Each step's functions wrapped to add their time to `seconds`, put back afterwards."""

    def wrapped(function: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def timing(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - started

        return timing

    originals = [(module, name, getattr(module, name)) for module, name, _ in STEPS]
    for (module, name, label), (_, _, function) in zip(STEPS, originals, strict=True):
        setattr(module, name, wrapped(function, label))
    try:
        yield
    finally:
        for module, name, function in originals:
            setattr(module, name, function)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000, help="open items of the ledger")
    parser.add_argument("--db", help="default: a SQLite file of its own in benchmarks/.data")
    parser.add_argument("--steps", action="store_true", help="also time the steps of `grades.compute`")
    parser.add_argument(
        "--next-day", action="store_true", help="also time the next day's grading, on top of the first"
    )
    parser.add_argument(
        "--history",
        action="store_true",
        help="instead the demo generator's 12 months of 200,000 customers (paid and open invoices, payments)",
    )
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    kind = "history" if args.history else str(args.items)
    engine = open_database(args.db or f"sqlite:///{DATA / f'grades-{kind}.db'}", create=True)
    items = _ledger(engine, 200_000, None if args.history else args.items, AS_OF)
    if engine.dialect.name == "postgresql":  # each repetition from tables as a live database has them,
        # not bloated by the rows of the repetitions rolled back before (14.6 s against 23.2 s)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(
                "VACUUM ANALYZE customers, credit_holds, grade_history, audit_log, worklist_ranks"
            )
    seconds: dict[str, float] = {}
    with engine.connect() as conn:
        started = time.perf_counter()
        inputs = read_inputs(conn)
        seconds["read"] = time.perf_counter() - started
        scorecard = grades.current_scorecard(conn).scorecard
        started = time.perf_counter()
        graded = grade_frame(inputs, scorecard, AS_OF)
        seconds["decide"] = time.perf_counter() - started
    steps: dict[str, float] = {}
    with engine.connect() as conn:
        transaction = conn.begin()
        with timed_steps(steps) if args.steps else nullcontext():
            started = time.perf_counter()
            done = grades.compute(conn, user=MANAGER, as_of=AS_OF, now=AT)
            seconds["compute"] = time.perf_counter() - started
        if args.next_day:  # the daily grading after this first one, on top of it
            started = time.perf_counter()
            after = grades.compute(conn, user=MANAGER, as_of=AS_OF + timedelta(days=1), now=AT)
            seconds["compute, the next day"] = time.perf_counter() - started
            print(f"the next day: {len(after.changed)} grades changed, {after.holds_set} holds set")
        transaction.rollback()
    print(f"{items} invoices, {graded.height} customers: {done.counts}, {len(done.changed)} changed")
    print({label: round(value, 3) for label, value in seconds.items()})
    if args.steps:
        steps["set grades"] -= steps.get("re-rank", 0.0)
        steps["the rest"] = seconds["compute"] - sum(steps.values())
        print("steps of compute:", {label: round(value, 3) for label, value in steps.items()})
        seconds |= {f"compute: {label}": value for label, value in steps.items()}
    save(f"grades_{engine.dialect.name}_{kind}", {"customers": graded.height, "seconds": seconds})


if __name__ == "__main__":
    main()
