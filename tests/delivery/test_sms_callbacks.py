"""The SMS status-callback endpoint under a real uvicorn server, on both backends: only the gateway
may write proof of delivery, a status never moves back, and no request can hold or crash the server.

A debtor was sent an SMS on 2026-11-23; the gateway (our JSON webhook, or Twilio) calls back at
10:00 Shanghai time with what became of it — and so does anyone else who finds the port.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.delivery.callbacks import MAX_BODY, StatusCallbacks
from dunmore.delivery.channels.sms import TwilioGateway, WebhookGateway
from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS
from dunmore.delivery.signatures import (
    TWILIO_SIGNATURE,
    WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
    TwilioVerifier,
    WebhookVerifier,
    twilio_signature,
    webhook_signature,
)
from dunmore.store.db import transaction
from tests.delivery.portfolio import Debtor, overdue_portfolio
from tests.support.callback_server import CallbackServer

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SECRET = "shared-callback-secret"
AUTH_TOKEN = "twilio-auth-token"
PUBLIC_URL = "https://ar.mingyuan.example.cn/hooks/sms/status"
FORM = "application/x-www-form-urlencoded"


def sent_sms(engine: Engine, folder: Path, provider_id: str) -> int:
    """One SMS delivery of a committed run, sent, with the gateway's message id."""
    [delivery] = overdue_portfolio(engine, folder, [Debtor()], channels="sms")
    with transaction(engine) as conn:
        conn.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == delivery)
            .values(status="sent", provider_id=provider_id)
        )
    return delivery


def recorded(engine: Engine) -> tuple[str | None, list[str]]:
    """The delivery's status from the gateway, and the statuses of every callback recorded."""
    with engine.connect() as conn:
        status = conn.execute(select(DELIVERIES.c.provider_status)).scalar_one()
        events = conn.execute(
            select(DELIVERY_EVENTS.c.reason)
            .where(DELIVERY_EVENTS.c.outcome == "status")
            .order_by(DELIVERY_EVENTS.c.id)
        ).scalars()
        return status, [str(event) for event in events]


def webhook_callbacks(engine: Engine) -> StatusCallbacks:
    verifier = WebhookVerifier(SECRET, timedelta(minutes=5))
    return StatusCallbacks(engine, WebhookGateway("http://unused.test/sms"), verifier, clock=lambda: NOW)


def twilio_callbacks(engine: Engine) -> StatusCallbacks:
    gateway = TwilioGateway("AC0123", AUTH_TOKEN, "+15005550006", status_callback_url=PUBLIC_URL)
    return StatusCallbacks(engine, gateway, TwilioVerifier(AUTH_TOKEN, PUBLIC_URL), clock=lambda: NOW)


def status(message_id: str, state: str, **extra: str) -> bytes:
    return json.dumps({"id": message_id, "status": state, **extra}).encode()


def signed(body: bytes, *, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(at.timestamp()))
    return {
        "Content-Type": "application/json",
        WEBHOOK_TIMESTAMP: stamp,
        WEBHOOK_SIGNATURE: webhook_signature(secret, stamp, body),
    }


def test_a_signed_webhook_callback_is_recorded_and_an_unknown_or_unreadable_one_is_not(
    engine: Engine, tmp_path: Path
) -> None:
    sent_sms(engine, tmp_path, "wh-1")
    unreadable = b'{"status": "delivered"}'
    with CallbackServer(webhook_callbacks(engine)) as server:
        delivered = status("wh-1", "delivered")
        assert server.post(delivered, signed(delivered)).status == 204
        unknown = status("wh-999", "failed")
        assert server.post(unknown, signed(unknown)).status == 404
        assert server.post(unreadable, signed(unreadable)).status == 400

    assert recorded(engine) == ("delivered", ["delivered"])


def test_an_unsigned_or_badly_signed_callback_is_refused_and_records_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    sent_sms(engine, tmp_path, "wh-1")
    forged = status("wh-1", "failed", error="forged")
    other = status("wh-1", "delivered")
    stamp = str(int(NOW.timestamp()))
    attempts = {
        "no signature": {"Content-Type": "application/json"},
        "no timestamp": {k: v for k, v in signed(forged).items() if k != WEBHOOK_TIMESTAMP},
        "wrong secret": signed(forged, secret="guessed"),
        "another body's signature": {**signed(other), "Content-Type": "application/json"},
        "timestamp not signed": {**signed(forged), WEBHOOK_TIMESTAMP: str(int(NOW.timestamp()) - 1)},
        "not a timestamp": {**signed(forged), WEBHOOK_TIMESTAMP: f"{stamp}.5"},
        "not hex": {**signed(forged), WEBHOOK_SIGNATURE: "sha256=\xff\xe9"},
    }
    with CallbackServer(webhook_callbacks(engine)) as server:
        answers = {name: server.post(forged, headers) for name, headers in attempts.items()}

    assert {name: answer.status for name, answer in answers.items()} == dict.fromkeys(attempts, 401)
    assert all("Traceback" not in answer.text and answer.text for answer in answers.values())
    assert recorded(engine) == (None, [])


def test_a_stale_or_future_timestamp_is_refused_so_a_captured_callback_cannot_be_replayed(
    engine: Engine, tmp_path: Path
) -> None:
    sent_sms(engine, tmp_path, "wh-1")
    body = status("wh-1", "failed")
    with CallbackServer(webhook_callbacks(engine)) as server:
        stale = server.post(body, signed(body, at=NOW - timedelta(seconds=301)))
        ahead = server.post(body, signed(body, at=NOW + timedelta(seconds=301)))
        assert recorded(engine) == (None, [])
        fresh = server.post(body, signed(body, at=NOW - timedelta(seconds=299)))

    assert (stale.status, ahead.status, fresh.status) == (401, 401, 204)
    assert "more than 300 s from now" in stale.text
    assert recorded(engine) == ("failed", ["failed"])


def test_an_oversized_body_is_refused_unread_and_records_nothing(engine: Engine, tmp_path: Path) -> None:
    sent_sms(engine, tmp_path, "wh-1")
    # Signed and well formed, only too big: the size alone refuses it.
    body = status("wh-1", "delivered", error="x" * MAX_BODY)
    pieces = [body[i : i + 8192] for i in range(0, len(body), 8192)]
    with CallbackServer(webhook_callbacks(engine)) as server:
        announced = server.post(body, signed(body))
        # Chunked, the size is announced nowhere: the server counts what arrives.
        streamed = server.post(iter(pieces), signed(body), chunked=True)
        five_megabytes = server.raw(
            b"POST /sms/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 5242880\r\n\r\n" + b"{" * 1024
        )

    assert (announced.status, streamed.status) == (413, 413)
    assert five_megabytes.startswith(b"HTTP/1.1 413 ")
    assert recorded(engine) == (None, [])


def test_a_bad_or_missing_content_length_is_a_400_with_a_short_message(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    sent_sms(sqlite_engine, tmp_path, "wh-1")
    head = b"POST /sms/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    with CallbackServer(webhook_callbacks(sqlite_engine)) as server:
        answers = [
            server.raw(head + b"Content-Length: abc\r\n\r\n{}"),
            server.raw(head + b"Content-Length: -5\r\n\r\n{}"),
            server.raw(head + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
            server.raw(head + b"Connection: close\r\n\r\n"),
        ]
        malformed = b'{"id": "wh-1", "status": '
        broken = server.post(malformed, signed(malformed))

    assert [answer.split(b"\r\n", 1)[0] for answer in answers] == [b"HTTP/1.1 400 Bad Request"] * 4
    assert b"needs a Content-Length header" in answers[-1]
    assert all(b"Traceback" not in answer and len(answer) < 1000 for answer in answers)
    assert broken.status == 400
    assert "needs an 'id' and a 'status'" in broken.text
    assert recorded(sqlite_engine) == (None, [])


@pytest.mark.parametrize(
    ("callbacks", "kept"),
    [
        (["sent", "delivered", "sent", "queued"], "delivered"),
        (["delivered", "sent"], "delivered"),
        (["failed", "queued", "sent", "delivered"], "failed"),
        (["queued", "undelivered", "sent"], "undelivered"),
        (["queued", "sent"], "sent"),
    ],
)
def test_out_of_order_callbacks_keep_the_later_state(
    sqlite_engine: Engine, tmp_path: Path, callbacks: list[str], kept: str
) -> None:
    sent_sms(sqlite_engine, tmp_path, "wh-1")
    with CallbackServer(webhook_callbacks(sqlite_engine)) as server:
        for state in callbacks:
            body = status("wh-1", state)
            assert server.post(body, signed(body)).status == 204

    assert recorded(sqlite_engine) == (kept, callbacks)  # every callback stays on record as an event


def test_out_of_order_callbacks_keep_the_later_state_on_both_backends(engine: Engine, tmp_path: Path) -> None:
    sent_sms(engine, tmp_path, "wh-1")
    with CallbackServer(webhook_callbacks(engine)) as server:
        for state in ("delivered", "sent"):
            body = status("wh-1", state)
            assert server.post(body, signed(body)).status == 204

    assert recorded(engine) == ("delivered", ["delivered", "sent"])
    with engine.connect() as conn:
        last = conn.execute(select(DELIVERY_EVENTS.c.detail).order_by(DELIVERY_EVENTS.c.id.desc())).first()
    assert last is not None
    assert last.detail == "gateway status sent; status stays delivered (a callback never moves a status back)"


def test_a_twilio_callback_is_checked_against_the_public_url_not_the_requests_host(
    engine: Engine, tmp_path: Path
) -> None:
    sent_sms(engine, tmp_path, "SM0123456789abcdef")
    fields = {"MessageSid": "SM0123456789abcdef", "MessageStatus": "delivered", "AccountSid": "AC0123"}
    body = "&".join(f"{name}={value}" for name, value in fields.items()).encode()
    query = "reference=dunmore-1"
    genuine = twilio_signature(AUTH_TOKEN, f"{PUBLIC_URL}?{query}", fields.items())
    with CallbackServer(twilio_callbacks(engine)) as server:
        local_url = f"http://127.0.0.1:{server.port}/sms/status?{query}"
        over_host = twilio_signature(AUTH_TOKEN, local_url, fields.items())
        tampered = body.replace(b"delivered", b"failed")
        refused = [
            server.post(body, {"Content-Type": FORM}, query=query),
            server.post(body, {"Content-Type": FORM, TWILIO_SIGNATURE: over_host}, query=query),
            server.post(tampered, {"Content-Type": FORM, TWILIO_SIGNATURE: genuine}, query=query),
            server.post(body, {"Content-Type": FORM, TWILIO_SIGNATURE: genuine}, query="reference=dunmore-2"),
        ]
        assert recorded(engine) == (None, [])
        accepted = server.post(body, {"Content-Type": FORM, TWILIO_SIGNATURE: genuine}, query=query)

    assert [answer.status for answer in refused] == [401] * 4
    assert accepted.status == 204
    assert recorded(engine) == ("delivered", ["delivered"])


def _stall(port: int, request: bytes) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(request)
    return client


def _closed_by_server(clients: list[socket.socket], *, within: float) -> int:
    """How many of these connections the server closes within `within` seconds from now."""
    deadline = time.monotonic() + within
    closed = 0
    for client in clients:
        client.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            closed += client.recv(1024) == b""
        except ConnectionResetError:
            closed += 1
        except TimeoutError:
            pass
    return closed


def test_stalled_connections_neither_pin_threads_nor_block_a_good_request_and_are_closed(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    sent_sms(sqlite_engine, tmp_path, "wh-1")
    half_head = b"POST /sms/status HTTP/1.1\r\nHost: x\r\nContent-Le"
    half_body = (
        b"POST /sms/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"id": '
    )
    with CallbackServer(webhook_callbacks(sqlite_engine), request_timeout=2.0) as server:
        warm_up = status("wh-0", "sent")
        server.post(warm_up, signed(warm_up))  # the worker thread of the first request exists from now on
        threads = threading.active_count()
        stalled = [_stall(server.port, half_head if i % 2 else half_body) for i in range(200)]
        try:
            for _ in range(500):  # until the server holds them all, 5 s at most
                if server.connections >= 200:
                    break
                time.sleep(0.01)
            held, during = server.connections, threading.active_count()
            body = status("wh-1", "delivered")
            good = server.post(body, signed(body))
            closed = _closed_by_server(stalled, within=6.0)  # the deadline is 2 s
        finally:
            for client in stalled:
                client.close()

    assert held >= 200
    assert during <= threads + 1
    assert good.status == 204
    assert closed == 200
    assert recorded(sqlite_engine) == ("delivered", ["delivered"])


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DUNMORE_SMS__URL": "http://127.0.0.1:9/sms"}, "DUNMORE_SMS__CALLBACK_SECRET"),
        (
            {"DUNMORE_SMS__ADAPTER": "twilio", "DUNMORE_SMS__AUTH_TOKEN": "t"},
            "DUNMORE_SMS__STATUS_CALLBACK_URL",
        ),
    ],
)
def test_sms_callbacks_refuses_to_start_without_a_secret(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    database = f"sqlite:///{tmp_path / 'never.db'}"
    result = CliRunner().invoke(app, ["--db", database, "sms-callbacks", "--port", "1"], env=env)

    assert result.exit_code == 2
    assert named in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "never.db").exists()
