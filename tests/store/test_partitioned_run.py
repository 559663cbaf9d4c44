"""A partitioned run writes what the whole run writes, and a killed one leaves nothing behind.

Ledgers come from the seeded demo generator (random customers, invoices and payments); on each
backend the run for 2026-11-23 is committed whole and rolled back, then committed in partitions
and rolled back, and what each wrote is compared row by row (notice ids aside: they are given in
another order). The crash test starts a partitioned run on PostgreSQL in another process and kills
it with SIGKILL once its first partition is written: no run, notice or level of it remains, and the
next run commits normally.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, func, select, text

from dunmore.delivery.models import DELIVERIES
from dunmore.demo.generator import generate
from dunmore.demo.load import load_portfolio
from dunmore.ledger.models import BALANCES, INVOICES, ITEM_LEVELS
from dunmore.run import service
from dunmore.run.models import (
    DUNNING_GROUPS,
    GROUPS_BEFORE,
    LEVELS_BEFORE,
    NOTICE_ITEMS,
    NOTICES,
    REMINDER_RECORDS,
    RUNS,
)
from dunmore.store.db import transaction

AS_OF = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
POLICY = Path(__file__).resolve().parents[2] / "examples" / "dunning.yaml"


LEDGER_TABLES = [
    "customer_balances",
    "audit_log",
    "policy_versions",
    "allocations",
    "payments",
    "credit_notes",
    "invoices",
]
LEDGER_TABLES += ["contacts", "customers"]  # the run's tables are empty: every commit here is rolled back


def ledger(engine: Engine, *, customers: int, seed: int) -> None:
    with transaction(engine) as conn:
        load_portfolio(conn, generate(customers=customers, seed=seed, as_of=AS_OF))
        service.load_policy(conn, POLICY, now=NOW, actor="test")


def written(conn: Connection) -> dict[str, Any]:
    """What a run wrote, with each notice named by its group and step instead of its id."""
    n, ni, d, i = NOTICES.c, NOTICE_ITEMS.c, DELIVERIES.c, INVOICES.c
    notice = [n.customer_id, n.currency, n.kind, n.step]
    listed = [ni.item_id, ni.kind, ni.level, ni.days_past_due, ni.open_minor, ni.interest_minor]
    rows = {
        "notices": select(*notice, n.policy, n.level, n.fee_minor, n.interest_charge_minor, n.status),
        "items": select(*notice, *listed).join_from(NOTICE_ITEMS, NOTICES, ni.notice_id == n.id),
        "deliveries": select(*notice, d.channel, d.status).join_from(
            DELIVERIES, NOTICES, d.notice_id == n.id
        ),
        "levels": select(ITEM_LEVELS),
        "levels_before": select(*(c for c in LEVELS_BEFORE.c if c.name != "run_id")),
        "groups": select(DUNNING_GROUPS),
        "groups_before": select(*(c for c in GROUPS_BEFORE.c if c.name != "run_id")),
        "reminders": select(*(c for c in REMINDER_RECORDS.c if c.name not in ("id", "run_id"))),
        "charges": select(i.customer_id, i.kind, i.amount_minor, i.open_minor).where(i.kind != "invoice"),
        "open": select(i.id, i.open_minor),
        "balances": select(BALANCES),  # the customer summary the run refreshed and rolled
        "run": select(RUNS.c.as_of, RUNS.c.notices, RUNS.c.status),
    }
    return {name: sorted(tuple(row) for row in conn.execute(query)) for name, query in rows.items()}


def committed(engine: Engine, partitions: int) -> dict[str, Any]:
    """Commit the run in `partitions`, read what it wrote, and roll it all back."""
    with engine.connect() as conn, conn.begin() as outer:
        outcome = service.commit(conn, as_of=AS_OF, today=AS_OF, now=NOW, actor="test", partitions=partitions,
                                 templates_dir=None, gate_templates=False)  # fmt: skip
        state = written(conn) | {"outcome": sorted(outcome.notices.drop("notice_key", "notice_id").rows())}
        outer.rollback()
    return state


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=1, max_value=10_000), partitions=st.integers(min_value=2, max_value=6))
def test_a_partitioned_run_writes_what_the_whole_run_writes(
    engine: Engine, seed: int, partitions: int
) -> None:
    with engine.begin() as conn:  # hypothesis reuses the fixture's database: start each ledger afresh
        for table in LEDGER_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    ledger(engine, customers=40, seed=seed)
    whole = committed(engine, 1)
    assert whole["notices"], "the generated ledger has something to dun"
    assert committed(engine, partitions) == whole


CRASH = """
import os, sys, time
from datetime import UTC, date, datetime
from sqlalchemy import create_engine
from dunmore.run import service
from dunmore.store.db import transaction

engine = create_engine(sys.argv[1], connect_args={"options": f"-csearch_path={sys.argv[2]}"})

def progress(stage, done, total):
    if stage == "write" and done == 1:  # partition 0 is written, partition 1's writing begins
        print("partition written", flush=True)
        time.sleep(60)

with transaction(engine, snapshot=True) as conn:
    day = date(2026, 11, 23)
    service.commit(conn, as_of=day, today=day, now=datetime(2026, 11, 23, 9, tzinfo=UTC), actor="test",
                   progress=progress, partitions=3, templates_dir=None, gate_templates=False)
"""


def test_a_partitioned_run_killed_midway_leaves_no_partial_run(postgres_engine: Engine) -> None:
    ledger(postgres_engine, customers=300, seed=7)
    with postgres_engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    url = postgres_engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen(
        [sys.executable, "-c", CRASH, url, schema], stdout=subprocess.PIPE, text=True, env=env
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "partition written"
        with postgres_engine.connect() as conn:  # the first partition's rows are in its open transaction
            writing = "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
            assert conn.execute(text(writing)).scalar_one() >= 1
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with postgres_engine.connect() as conn:
        tables = (RUNS, NOTICES, NOTICE_ITEMS, ITEM_LEVELS, LEVELS_BEFORE, DELIVERIES, DUNNING_GROUPS)
        left = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
        charges = conn.execute(select(func.count()).where(INVOICES.c.kind != "invoice")).scalar_one()
    assert left == dict.fromkeys(left, 0)
    assert charges == 0
    with transaction(postgres_engine, snapshot=True) as conn:
        outcome = service.commit(conn, as_of=AS_OF, today=AS_OF, now=NOW, actor="test", partitions=3,
                                 templates_dir=None, gate_templates=False)  # fmt: skip
    assert outcome.run_id is not None
    assert outcome.notices.height > 0
