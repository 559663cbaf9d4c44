"""SMS status callbacks: the gateway tells us later whether a message was delivered.

`record_callback` reads one callback with the gateway's own parser and records the status on the
delivery it names (an event with the gateway's word and error code): proof that the SMS reached the
phone, or why it did not. `CallbackServer` is a small HTTP endpoint for it (standard library, one
thread per request), for gateways that post to us; `dunmore sms-callbacks` runs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import Engine

from dunmore.delivery import outbox
from dunmore.delivery.channels.sms import SmsGateway
from dunmore.errors import DunmoreError, NotFound
from dunmore.store.db import transaction

PATH = "/sms/status"


def record_callback(
    engine: Engine, gateway: SmsGateway, body: bytes, content_type: str, *, now: datetime
) -> int:
    """Record one status callback; returns the delivery's id. Raises what the parser or the store
    refuse (a malformed body, an unknown gateway message id)."""
    status = gateway.parse_status(body, content_type)
    detail = f"gateway status {status.raw_status}" + (
        f", error {status.error_code}" if status.error_code else ""
    )
    with transaction(engine) as conn:
        return outbox.record_status(conn, status.provider_id, status.status, detail, now=now)


class CallbackServer(ThreadingHTTPServer):
    """POST {PATH} with the gateway's callback body; answers 204, 400 (malformed) or 404 (unknown)."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], engine: Engine, gateway: SmsGateway,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        super().__init__(address, _Handler)
        self.engine, self.gateway, self.clock = engine, gateway, clock

    def serve_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: CallbackServer

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != PATH:
            self._answer(404, f"callbacks are posted to {PATH}")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            record_callback(
                self.server.engine, self.server.gateway, body, self.headers.get("Content-Type", ""),
                now=self.server.clock(),
            )  # fmt: skip
        except NotFound as exc:
            self._answer(404, str(exc))
        except DunmoreError as exc:
            self._answer(400, str(exc))
        else:
            self._answer(204, "")

    def _answer(self, code: int, text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(code)
        if data:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the events table is the log."""
