"""The mark of a sent message in one statement on PostgreSQL (`outbox.mark_sent_at_once`): the same
rows as `mark_sent` in a transaction, nothing at all when webhooks want `delivery.sent` (the worker
then marks in a transaction, with the event), and one statement per message in the worker."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, select

from dunmore.delivery import outbox
from dunmore.delivery.channels.email import SmtpChannel
from dunmore.delivery.channels.fake import FakeSmsGateway
from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS
from dunmore.delivery.outbox import Claimed, Sent
from dunmore.delivery.render import Templates
from dunmore.delivery.worker import Outlets, Worker
from dunmore.settings import load_settings
from dunmore.store.db import transaction
from dunmore.webhooks.models import WEBHOOK_EVENTS, WEBHOOK_SUBSCRIPTION_EVENTS, WEBHOOK_SUBSCRIPTIONS
from tests.delivery.portfolio import RUN_AT, Debtor, overdue_portfolio
from tests.support.smtp import SmtpServer

NOW = RUN_AT + timedelta(minutes=5)
PROOF = ("status", "recipient", "language", "message_id", "content", "content_sha256", "reply",
         "provider_id", "print_batch", "sent_at", "claimed_until", "last_error", "attempts")  # fmt: skip


def claim_all(engine: Engine) -> list[Claimed]:
    with transaction(engine) as conn:
        return outbox.claim(conn, now=NOW, worker="test", lease=timedelta(minutes=5), limit=100)


def sent_as(claimed: Claimed) -> Sent:
    return Sent("ap@debtor.example.com", "zh-CN", f"<dunmore.delivery.{claimed.id}@example.com>",
                "报文 ✓".encode(), "250 OK queued")  # fmt: skip


def proof_of(engine: Engine, delivery_id: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    d, e = DELIVERIES.c, DELIVERY_EVENTS.c
    with engine.connect() as conn:
        row = conn.execute(select(*(d[name] for name in PROOF)).where(d.id == delivery_id)).one()
        events = conn.execute(
            select(e.attempt, e.outcome, e.reason, e.detail, e.at)
            .where(e.delivery_id == delivery_id)
            .order_by(e.id)
        ).all()
    # The message id names the delivery: compare it without.
    return tuple(value for name, value in zip(PROOF, row, strict=True) if name != "message_id"), [
        tuple(ev) for ev in events
    ]


def subscribe(engine: Engine, event_type: str) -> None:
    with transaction(engine) as conn:
        subscription = conn.execute(
            insert(WEBHOOK_SUBSCRIPTIONS)
            .values(url="https://erp.example.cn/in", secret="s" * 32, created_by="test", created_at=NOW)
            .returning(WEBHOOK_SUBSCRIPTIONS.c.id)
        ).scalar_one()
        conn.execute(
            insert(WEBHOOK_SUBSCRIPTION_EVENTS).values(subscription_id=subscription, event_type=event_type)
        )


def test_one_statement_leaves_what_the_transaction_leaves(postgres_engine: Engine, tmp_path: Path) -> None:
    engine = postgres_engine
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor()])
    first, second = claim_all(engine)
    with transaction(engine, durable=False) as conn:
        outbox.mark_sent(conn, first, sent_as(first), now=NOW)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert outbox.mark_sent_at_once(conn, second, sent_as(second), now=NOW)
    assert proof_of(engine, second.id) == proof_of(engine, first.id)
    _, events = proof_of(engine, second.id)
    assert [outcome for _, outcome, *_ in events] == ["claimed", "sent"]


def test_with_a_subscriber_to_sent_it_changes_nothing(postgres_engine: Engine, tmp_path: Path) -> None:
    engine = postgres_engine
    overdue_portfolio(engine, tmp_path, [Debtor()])
    subscribe(engine, "delivery.sent")
    [claimed] = claim_all(engine)
    before = proof_of(engine, claimed.id)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert not outbox.mark_sent_at_once(conn, claimed, sent_as(claimed), now=NOW)
    assert proof_of(engine, claimed.id) == before
    assert before[0][0] == "sending"


def worker(engine: Engine, server: SmtpServer) -> Worker:
    outlets = Outlets(email=lambda: SmtpChannel(server.config()), sms=FakeSmsGateway())
    return Worker(
        engine, load_settings(), templates=Templates(), outlets=outlets, clock=lambda: NOW, name="test"
    )


def test_the_worker_marks_each_message_in_one_statement(
    postgres_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine = postgres_engine
    overdue_portfolio(engine, tmp_path, [Debtor() for _ in range(30)])
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    tally = worker(engine, smtp_server).run(drain=True)
    assert tally.sent == 30
    assert len(smtp_server.messages) == 30
    marks = [sql for sql in statements if "sent_at=" in sql]
    assert len(marks) == 30
    assert all(sql.startswith("WITH marked AS") for sql in marks)
    assert len(statements) < 2 * 30, statements  # and one batch of claims and reads; in transactions: 4 × 30
    with engine.connect() as conn:
        sent = conn.execute(select(DELIVERY_EVENTS.c.delivery_id).where(DELIVERY_EVENTS.c.outcome == "sent"))
        assert sorted(sent.scalars()) == list(range(1, 31))


def test_with_a_subscriber_the_worker_marks_in_a_transaction_with_the_event(
    postgres_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine = postgres_engine
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor()])
    subscribe(engine, "delivery.sent")
    tally = worker(engine, smtp_server).run(drain=True)
    assert tally.sent == 2
    with engine.connect() as conn:
        types = conn.execute(select(WEBHOOK_EVENTS.c.type).order_by(WEBHOOK_EVENTS.c.id)).scalars().all()
        statuses = conn.execute(select(DELIVERIES.c.status)).scalars().all()
    assert types == ["delivery.sent", "delivery.sent"]
    assert statuses == ["sent", "sent"]
