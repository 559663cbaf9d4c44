"""SMS status callbacks: the gateway tells us later whether a message was delivered.

`StatusCallbacks.receive` is the rule: check the gateway's signature (`signatures`), read the
callback with the gateway's own parser, and record the status on the delivery it names, in one
transaction (an event with the gateway's word and error code; the status itself only moves forward,
see `outbox.record_status`). A refused callback records nothing.

`router` serves it as `POST /sms/status` for any FastAPI application; `create_app` is the small
application `dunmore sms-callbacks` runs under uvicorn with `server_config`, whose limits keep a
hostile client from holding the server: a body over `MAX_BODY` bytes is refused (413) by counting
what arrives, not by trusting Content-Length; each request must arrive whole within
`REQUEST_TIMEOUT` seconds of its first byte, or its connection is closed; idle connections close after
`KEEP_ALIVE` seconds; at most `MAX_CONNECTIONS` are served at once (more get 503). Connections are
served by one event loop: a stalled one holds a socket, never a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import h11
import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.h11_impl import H11Protocol

from dunmore.delivery import outbox
from dunmore.delivery.channels.sms import SmsGateway, StatusCallbackError
from dunmore.delivery.signatures import CallbackRefused, CallbackVerifier, SignedRequest
from dunmore.errors import DunmoreError, NotFound
from dunmore.i18n import _m
from dunmore.store.db import transaction

PATH: Final = "/sms/status"
MAX_BODY: Final = 64 * 1024  # bytes; a real callback is well under 2 KiB
MAX_HEADERS: Final = 16 * 1024  # bytes of request line and headers
REQUEST_TIMEOUT: Final = 10.0  # seconds to receive one whole request
KEEP_ALIVE: Final = 5  # seconds an idle connection stays open
MAX_CONNECTIONS: Final = 256


class CallbackTooLarge(DunmoreError):
    """A status callback body over `MAX_BODY` bytes: refused unread, nothing recorded."""

    code = "sms_callback_too_large"


@dataclass(frozen=True, slots=True)
class StatusCallbacks:
    """Receives the configured gateway's status callbacks into the database."""

    engine: Engine
    gateway: SmsGateway
    verifier: CallbackVerifier
    clock: Callable[[], datetime]  # the interface passes the wall clock; tests a fixed instant

    def receive(self, request: SignedRequest, content_type: str) -> int:
        """Verify, parse and record one callback; returns the delivery's id. Raises `CallbackRefused`
        (bad signature), `StatusCallbackError` (unreadable) or `NotFound` (unknown message id)."""
        now = self.clock()
        self.verifier.verify(request, now=now)
        status = self.gateway.parse_status(request.body, content_type)
        detail = f"gateway status {status.raw_status}" + (
            f", error {status.error_code}" if status.error_code else ""
        )
        with transaction(self.engine) as conn:
            return outbox.record_status(conn, status.provider_id, status.status, detail, now=now)


# The answer to each refusal; the first class that matches wins, so subclasses come first.
_ANSWERS: Final[tuple[tuple[type[DunmoreError], int], ...]] = (
    (CallbackRefused, 401),
    (CallbackTooLarge, 413),
    (NotFound, 404),
    (DunmoreError, 400),
)


def router(callbacks: StatusCallbacks) -> APIRouter:
    """`POST /sms/status`: 204 recorded; 400 unreadable; 401 not signed by the gateway; 404 unknown
    message; 413 body too large. Every refusal is one line of text, and records nothing."""
    routes = APIRouter()

    @routes.post(PATH, status_code=204, response_class=Response, include_in_schema=False)
    async def sms_status(request: Request) -> Response:
        try:
            body = await read_body(request, limit=MAX_BODY)
            signed = SignedRequest(request.scope["query_string"].decode("latin-1"), request.headers, body)
            await run_in_threadpool(callbacks.receive, signed, request.headers.get("content-type", ""))
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read it
        except DunmoreError as exc:
            return _refusal(exc)
        return Response(status_code=204)

    return routes


def _refusal(exc: DunmoreError) -> Response:
    status = next(code for kind, code in _ANSWERS if isinstance(exc, kind))
    text = str(exc).replace("\n", " ")[:300]
    # Close after a refusal: the rest of a refused body is not worth reading.
    return Response(text, status_code=status, media_type="text/plain", headers={"Connection": "close"})


async def read_body(request: Request, *, limit: int) -> bytes:
    """The request body, refused (`CallbackTooLarge`) as soon as more than `limit` bytes arrive or
    are announced; a body needs a valid Content-Length or chunked transfer-encoding."""
    announced = request.headers.get("content-length")
    chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
    if announced is None and not chunked:
        raise StatusCallbackError(_m("a status callback needs a Content-Length header"))
    if announced is not None and not (announced.isascii() and announced.isdigit()):
        raise StatusCallbackError(
            _m("Content-Length must be a number of bytes, got %(value)s", value=repr(announced[:20]))
        )
    if announced is not None and int(announced) > limit:
        raise CallbackTooLarge(
            _m(
                "a status callback may have at most %(most)s bytes; this one announces %(size)s",
                most=limit,
                size=announced,
            )
        )
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise CallbackTooLarge(_m("a status callback may have at most %(most)s bytes", most=limit))
        parts.append(chunk)
    return b"".join(parts)


def create_app(callbacks: StatusCallbacks) -> FastAPI:
    """The status-callback endpoint as an application of its own (no docs pages, no OpenAPI)."""
    app = FastAPI(title="Dunmore SMS status callbacks", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(router(callbacks))
    return app


class _DeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on receiving each request.

    uvicorn closes a connection only when it is idle after a response (`timeout_keep_alive`), and
    any byte resets even that: a client that sends half a request and stalls, or trickles a byte at
    a time, would keep its connection for ever. Here a request must arrive whole within
    `request_timeout` seconds of the connection or of its first byte, else the connection closes.
    """

    request_timeout: float = REQUEST_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            self._arm()  # a request has begun (or is still arriving): it has until its deadline
        else:
            self._disarm()  # the request is in: the response and keep-alive take over

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.request_timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def server_config(
    app: FastAPI, *, host: str, port: int, request_timeout: float = REQUEST_TIMEOUT, **options: Any
) -> uvicorn.Config:
    """uvicorn's configuration for the callback endpoint, with the limits above; `options` go to
    `uvicorn.Config` as they are (e.g. `log_config=None` in tests)."""
    protocol = type("DeadlineProtocol", (_DeadlineProtocol,), {"request_timeout": request_timeout})
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        ws="none",
        lifespan="off",
        timeout_keep_alive=KEEP_ALIVE,
        limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=MAX_HEADERS,
        server_header=False,
        proxy_headers=False,
        **options,
    )
