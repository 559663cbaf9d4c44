"""Channels that record instead of sending, for demos and tests without an SMTP server or SMS gateway.

They take what the real ones take and answer the same way: a `Receipt`, or a `SendError` when told
to fail (`fail_next`) or when the real channel would refuse too (no recipient, a non-E.164 number).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from email.message import Message
from types import TracebackType
from typing import Self

from dunmore.delivery.channels.base import Receipt, SendError
from dunmore.delivery.channels.email import envelope
from dunmore.delivery.channels.sms import SmsStatus, check_phone, check_text, parse_webhook_status


@dataclass(frozen=True, slots=True)
class SentSms:
    to: str
    text: str
    reference: str


class _Failures:
    """The next `times` sends fail with `detail`, transiently or not."""

    def __init__(self) -> None:
        self._left = 0
        self._transient = True
        self._detail = ""

    def arm(self, times: int, *, transient: bool, detail: str) -> None:
        self._left, self._transient, self._detail = times, transient, detail

    def check(self) -> None:
        if self._left > 0:
            self._left -= 1
            raise SendError(self._detail, transient=self._transient)


class FakeEmailChannel:
    """Keeps every message it is given in `sent`, in order; a context manager like `SmtpChannel`."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.attempts = 0
        self.closed = False
        self._failures = _Failures()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.closed = True

    def fail_next(
        self, times: int = 1, *, transient: bool = True, detail: str = "451 4.3.0 fake server busy"
    ) -> None:
        """Make the next `times` sends raise `SendError(detail, transient=transient)`."""
        self._failures.arm(times, transient=transient, detail=detail)

    def send(self, message: Message) -> Receipt:
        self.attempts += 1
        envelope(message)
        self._failures.check()
        self.sent.append(message)
        return Receipt(provider_id=None, reply=f"250 2.0.0 Ok: queued as FAKE{len(self.sent)}")

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID was sent: a count above 1 is a duplicate."""
        return Counter(str(message["Message-ID"]) for message in self.sent)


class FakeSmsGateway:
    """Keeps every SMS it is given in `sent`; status callbacks use the webhook format."""

    name = "fake SMS gateway"

    def __init__(self) -> None:
        self.sent: list[SentSms] = []
        self.attempts = 0
        self._failures = _Failures()

    def fail_next(
        self, times: int = 1, *, transient: bool = True, detail: str = "HTTP 503 fake gateway busy"
    ) -> None:
        """Make the next `times` sends raise `SendError(detail, transient=transient)`."""
        self._failures.arm(times, transient=transient, detail=detail)

    def send(self, *, to: str, text: str, reference: str) -> Receipt:
        self.attempts += 1
        check_phone(to)
        check_text(text, limit=10_000)
        self._failures.check()
        self.sent.append(SentSms(to=to, text=text, reference=reference))
        number = len(self.sent)
        return Receipt(provider_id=f"fake-{number}", reply=f'HTTP 200 {{"id": "fake-{number}"}}')

    def parse_status(self, body: bytes, content_type: str) -> SmsStatus:
        return parse_webhook_status(body, content_type)

    def references(self) -> Counter[str]:
        """How many times each reference was sent: a count above 1 is a duplicate."""
        return Counter(sms.reference for sms in self.sent)
