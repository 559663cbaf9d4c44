"""A local HTTP server for tests that plays an SMS gateway: our JSON webhook and Twilio's Messages API.

It records every request (method, path, headers, body). By default it accepts: a POST to
`/2010-04-01/Accounts/{sid}/Messages.json` gets Twilio's 201 JSON with a fresh `sid`; any other POST
gets the webhook's 200 `{"id": "wh-N"}`. `answer(...)` scripts the next answers (error statuses,
Twilio error bodies, a delay longer than the client's timeout).

    from tests.support.http_sms import sms_http_server  # noqa: F401  (the fixture)

    def test_x(sms_http_server: SmsHttpServer) -> None:
        gateway = WebhookGateway(sms_http_server.url + "/sms")
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import pytest

TWILIO_PATH = re.compile(r"/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # names as sent; look up with `header()` for any case
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    delay: float = 0.0  # seconds to wait before answering


class SmsHttpServer:
    """A threaded HTTP server on 127.0.0.1 with a free port; `start()`/`stop()` or `with`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._script: list[Answer] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="sms-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and wait for requests in progress; a client now gets "connection refused"."""
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the SMS HTTP server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def answer(
        self,
        status: int,
        body: Mapping[str, Any] | str | bytes = b"",
        *,
        content_type: str = "application/json",
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests with `status` and `body` (a mapping is sent as JSON)."""
        data = json.dumps(body).encode() if isinstance(body, Mapping) else _as_bytes(body)
        with self._lock:
            self._script.extend([Answer(status, data, content_type, delay)] * times)

    def handle(self, request: RecordedRequest) -> Answer:
        with self._lock:
            self._requests.append(request)
            number = len(self._requests)
            if self._script:
                return self._script.pop(0)
        match = TWILIO_PATH.fullmatch(request.path.split("?")[0])
        if match:
            return Answer(201, json.dumps(_twilio_message(number, match["sid"], request.form())).encode())
        return Answer(200, json.dumps({"id": f"wh-{number}"}).encode())


def _twilio_message(number: int, account_sid: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The fields of Twilio's Message resource a sender reads, as Twilio answers a create."""
    sid = f"SM{number:032x}"
    return {
        "sid": sid,
        "account_sid": account_sid,
        "status": "queued",
        "to": form.get("To"),
        "from": form.get("From"),
        "body": form.get("Body"),
        "error_code": None,
        "error_message": None,
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
    }


class _Server(ThreadingHTTPServer):
    owner: SmsHttpServer
    daemon_threads = False  # server_close() then waits for handlers, so nothing outlives the test
    block_on_close = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout test) leaves a broken pipe; that is expected here."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        request = RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
        answer = self.server.owner.handle(request)
        if answer.delay:
            time.sleep(answer.delay)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads `requests` instead."""


def _as_bytes(body: str | bytes) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


@pytest.fixture
def sms_http_server() -> Iterator[SmsHttpServer]:
    """A started SMS gateway stand-in, stopped after the test."""
    with SmsHttpServer() as server:
        yield server
