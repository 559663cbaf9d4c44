"""Benchmark of webhooks: emitting events set-at-a-time, the cost of an event nobody wants, and
posting them to a local receiver.

    .venv/bin/python -m benchmarks.webhooks [--events 100000] [--posts 2000] [--postgres URL]

1. `emit` of N `delivery.sent` events for two subscribers in one transaction (a run-sized burst).
2. 10,000 `emit` calls of a type nobody subscribed to, each in its own transaction: what every
   sent notice pays when no one listens.
3. The worker's webhook queue posting M deliveries to an HTTP server on 127.0.0.1 that answers 200
   at once (one worker, as on SQLite): deliveries per second, signing and recording included.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from tests.support.http_sms import SmsHttpServer

from benchmarks.common import save
from dunmore.settings import load_settings
from dunmore.store.db import make_engine, transaction, upgrade
from dunmore.webhooks import emit, service
from dunmore.webhooks.dispatch import WebhookPoster

NOW = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


def subscribe(engine: Engine, url: str, count: int = 2) -> None:
    with transaction(engine) as conn:
        for number in range(count):
            service.add(conn, url=f"{url}/{number}", events=["delivery.sent"], now=NOW, actor="bench")


def burst(engine: Engine, events: int) -> float:
    start = time.perf_counter()
    with transaction(engine) as conn:
        emit.emit(conn, "delivery.sent", lambda: [{"delivery_id": i} for i in range(events)], now=NOW)
    return time.perf_counter() - start


def unwanted(engine: Engine, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        with transaction(engine) as conn:
            emit.emit(conn, "dispute.opened", lambda: [{}], now=NOW)
    return (time.perf_counter() - start) / calls


def posting(engine: Engine, posts: int) -> float:
    with SmsHttpServer() as receiver:
        with transaction(engine) as conn:
            conn.execute(text("DELETE FROM webhook_deliveries"))
            conn.execute(text("DELETE FROM webhook_subscription_events"))
            conn.execute(text("DELETE FROM webhook_subscriptions"))
        subscribe(engine, receiver.url, count=1)
        burst(engine, posts)
        poster = WebhookPoster(engine, load_settings(), clock=lambda: NOW, name="bench")
        start = time.perf_counter()
        while poster.batch():
            pass
        elapsed = time.perf_counter() - start
        assert len(receiver.requests) == posts
    return posts / elapsed


def measure(engine: Engine, label: str, events: int, posts: int) -> dict[str, float]:
    subscribe(engine, "https://erp.example.cn/in")
    figures = {
        f"emit {events} events x 2 subscribers, s": round(burst(engine, events), 3),
        "emit nobody wants, ms per call": round(unwanted(engine, 10_000) * 1000, 3),
        "posts per second": round(posting(engine, posts), 1),
    }
    for name, value in figures.items():
        print(f"  {label} {name}: {value}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL database (an empty one)")
    args = parser.parse_args()
    results: dict[str, object] = {"events": args.events, "posts": args.posts}
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        results["sqlite"] = measure(engine, "sqlite", args.events, args.posts)
        engine.dispose()
    if args.postgres:
        engine = make_engine(args.postgres)
        upgrade(engine)
        results["postgresql"] = measure(engine, "postgresql", args.events, args.posts)
        engine.dispose()
    save("webhooks", results)


if __name__ == "__main__":
    main()
