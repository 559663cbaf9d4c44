"""Who may record an SMS status callback: each gateway adapter's signature on its callbacks.

A status callback is proof of delivery, so only the gateway may write one. Each adapter's verifier
checks the request's signature before anything is read or recorded, and raises `CallbackRefused`
(HTTP 401) when it is missing, malformed, wrong or stale:

- Twilio (`X-Twilio-Signature`): base64 of HMAC-SHA1, keyed by the account's auth token, over the
  full URL Twilio called followed by every POST parameter, sorted by name, as name + value.
  Twilio signs the public URL it was given (our `status_callback_url` plus `?reference=…`), which a
  proxy in front of us may rewrite; so the URL is the configured one with the query as received,
  never the request's own Host. Twilio's signature has no timestamp: a replayed callback can only
  repeat a status, and a status never moves back (see `SMS_STATE_ORDER`).
- Our JSON webhook (`X-Dunmore-Signature: sha256=<hex>`): HMAC-SHA256, keyed by the shared secret,
  over `<X-Dunmore-Timestamp>.<raw body>`, the timestamp being Unix seconds; a timestamp further than
  `max_age` from now, either way, is refused, so a captured callback cannot be replayed later.

Verifiers are pure: they take the request as a value and the instant to judge it at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Protocol

from dunmore.errors import DunmoreError
from dunmore.i18n import _m

TWILIO_SIGNATURE: Final = "X-Twilio-Signature"
WEBHOOK_SIGNATURE: Final = "X-Dunmore-Signature"
WEBHOOK_TIMESTAMP: Final = "X-Dunmore-Timestamp"
_TIMESTAMP_DIGITS: Final = 12  # Unix seconds fit in 11 digits until the year 5138


class CallbackRefused(DunmoreError):
    """A status callback without a valid signature of the configured gateway: nothing is recorded."""

    code = "sms_callback_refused"


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a verifier reads of a callback: the raw query string, the headers, the raw body."""

    query: str
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class CallbackVerifier(Protocol):
    """Checks that a callback comes from the configured gateway; raises `CallbackRefused` if not."""

    def verify(self, request: SignedRequest, *, now: datetime) -> None: ...


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(auth token, url + name1 + value1 + …)), with the
    parameters sorted by name (a repeated name's values sorted too, as Twilio's own libraries do)."""
    signed = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Dunmore-Signature` value: `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + body)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison; header values may hold any character, so compare bytes."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", errors="replace"))


@dataclass(frozen=True, slots=True)
class TwilioVerifier:
    """Twilio's `X-Twilio-Signature`, keyed by the auth token, over the configured public URL."""

    auth_token: str = field(repr=False)
    public_url: str

    def signed_url(self, query: str) -> str:
        """The URL Twilio called: the public URL we gave it, with the query string as received."""
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(self.public_url)._replace(query=query))

    def verify(self, request: SignedRequest, *, now: datetime) -> None:
        given = request.header(TWILIO_SIGNATURE)
        if not given:
            raise CallbackRefused(
                _m(
                    "no %(header)s header: only Twilio may post status callbacks here",
                    header=TWILIO_SIGNATURE,
                )
            )
        form = request.body.decode("utf-8", errors="replace")
        params = urllib.parse.parse_qsl(form, keep_blank_values=True)
        expected = twilio_signature(self.auth_token, self.signed_url(request.query), params)
        if not _same(expected, given):
            raise CallbackRefused(
                _m(
                    "%(header)s does not match: check that the auth token and the public callback "
                    "URL in settings are the ones Twilio uses",
                    header=TWILIO_SIGNATURE,
                )
            )


@dataclass(frozen=True, slots=True)
class WebhookVerifier:
    """Our webhook's `X-Dunmore-Signature` (HMAC-SHA256 with a shared secret) and fresh timestamp."""

    secret: str = field(repr=False)
    max_age: timedelta = timedelta(minutes=5)

    def verify(self, request: SignedRequest, *, now: datetime) -> None:
        given, stamp = request.header(WEBHOOK_SIGNATURE), request.header(WEBHOOK_TIMESTAMP)
        if not given or not stamp:
            raise CallbackRefused(
                _m(
                    "unsigned status callback: send %(timestamp)s and %(signature)s headers",
                    timestamp=WEBHOOK_TIMESTAMP,
                    signature=WEBHOOK_SIGNATURE,
                )
            )
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= _TIMESTAMP_DIGITS):
            raise CallbackRefused(
                _m(
                    "%(header)s must be Unix seconds, got %(value)s",
                    header=WEBHOOK_TIMESTAMP,
                    value=repr(stamp[:20]),
                )
            )
        if abs(now.timestamp() - int(stamp)) > self.max_age.total_seconds():
            raise CallbackRefused(
                _m(
                    "%(header)s %(stamp)s is more than %(seconds)s s from now: sign each callback when it "
                    "is sent, with a synchronised clock",
                    header=WEBHOOK_TIMESTAMP,
                    stamp=stamp,
                    seconds=int(self.max_age.total_seconds()),
                )
            )
        if not _same(webhook_signature(self.secret, stamp, request.body), given):
            raise CallbackRefused(
                _m("%(header)s does not match: check the shared callback secret", header=WEBHOOK_SIGNATURE)
            )
