"""Events posted to a real HTTP receiver by the outbox worker, on both backends: the story of a run
committed on 2026-11-23 at 08:30 in Shanghai, told from the receiving ERP's side, which checks every
request's signature and age as docs/webhooks.md tells it to."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, select

from dunmore.delivery.channels.fake import FakeSmsGateway
from dunmore.delivery.render import Templates
from dunmore.delivery.signatures import CallbackRefused, SignedRequest, WebhookVerifier
from dunmore.delivery.worker import Outlets, Worker
from dunmore.settings import Settings, load_settings
from dunmore.store.db import as_utc, transaction
from dunmore.webhooks import service
from dunmore.webhooks.models import WEBHOOK_DELIVERIES
from tests.delivery.portfolio import RUN_AT, Debtor, overdue_portfolio
from tests.support.http_sms import RecordedRequest, SmsHttpServer
from tests.webhooks.conftest import Clock

SUBSCRIBED_AT = RUN_AT - timedelta(days=1)


def settings(**webhooks: object) -> Settings:
    base = load_settings()
    return base.model_copy(update={"webhooks": base.webhooks.model_copy(update=webhooks)})


def worker(engine: Engine, clock: Clock, **webhooks: object) -> Worker:
    outlets = Outlets(sms=FakeSmsGateway())
    return Worker(engine, settings(**webhooks), templates=Templates(), outlets=outlets, clock=clock, name="w")


def subscribe(engine: Engine, url: str, *events: str) -> str:
    """Subscribe and return the secret, as the operator gives it to the receiver."""
    with transaction(engine) as conn:
        return service.add(conn, url=url, events=events, now=SUBSCRIBED_AT, actor="cli:ops").secret


def verified(request: RecordedRequest, secret: str, *, at: datetime) -> dict[str, object]:
    """What the receiver does: refuse a request whose signature or age is wrong, then read it."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    WebhookVerifier(secret).verify(SignedRequest("", headers, request.body), now=at)
    document: dict[str, object] = json.loads(request.body)
    return document


def documented_check(secret: str, request: RecordedRequest, *, at: datetime) -> bool:
    """The five lines of Python docs/webhooks.md gives receivers, run as written, their clock at `at`."""
    text = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert len([line for line in snippet.splitlines() if line.strip()]) == 5
    scope: dict[str, Any] = {}
    exec(snippet, scope)  # our own documentation, under test
    scope["time"] = SimpleNamespace(time=at.timestamp)  # the receiver's clock, fixed
    headers = {"X-Dunmore-Timestamp": request.header("X-Dunmore-Timestamp"),
               "X-Dunmore-Signature": request.header("X-Dunmore-Signature")}  # fmt: skip
    return bool(scope["verify"](secret, headers, request.body))


def deliveries(engine: Engine) -> list[tuple[str, int, int | None]]:
    w = WEBHOOK_DELIVERIES.c
    with engine.connect() as conn:
        query = select(w.status, w.attempts, w.response_status).order_by(w.id)
        return [tuple(row) for row in conn.execute(query)]


def test_the_erp_hears_of_the_committed_run_signed_and_fresh(
    engine: Engine, tmp_path: Path, receiver: SmsHttpServer
) -> None:
    secret = subscribe(engine, receiver.url + "/hooks/dunmore", "run.committed")
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor()], channels="call")
    clock = Clock(RUN_AT + timedelta(minutes=5))
    worker(engine, clock).run(drain=True)

    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hooks/dunmore")
    assert request.header("X-Dunmore-Event") == "run.committed"
    assert request.header("X-Dunmore-Delivery") == "1"
    assert request.header("X-Dunmore-Timestamp") == str(int(clock.now.timestamp()))
    assert request.header("Content-Type") == "application/json; charset=utf-8"
    event = verified(request, secret, at=clock.now + timedelta(seconds=2))
    assert event == {
        "id": 1,
        "type": "run.committed",
        "created_at": "2026-11-23T00:30:00Z",
        "data": {
            "run_id": 1, "as_of": "2026-11-23", "policy_version": 1, "notices": 2, "reminders": 0,
            "levels": 2, "pending_approval": 0,
        },
    }  # fmt: skip
    assert deliveries(engine) == [("sent", 1, 200)]
    assert documented_check(secret, request, at=clock.now + timedelta(seconds=2))
    assert not documented_check(secret, request, at=clock.now + timedelta(minutes=6))

    # The same request replayed ten minutes later, or with its body changed, is refused.
    with pytest.raises(CallbackRefused, match="more than 300 s from now"):
        verified(request, secret, at=clock.now + timedelta(minutes=10))
    forged = RecordedRequest(
        "POST", request.path, request.headers, request.body.replace(b'"notices":2', b'"notices":0')
    )
    with pytest.raises(CallbackRefused, match="does not match"):
        verified(forged, secret, at=clock.now)
    with pytest.raises(CallbackRefused, match="does not match"):
        verified(request, "whsec_another", at=clock.now)


def test_each_delivery_that_ends_is_an_event_sent_or_failed(
    engine: Engine, tmp_path: Path, receiver: SmsHttpServer
) -> None:
    """A call task opens (sent); the SMS to a debtor without a phone number fails for good."""
    secret = subscribe(engine, receiver.url, "delivery.sent", "delivery.failed")
    overdue_portfolio(engine, tmp_path, [Debtor(phone=None)], channels="call, sms")
    clock = Clock(RUN_AT + timedelta(minutes=35))  # 09:05 in Shanghai: calls are made from 09:00
    tally = worker(engine, clock).run(drain=True)
    assert (tally.sent, tally.failed, tally.webhooks.posted) == (1, 1, 2)

    events = [verified(request, secret, at=clock.now) for request in receiver.requests]
    assert [(e["type"], e["data"]["channel"], e["data"]["status"]) for e in events] == [  # type: ignore[index]
        ("delivery.sent", "call", "sent"),
        ("delivery.failed", "sms", "failed"),
    ]
    sent, failed = (e["data"] for e in events)
    assert sent == {
        "delivery_id": 1, "notice_id": 1, "run_id": 1, "customer": "C00001", "step": "first-overdue",
        "channel": "call", "status": "sent", "attempts": 1, "message_id": "DN-000001/task-1",
    }  # fmt: skip
    assert "has no phone number" in failed["error"]  # type: ignore[index]


def test_a_failing_receiver_is_retried_with_backoff_then_dead(
    engine: Engine, tmp_path: Path, receiver: SmsHttpServer
) -> None:
    secret = subscribe(engine, receiver.url, "run.committed")
    overdue_portfolio(engine, tmp_path, [Debtor()], channels="call")
    receiver.answer(500, {"error": "database down"}, times=3)
    clock = Clock(RUN_AT + timedelta(minutes=5))
    job = worker(engine, clock, max_attempts=3, retry_seconds=60.0)

    job.run(drain=True)  # 08:35: HTTP 500, next try in 60 s
    assert deliveries(engine) == [("pending", 1, 500)]
    with engine.connect() as conn:
        row = conn.execute(select(WEBHOOK_DELIVERIES)).one()
    assert as_utc(row.next_attempt_at) == clock.now + timedelta(seconds=60)
    assert row.last_error == 'HTTP 500 {"error": "database down"}'
    clock.advance(seconds=59)
    job.run(drain=True)
    assert len(receiver.requests) == 1  # not due yet
    clock.advance(seconds=1)
    job.run(drain=True)  # second attempt, next in 120 s
    assert deliveries(engine) == [("pending", 2, 500)]
    clock.advance(seconds=120)
    job.run(drain=True)  # third and last
    assert deliveries(engine) == [("dead", 3, 500)]
    clock.advance(days=1)
    job.run(drain=True)
    assert len(receiver.requests) == 3
    assert job.tally.webhooks.retried == 2
    assert job.tally.webhooks.dead == 1

    first, second, third = receiver.requests
    assert first.body == second.body == third.body  # one event, the same bytes every time
    assert {r.header("X-Dunmore-Delivery") for r in receiver.requests} == {"1"}
    assert [r.header("X-Dunmore-Timestamp") for r in receiver.requests] == [
        str(int((RUN_AT + timedelta(minutes=5, seconds=s)).timestamp())) for s in (0, 60, 180)
    ]  # each attempt signed when it is sent
    verified(third, secret, at=RUN_AT + timedelta(minutes=8))


def test_a_receiver_that_does_not_answer_in_time_or_at_all_is_retried(
    engine: Engine, tmp_path: Path, receiver: SmsHttpServer
) -> None:
    subscribe(engine, receiver.url, "run.committed")
    subscribe(engine, "http://127.0.0.1:9/nobody-listens", "run.committed")
    overdue_portfolio(engine, tmp_path, [Debtor()], channels="call")
    receiver.answer(200, {"ok": True}, delay=1.0)
    clock = Clock(RUN_AT + timedelta(minutes=5))
    worker(engine, clock, timeout_seconds=0.2).run(drain=True)
    w = WEBHOOK_DELIVERIES.c
    with engine.connect() as conn:
        rows = conn.execute(select(w.status, w.response_status, w.last_error).order_by(w.id)).all()
    assert [(r.status, r.response_status) for r in rows] == [("pending", None), ("pending", None)]
    assert rows[0].last_error == f"no answer from {receiver.url} within the timeout"
    assert rows[1].last_error.startswith("connection to http://127.0.0.1:9/nobody-listens failed")


def test_a_removed_subscription_gets_nothing_more(
    engine: Engine, tmp_path: Path, receiver: SmsHttpServer
) -> None:
    subscribe(engine, receiver.url, "run.committed")
    overdue_portfolio(engine, tmp_path, [Debtor()], channels="call")
    with transaction(engine) as conn:
        cancelled = service.remove(conn, 1, now=RUN_AT + timedelta(minutes=1), actor="cli:ops")
        [listed] = service.listing(conn)
    assert cancelled == 1
    worker(engine, Clock(RUN_AT + timedelta(minutes=5))).run(drain=True)
    assert receiver.requests == []
    assert deliveries(engine) == [("cancelled", 0, None)]
    assert (listed.pending, listed.sent, listed.dead) == (0, 0, 0)
