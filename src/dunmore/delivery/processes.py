"""`dunmore worker --processes N`: several worker processes sharing one PostgreSQL outbox.

Each process is a `Worker` of its own, with its own database connections and one SMTP connection
kept open across its messages. Claims use `FOR UPDATE SKIP LOCKED`, so no two processes ever take
the same delivery and none is sent twice. SIGTERM or Ctrl-C to the parent sets one stop signal
shared by all: each process finishes the message it is sending, gives back the claims it has not
started (`outbox.release`), and ends; the parent waits for them and adds up their tallies. A process
whose parent died stops the same way.

SQLite takes one writer at a time and keeps one worker per database (a lock file, see
`worker._only_worker`), so several processes are refused there rather than left to queue.

The processes are started with `spawn`: a fresh interpreter each, sharing no connection, socket
or lock with the parent (a forked copy of an open database pool is not safe).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from dunmore.delivery.worker import StopSignal, Tally
from dunmore.errors import BadArgument
from dunmore.i18n import _m

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event

    from dunmore.settings import Settings

MAX_PROCESSES = 64


@dataclass(frozen=True)
class Job:
    """What every process needs (sent to it pickled): the settings hold the database URL."""

    settings: Settings
    demo: bool
    drain: bool
    poll: float


@dataclass(frozen=True)
class Outcome:
    """How one process ended: its tally, and its error if it stopped on one."""

    name: str
    tally: Tally
    error: str | None = None


def check_processes(processes: int, database_url: str) -> None:
    """Refuse a count out of range, and several processes on SQLite."""
    if not 1 <= processes <= MAX_PROCESSES:
        raise BadArgument(
            _m("--processes %(count)s: give a number from 1 to %(most)s", count=processes, most=MAX_PROCESSES)
        )
    if processes > 1 and not database_url.startswith(("postgres://", "postgresql")):
        raise BadArgument(
            _m(
                "--processes %(count)s: SQLite lets one worker send at a time (it takes one writer, and a "
                "second worker could not tell a live claim from a dead one's); run one process, or move the "
                "database to PostgreSQL to run several",
                count=processes,
            )
        )


def combined(tallies: list[Tally]) -> Tally:
    """The tallies of several workers added up (counts, counts per channel, the webhooks' counts)."""
    total = Tally()
    for tally in tallies:
        _add(total, tally)
    return total


def _add(total: Any, tally: Any) -> None:
    for counter in fields(tally):
        mine, theirs = getattr(total, counter.name), getattr(tally, counter.name)
        if isinstance(theirs, int):
            setattr(total, counter.name, mine + theirs)
        elif isinstance(theirs, dict):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        else:  # a tally inside the tally (the webhooks')
            _add(mine, theirs)


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """SIGTERM and the first Ctrl-C call `stop`; a second one acts as usual (a second Ctrl-C raises
    KeyboardInterrupt at once). Only the main thread can take signals: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

    def handler(number: int, _frame: Any) -> None:
        signal.signal(number, previous[signal.Signals(number)] or signal.SIG_DFL)
        stop()

    for number in previous:
        signal.signal(number, handler)
    try:
        yield
    finally:
        for number, action in previous.items():
            signal.signal(number, action or signal.SIG_DFL)


def run_processes(job: Job, processes: int) -> list[Outcome]:
    """Run `processes` workers until they drain (`job.drain`) or a signal stops them all."""
    context = multiprocessing.get_context("spawn")
    stopping = context.Event()
    results: multiprocessing.Queue[Outcome] = context.Queue()
    host, parent = socket.gethostname(), os.getpid()
    names = [f"{host}:{parent}/{number + 1}" for number in range(processes)]
    children = {
        name: context.Process(target=_work, args=(job, name, stopping, results, parent), name=name)
        for name in names
    }
    outcomes: dict[str, Outcome] = {}
    with stop_on_signals(stopping.set):
        for child in children.values():
            child.start()
        while len(outcomes) < len(children):
            try:
                outcome = results.get(timeout=0.5)
                outcomes[outcome.name] = outcome
            except queue.Empty:
                _note_crashes(children, outcomes)
        for child in children.values():
            child.join()
    return [outcomes[name] for name in names]


def _note_crashes(children: dict[str, Any], outcomes: dict[str, Outcome]) -> None:
    """A process that ended without a word (killed, out of memory) is reported as such; what it had
    claimed goes back to the queue when its lease runs out."""
    for name, child in children.items():
        if name not in outcomes and child.exitcode is not None:
            time.sleep(0.2)  # its last word may still be in the queue's pipe
            if name not in outcomes:
                outcomes[name] = Outcome(name, Tally(), f"ended with exit code {child.exitcode}")


class _Stopping:
    """The shared stop signal, or this process's own (a signal sent to it alone), or an orphan's."""

    def __init__(self, shared: Event, parent: int) -> None:
        self.shared = shared
        self.own = threading.Event()
        self.parent = parent

    def set(self) -> None:
        self.own.set()

    def is_set(self) -> bool:
        return self.shared.is_set() or self.own.is_set() or os.getppid() != self.parent

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = 0.25 if deadline is None else min(0.25, deadline - time.monotonic())
            if left <= 0:
                return False
            self.shared.wait(left)
        return True


def _work(job: Job, name: str, shared: Event, results: multiprocessing.Queue[Outcome], parent: int) -> None:
    """One worker process (the target of `run_processes`)."""
    from dunmore.delivery.render import Templates
    from dunmore.delivery.wiring import outlets
    from dunmore.delivery.worker import Worker
    from dunmore.store.db import make_engine

    stopping: StopSignal = _Stopping(shared, parent)
    tally = Tally()
    with stop_on_signals(stopping.set):
        try:
            engine = make_engine(job.settings.database_url)
            templates = Templates(job.settings.delivery.templates_dir)
            worker = Worker(
                engine, job.settings, templates=templates, outlets=outlets(job.settings, demo=job.demo),
                name=name, stopping=stopping,
            )  # fmt: skip
            tally = worker.tally
            worker.run(drain=job.drain, poll=job.poll)
            engine.dispose()
        except Exception as error:  # reported by the parent, with the tally of what was done before
            results.put(Outcome(name, tally, f"{type(error).__name__}: {error}"))
            return
    results.put(Outcome(name, tally))
