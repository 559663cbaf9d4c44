"""A real SMTP server for tests: aiosmtpd in a thread of the test process, on 127.0.0.1.

It keeps every message it accepts (envelope, raw bytes, parsed message, its own reply). It can be
told to refuse for a while (`refuse(451)`, `refuse(550, at="RCPT")`, then `accept()`), to drop the
open connections (`drop_connections()`), to reset one mid-message (`hang_up(at="DATA")`), to speak
STARTTLS or implicit TLS with a certificate from `make_tls_files`, and to require AUTH. Clients may
be other processes, come and go, or die; `stop()` then `start()` restarts it on the same port.

    from tests.support.smtp import smtp_server  # noqa: F401  (the fixture)

    def test_x(smtp_server: SmtpServer) -> None:
        with SmtpChannel(smtp_server.config()) as channel: ...
        assert smtp_server.message_id_counts()["<dunmore.delivery.7@example.com>"] == 1
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from dunmore.delivery.channels.email import SmtpConfig

TlsMode = Literal["none", "starttls", "ssl"]
Stage = Literal["MAIL", "RCPT", "DATA"]
_HANG_UP = "421 4.3.0 hanging up"


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """A private CA and a server certificate it signed, for 127.0.0.1 and localhost."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_tls_files(directory: Path) -> TlsFiles:
    """Make a CA and a server certificate with `openssl` (EC keys: fast), valid for two days."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, csr = directory / "server.pem", directory / "server.key", directory / "server.csr"
    extensions = directory / "server.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=Dunmore test CA")
    _openssl("req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    _openssl(
        "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-set_serial", str(time.time_ns()),
        "-days", "2", "-out", cert, "-extfile", extensions,
    )  # fmt: skip
    return TlsFiles(ca_file=ca, cert_file=cert, key_file=key)


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes  # the DATA as received, dot-unstuffed, CRLF line ends
    reply: str  # what the server answered to DATA, e.g. "250 2.0.0 Ok: queued as 00003"
    login: str | None  # the AUTH user of the session, if any
    peer: tuple[str, int]  # the client's address and port: one per connection

    @functools.cached_property
    def message(self) -> EmailMessage:
        """The parsed message, parsed when first read: the server's own work per message stays
        small, so that it takes little of the CPU the senders it measures need (benchmarks)."""
        return BytesParser(policy=policy.default).parsebytes(self.raw)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass(slots=True)
class _Refusal:
    at: Stage
    reply: str
    left: int | None  # None: until accept()


class _Handler:
    """aiosmtpd hooks; they run in the server's thread and share state with the test under a lock."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.owner.users is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        refused = self.owner.take_refusal("MAIL", server)
        if refused:
            return refused
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refused = self.owner.take_refusal("RCPT", server)
        if refused:
            return refused
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self.owner.take_refusal("DATA", server) or self.owner.store(envelope, session)

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        users = self.owner.users or {}
        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if users.get(login) == password:
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)


class _Controller(Controller):
    """Remembers every session it opens, so that the test can drop their connections."""

    def __init__(self, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.sessions: list[SMTP] = []

    def factory(self) -> SMTP:
        smtp = SMTP(self.handler, **self.SMTP_kwargs)  # what Controller.factory does, typed
        self.sessions = [s for s in self.sessions if s.transport is not None and not s.transport.is_closing()]
        self.sessions.append(smtp)
        return smtp


class SmtpServer:
    """A local SMTP server in a thread; `start()`/`stop()` (or `with`), restartable on the same port."""

    def __init__(
        self,
        *,
        tls: TlsMode = "none",
        tls_files: TlsFiles | None = None,
        users: Mapping[str, str] | None = None,
        smtputf8: bool = False,
    ) -> None:
        if tls != "none" and tls_files is None:
            raise ValueError("a TLS mode needs tls_files (see make_tls_files)")
        self.host = "127.0.0.1"
        self.port = _free_port(self.host)
        self.tls = tls
        self.tls_files = tls_files
        self.users = dict(users) if users is not None else None
        self.smtputf8 = smtputf8  # offer SMTPUTF8 (RFC 6531): addresses that are not ASCII
        self._lock = threading.Condition()
        self._messages: list[ReceivedMessage] = []
        self._refusal: _Refusal | None = None
        self._controller: _Controller | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        handler = _Handler(self)
        options: dict[str, Any] = {"hostname": self.host, "port": self.port, "server_hostname": "mx.test"}
        options["enable_SMTPUTF8"] = self.smtputf8
        if self.tls_files is not None and self.tls == "ssl":
            options["ssl_context"] = self.tls_files.server_context()
        if self.tls_files is not None and self.tls == "starttls":
            options.update(tls_context=self.tls_files.server_context(), require_starttls=True)
        if self.users is not None:  # AUTH is enforced at MAIL (see _Handler) so no TLS is needed for it
            options.update(authenticator=handler.authenticate, auth_require_tls=self.tls == "starttls")
        self._controller = _Controller(handler, **options)
        self._controller.start()

    def stop(self) -> None:
        """Close every client connection, then stop listening; a client now gets "connection refused"."""
        if self._controller is None:
            return
        self.drop_connections()
        self._controller.stop()
        self._controller = None

    def drop_connections(self) -> None:
        """Close the open client connections from the server side, as an idle timeout would."""
        controller = self._controller
        if controller is None:
            return
        asyncio.run_coroutine_threadsafe(_close(controller.sessions), controller.loop).result(timeout=10)

    def config(self, **changes: Any) -> SmtpConfig:
        """A client configuration for this server (its security mode, trusting its CA)."""
        ca_file = str(self.tls_files.ca_file) if self.tls_files is not None else None
        config = SmtpConfig(host=self.host, port=self.port, security=self.tls, ca_file=ca_file, timeout=10.0)
        return replace(config, **changes)

    def refuse(
        self, code: int = 451, *, at: Stage = "DATA", times: int | None = None, text: str = ""
    ) -> None:
        """Answer `at` with `code` for the next `times` messages (until `accept()` when None)."""
        status = "4.3.0" if code < 500 else "5.1.1" if at == "RCPT" else "5.7.1"
        reply = f"{code} {status} {text or 'Refused by the test server'}"
        with self._lock:
            self._refusal = _Refusal(at=at, reply=reply, left=times)

    def accept(self) -> None:
        with self._lock:
            self._refusal = None

    def hang_up(self, *, at: Stage = "DATA", times: int | None = 1) -> None:
        """At `at`, reset the connection instead of answering, as a crashing server would."""
        with self._lock:
            self._refusal = _Refusal(at=at, reply=_HANG_UP, left=times)

    def take_refusal(self, at: Stage, server: SMTP) -> str | None:
        with self._lock:
            refusal = self._refusal
            if refusal is None or refusal.at != at:
                return None
            if refusal.left is not None:
                refusal.left -= 1
                if refusal.left <= 0:
                    self._refusal = None
        if refusal.reply == _HANG_UP and isinstance(server.transport, asyncio.WriteTransport):
            server.transport.abort()  # the reply aiosmtpd then pushes goes nowhere
        return refusal.reply

    def store(self, envelope: Envelope, session: Session) -> str:
        raw = bytes(envelope.original_content or b"")
        with self._lock:
            reply = f"250 2.0.0 Ok: queued as {len(self._messages) + 1:05X}"
            login = session.auth_data if isinstance(session.auth_data, str) else None
            rcpt_tos = tuple(envelope.rcpt_tos)
            address: Any = session.peer  # typed str | None by aiosmtpd, a (host, port) tuple on TCP
            peer = (str(address[0]), int(address[1]))
            self._messages.append(
                ReceivedMessage(envelope.mail_from or "", rcpt_tos, raw, reply, login, peer)
            )
            self._lock.notify_all()
        return reply

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    def message_ids(self) -> list[str]:
        return [message.message_id for message in self.messages]

    def message_id_counts(self) -> Counter[str]:
        """How many times each Message-ID arrived: a count above 1 is a duplicate."""
        return Counter(self.message_ids())

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Wait until at least `count` messages arrived (for clients in other threads or processes)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._messages) >= count, timeout=timeout):
                raise TimeoutError(f"{len(self._messages)} messages arrived within {timeout}s, not {count}")
            return list(self._messages)


async def _close(sessions: list[SMTP]) -> None:
    for smtp in sessions:
        if smtp.transport is not None and not smtp.transport.is_closing():
            smtp.transport.close()
    await asyncio.sleep(0.01)  # let the loop run connection_lost, so the sockets are really closed


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A CA and server certificate for 127.0.0.1, made once per test session."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A started plain SMTP server (no TLS, no AUTH), stopped after the test."""
    with SmtpServer() as server:
        yield server
