"""Shared pieces of the benchmark scripts: timing, memory, the machine, result files."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DATA = Path(__file__).parent / ".data"
RESULTS = Path(__file__).parent / "results"

# The console script, as `[project.scripts]` installs it, with the program name it shows in help
# (a checkout older than `dunmore.cli.entry` started at `dunmore.cli.app`).
DUNMORE = [
    sys.executable,
    "-c",
    "import sys; sys.argv[0] = 'dunmore'\n"
    "try:\n    from dunmore.cli.entry import main\n"
    "except ImportError:\n    from dunmore.cli.app import main\n"
    "main()",
]


def child_env(pythonpath: str | None) -> dict[str, str] | None:
    """The timed processes' environment: this one, or with `--pythonpath` first (to time another
    checkout, e.g. the commit before a change, on the same ledger and hour)."""
    if pythonpath is None:
        return None
    return {**os.environ, "PYTHONPATH": os.pathsep.join([pythonpath, os.environ.get("PYTHONPATH", "")])}


@contextmanager
def timed(label: str, results: dict[str, float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    results[label] = round(time.perf_counter() - start, 3)
    print(f"  {label}: {results[label]:.3f} s", flush=True)


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def save(name: str, payload: dict[str, object]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {path}")
    return path


@contextmanager
def postgres_schema(url: str, prefix: str) -> Iterator[str]:
    """A schema of its own in the PostgreSQL database `url`, dropped afterwards; yields the URL that
    opens it (its `search_path`), so that a benchmark never touches what others keep there."""
    from sqlalchemy import create_engine, make_url, text

    from dunmore.store.db import normalize_url

    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(url))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = make_url(normalize_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
