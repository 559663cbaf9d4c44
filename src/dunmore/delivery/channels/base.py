"""What every sending channel shares: a receipt on success, a `SendError` that says whether to retry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Receipt:
    """The receiving side's answer, kept as proof of delivery."""

    provider_id: str | None  # the gateway's message id (SMS) or None
    reply: str  # the server's reply as received, e.g. "250 2.0.0 Ok: queued as 4F2A1"
    content: bytes | None = None  # the bytes handed over, exactly (the e-mail as sent after DATA)


class SendError(Exception):
    """A send that did not succeed. `transient` errors are retried with backoff; others are final."""

    def __init__(self, detail: str, *, transient: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.transient = transient
