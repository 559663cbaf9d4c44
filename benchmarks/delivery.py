"""Benchmark of the outbox worker sending to a local SMTP server (aiosmtpd in this process; the
worker is `dunmore worker --drain` in a process of its own, as in production).

    .venv/bin/python -m benchmarks.delivery [--emails 1000] [--letters 60]

Two runs on fresh SQLite databases: e-mails alone (one overdue notice per debtor, step channels
[email]), and e-mails with the PDF letter attached (channels [email, letter]: every notice is
rendered to an A4 PDF once, attached to the e-mail and put in the run's print batch). The rate is
messages per second between the first and the last message arriving at the server, so the worker's
start-up (about 2 s of imports) is left out; the whole wall time is reported beside it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.delivery.portfolio import CREDITOR_ENV, Debtor, overdue_portfolio
from tests.support.smtp import SmtpServer

from benchmarks.common import save
from dunmore.store.db import make_engine, upgrade

DUNMORE = str(Path(sys.executable).with_name("dunmore"))


def measure(count: int, channels: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder, SmtpServer() as server:
        database = Path(folder) / "bench.db"
        engine = make_engine(f"sqlite:///{database}")
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
        worker = subprocess.Popen(
            [DUNMORE, "--db", f"sqlite:///{database}", "worker", "--drain"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        server.wait_for(1, timeout=120)
        first = time.perf_counter()
        server.wait_for(count, timeout=3600)
        last = time.perf_counter()
        worker.wait(timeout=600)
        wall = time.perf_counter() - start
    rate = (count - 1) / (last - first)
    print(f"  {count} e-mails ({channels}): {rate:.1f} messages/s, {wall:.1f} s wall", flush=True)
    return {"messages": count, "messages_per_s": round(rate, 1), "wall_s": round(wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--emails", type=int, default=1000, help="e-mails without a letter")
    parser.add_argument("--letters", type=int, default=60, help="e-mails with the PDF letter attached")
    args = parser.parse_args()
    results: dict[str, object] = {
        "email": measure(args.emails, "email"),
        "email_with_pdf_letter": measure(args.letters, "email, letter"),
    }
    save("delivery", results)


if __name__ == "__main__":
    main()
