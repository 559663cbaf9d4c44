"""Benchmark of the outbox worker sending to a local SMTP server (aiosmtpd in this process; the
worker is `dunmore worker --drain` in a process of its own, as in production).

    .venv/bin/python -m benchmarks.delivery [--emails 1000] [--letters 60]
    .venv/bin/python -m benchmarks.delivery --db postgresql+psycopg://postgres@127.0.0.1/test \
        --processes 1,2,4 --letters 0

Two runs on fresh databases: e-mails alone (one overdue notice per debtor, step channels [email]),
and e-mails with the PDF letter attached (channels [email, letter]: every notice is rendered to an
A4 PDF once, attached to the e-mail and put in the run's print batch). The rate is messages per
second between the first and the last message arriving at the server, so the worker's start-up
(about 2 s of imports) is left out; the whole wall time is reported beside it, and the CPU time per
message of the worker's processes (start-up included) and of the SMTP server, which on a shared
machine are steadier than the rate.

Without `--db` the databases are SQLite files (one worker process: SQLite allows no more). With a
PostgreSQL URL each measurement gets a schema of its own in that database, dropped afterwards, and
`--processes 1,2,4` measures `dunmore worker --processes N` for each N, back to back.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.delivery.portfolio import CREDITOR_ENV, Debtor, overdue_portfolio
from tests.support.smtp import SmtpServer

from benchmarks.common import DUNMORE, postgres_schema, save
from dunmore.store.db import make_engine, upgrade


@contextmanager
def fresh_database(folder: Path, postgres: str | None) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a schema of its own in `postgres`."""
    if postgres is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    with postgres_schema(postgres, "bench_delivery") as url:
        yield url


def measure(count: int, channels: str, postgres: str | None = None, processes: int = 1) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(Path(folder), postgres) as url,
        SmtpServer() as server,
    ):
        engine = make_engine(url)
        upgrade(engine)
        overdue_portfolio(engine, Path(folder), [Debtor() for _ in range(count)], channels=channels)
        engine.dispose()
        env = {
            **os.environ,
            **CREDITOR_ENV,
            "DUNMORE_SMTP__HOST": server.host,
            "DUNMORE_SMTP__PORT": str(server.port),
            "DUNMORE_DELIVERY__WINDOWS": "{}",
            "DUNMORE_DELIVERY__CAPS": "{}",
        }
        start = time.perf_counter()
        server_cpu = _cpu(resource.RUSAGE_SELF)  # the SMTP server's thread; the main one only waits
        worker_cpu = _cpu(resource.RUSAGE_CHILDREN)
        with _backends(url if postgres else None) as backends:
            worker = subprocess.Popen(
                [*DUNMORE, "--db", url, "worker", "--drain", "--processes", str(processes)],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            server.wait_for(1, timeout=120)
            first = time.perf_counter()
            server.wait_for(count, timeout=3600)
            last = time.perf_counter()
            server_ms = (_cpu(resource.RUSAGE_SELF) - server_cpu) * 1000 / count
            worker.wait(timeout=600)
        wall = time.perf_counter() - start
        worker_ms = (_cpu(resource.RUSAGE_CHILDREN) - worker_cpu) * 1000 / count
        backend_ms = backends.seconds * 1000 / count
    rate = (count - 1) / (last - first)
    load = round(os.getloadavg()[0], 2)
    print(
        f"  {count} e-mails ({channels}), {processes} process(es): {rate:.1f} messages/s, "
        f"{wall:.1f} s wall (load average {load}); CPU per message: worker {worker_ms:.2f} ms "
        f"(start-up included), SMTP server {server_ms:.2f} ms"
        + (f", PostgreSQL back-ends {backend_ms:.2f} ms" if postgres else ""),
        flush=True,
    )
    return {
        "messages": count, "processes": processes, "messages_per_s": round(rate, 1), "wall_s": round(wall, 1),
        "load_average": load, "worker_cpu_ms_per_message": round(worker_ms, 2),
        "smtp_server_cpu_ms_per_message": round(server_ms, 2),
        **({"postgresql_backends_cpu_ms_per_message": round(backend_ms, 2)} if postgres else {}),
    }  # fmt: skip


class _Backends:
    """The CPU time of the PostgreSQL server processes serving the worker: every client back-end of
    the benchmark's database, read from /proc four times a second while the worker runs (a back-end
    ends with its connection); those already there at the start count from then, the others whole.
    The benchmark runs on the database server's machine, so /proc holds them."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import make_url

        from dunmore.store.db import normalize_url

        parsed = make_url(normalize_url(url))
        self._dsn = parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        self._start: dict[int, float] = {}
        self._seen: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @property
    def seconds(self) -> float:
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._seen.items())

    def __enter__(self) -> _Backends:
        import psycopg

        self._connection = psycopg.connect(self._dsn, autocommit=True)
        self._start = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()
        self._connection.close()

    def _watch(self) -> None:
        while not self._done.wait(0.25):
            self._sample()

    def _sample(self) -> dict[int, float]:
        pids = self._connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchall()
        now = {}
        for (pid,) in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # ended meanwhile
            now[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        self._seen.update(now)
        return now


class _NoBackends:
    seconds = 0.0

    def __enter__(self) -> _NoBackends:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass


def _backends(url: str | None) -> _Backends | _NoBackends:
    return _NoBackends() if url is None else _Backends(url)


def _cpu(who: int) -> float:
    """User and system CPU seconds of this process (RUSAGE_SELF) or its waited-for children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--emails", type=int, default=1000, help="e-mails without a letter")
    parser.add_argument("--letters", type=int, default=60, help="e-mails with the PDF letter attached")
    parser.add_argument("--db", help="a PostgreSQL URL (default: SQLite files)")
    parser.add_argument("--processes", default="1", help="worker processes, e.g. 1,2,4 (PostgreSQL only)")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    backend = "postgresql" if args.db else "sqlite"
    print(f"delivery benchmark on {backend}, worker processes {counts}")
    results: dict[str, object] = {"backend": backend}
    for processes in counts:
        results[f"email_{processes}p"] = measure(args.emails, "email", args.db, processes)
        if args.letters:
            results[f"email_with_pdf_letter_{processes}p"] = measure(
                args.letters, "email, letter", args.db, processes
            )
    save("delivery" if backend == "sqlite" else "delivery_postgresql", results)


if __name__ == "__main__":
    main()
