"""`dunmore worker --processes N`: several worker processes on one PostgreSQL outbox, against the
real SMTP server of tests/support. Stopped by SIGTERM mid-way, then drained: every message arrives
exactly once, and nothing is left claimed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.delivery.channels.email import SmtpChannel
from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS
from dunmore.delivery.render import Message, Templates
from dunmore.delivery.view import NoticeView
from dunmore.delivery.worker import Outlets, Worker
from dunmore.settings import load_settings
from tests.delivery.portfolio import CREDITOR_ENV, RUN_AT, Debtor, overdue_portfolio
from tests.support.smtp import SmtpServer

DUNMORE = str(Path(sys.executable).with_name("dunmore"))
DEBTORS = 600


def _url_of(engine: Engine) -> str:
    """The engine's database as a URL another process can open (the test's own schema included)."""
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _env(server: SmtpServer) -> dict[str, str]:
    return {
        **os.environ,
        **CREDITOR_ENV,
        "DUNMORE_SMTP__HOST": server.host,
        "DUNMORE_SMTP__PORT": str(server.port),
        "DUNMORE_DELIVERY__WINDOWS": "{}",  # any hour of the day the test runs at
        "DUNMORE_DELIVERY__CAPS": "{}",
        "DUNMORE_DELIVERY__BATCH_SIZE": "10",
    }


def _statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(DELIVERIES.c.status, func.count()).group_by(DELIVERIES.c.status)).all()
    return {str(status): int(count) for status, count in rows}


def test_two_processes_stopped_by_sigterm_then_drained_send_every_message_exactly_once(
    postgres_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine = postgres_engine
    ids = overdue_portfolio(engine, tmp_path, [Debtor() for _ in range(DEBTORS)])
    command = [DUNMORE, "--db", _url_of(engine), "worker", "--processes", "2", "--poll", "0.2"]
    env = _env(smtp_server)

    working = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        smtp_server.wait_for(100, timeout=120)
    finally:
        working.send_signal(signal.SIGTERM)
    out, err = working.communicate(timeout=60)
    assert working.returncode == 0, err
    assert "worker done (2 processes): sent" in out
    # Stopped: what arrived is what is marked sent, nothing is left claimed, the rest waits.
    arrived = smtp_server.message_id_counts()
    statuses = _statuses(engine)
    assert set(arrived.values()) == {1}
    assert statuses.get("sent") == len(arrived) < DEBTORS
    assert statuses.get("pending") == DEBTORS - len(arrived)
    assert "sending" not in statuses
    with engine.connect() as conn:
        senders = conn.execute(
            select(func.count(DELIVERIES.c.claimed_by.distinct())).where(DELIVERIES.c.status == "sent")
        ).scalar_one()
    assert senders == 2

    finish = subprocess.run([*command, "--drain"], env=env, capture_output=True, text=True, timeout=300)
    assert finish.returncode == 0, finish.stderr
    counts = smtp_server.message_id_counts()
    assert set(counts) == {f"<dunmore.delivery.{i}@mingyuan.example.cn>" for i in ids}
    assert set(counts.values()) == {1}
    assert _statuses(engine) == {"sent": DEBTORS}


def test_sqlite_refuses_several_processes_and_says_why(sqlite_engine: Engine, tmp_path: Path) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor()])
    result = CliRunner().invoke(
        app, ["--db", str(sqlite_engine.url), "worker", "--drain", "--processes", "2"], env=CREDITOR_ENV
    )
    assert result.exit_code != 0
    assert "SQLite lets one worker send at a time" in result.output
    assert "PostgreSQL" in result.output
    assert _statuses(sqlite_engine) == {"pending": 1}


def test_a_stopped_worker_finishes_its_message_and_gives_back_the_claims_it_did_not_start(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor() for _ in range(4)])

    class StopAtSecond(Templates):
        def render(self, template: str, view: NoticeView, *, letter: bool = True) -> Message:
            if view.notice_id == 2:
                job.stop()  # as SIGTERM would, while the second message is being made
            return super().render(template, view, letter=letter)

    outlets = Outlets(email=lambda: SmtpChannel(smtp_server.config()))
    job = Worker(engine, load_settings(), templates=StopAtSecond(), outlets=outlets, clock=lambda: RUN_AT,
                 name="stopping")  # fmt: skip
    tally = job.run()  # not draining: only the stop ends it
    assert tally.sent == 2
    assert len(smtp_server.messages) == 2
    with engine.connect() as conn:
        rows = conn.execute(
            select(DELIVERIES.c.status, DELIVERIES.c.attempts, DELIVERIES.c.claimed_until).order_by(
                DELIVERIES.c.id
            )
        ).all()
        released = conn.execute(
            select(DELIVERY_EVENTS.c.delivery_id).where(DELIVERY_EVENTS.c.outcome == "released")
        ).scalars()
        assert sorted(released) == [3, 4]
    assert [(row.status, row.attempts, row.claimed_until) for row in rows] == [
        ("sent", 1, None), ("sent", 1, None), ("pending", 0, None), ("pending", 0, None),
    ]  # fmt: skip
