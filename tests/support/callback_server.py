"""The SMS status-callback endpoint under a real uvicorn server, on 127.0.0.1 with a free port, with
the same configuration `dunmore sms-callbacks` uses; and a small HTTP client for posting to it.

    with CallbackServer(StatusCallbacks(engine, gateway, verifier, clock=...)) as server:
        answer = server.post(body, {"Content-Type": "application/json", ...})
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import uvicorn

from dunmore.delivery.callbacks import PATH, REQUEST_TIMEOUT, StatusCallbacks, create_app, server_config


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    text: str


class CallbackServer:
    """Serves `callbacks` in a thread for the duration of a `with` block."""

    def __init__(self, callbacks: StatusCallbacks, *, request_timeout: float = REQUEST_TIMEOUT) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = server_config(
            create_app(callbacks), host="127.0.0.1", port=self.port, request_timeout=request_timeout,
            log_config=None, access_log=False,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._socket]}, name="sms-callbacks", daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            raise RuntimeError("the callback server did not start within 10 s")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()

    @property
    def connections(self) -> int:
        """The connections the server holds open now."""
        return len(self.server.server_state.connections)

    def post(
        self,
        body: bytes | Iterable[bytes],
        headers: Mapping[str, str],
        *,
        query: str = "",
        chunked: bool = False,
    ) -> Answer:
        """POST to the endpoint; an iterable body with `chunked=True` goes out chunked, unannounced."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            target = PATH + (f"?{query}" if query else "")
            connection.request("POST", target, body=body, headers=dict(headers), encode_chunked=chunked)
            response = connection.getresponse()
            return Answer(response.status, response.read().decode("utf-8", errors="replace"))
        finally:
            connection.close()

    def raw(self, request: bytes) -> bytes:
        """Send bytes as they are and return all the server answers until it closes the connection."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as client:
            client.sendall(request)
            chunks = []
            while chunk := _receive(client):
                chunks.append(chunk)
            return b"".join(chunks)


def _receive(client: socket.socket) -> bytes:
    try:
        return client.recv(65536)
    except (ConnectionResetError, TimeoutError):
        return b""
