"""SMS through an HTTP gateway: a generic JSON webhook or Twilio's Messages API.

Each send carries a `reference` (`sms_reference(delivery_id)`, e.g. "dunmore-42"), the delivery's
idempotency key. Gateways report later how the message fared through a status callback, which
`parse_status` turns into an `SmsStatus` with one of five normalised states.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from dunmore.delivery.channels.base import Receipt, SendError
from dunmore.errors import DunmoreError
from dunmore.i18n import _m

SmsState = Literal["queued", "sent", "delivered", "failed", "undelivered"]
SMS_STATES: Final[tuple[SmsState, ...]] = ("queued", "sent", "delivered", "failed", "undelivered")
# The order a message's status moves in: queued, then sent, then one final state. Gateways call
# back late, twice and out of order; a callback may only move a delivery up this order, and a final
# state (the carrier's word on the message) is never replaced, by an older "sent" or another final.
SMS_STATE_ORDER: Final[Mapping[str, int]] = {
    "queued": 0,
    "sent": 1,
    "delivered": 2,
    "failed": 2,
    "undelivered": 2,
}
E164: Final = re.compile(r"\+[1-9][0-9]{7,14}")
_EXCERPT: Final = 300  # characters of a gateway's answer quoted in an error
_REPLY_LIMIT: Final = 2000  # characters of a gateway's answer kept in a receipt


@dataclass(frozen=True, slots=True)
class SmsStatus:
    """A gateway's status callback, normalised: `status` is ours, `raw_status` the gateway's word."""

    provider_id: str
    status: SmsState
    raw_status: str
    error_code: str | None = None


class StatusCallbackError(DunmoreError):
    """A status callback that cannot be read: wrong content type, missing field, unknown status."""

    code = "sms_status_callback"


class SmsGateway(Protocol):
    """What the outbox worker needs from an SMS gateway."""

    def send(self, *, to: str, text: str, reference: str) -> Receipt:
        """Send `text` to `to` (E.164); `reference` is the delivery's idempotency key."""
        ...

    def parse_status(self, body: bytes, content_type: str) -> SmsStatus:
        """Read the gateway's status callback request body."""
        ...


def status_advances(current: str | None, new: SmsState) -> bool:
    """Whether a callback saying `new` moves a delivery whose last status is `current` (None before
    the first callback) forward: only a state later in `SMS_STATE_ORDER` does."""
    return current is None or SMS_STATE_ORDER[new] > SMS_STATE_ORDER.get(current, -1)


def states_before(new: SmsState) -> tuple[SmsState, ...]:
    """The states a delivery may leave for `new`: those strictly earlier in `SMS_STATE_ORDER`."""
    return tuple(state for state in SMS_STATES if SMS_STATE_ORDER[state] < SMS_STATE_ORDER[new])


def sms_reference(delivery_id: int) -> str:
    """The idempotency key of an SMS delivery: the same on every attempt."""
    return f"dunmore-{delivery_id}"


def check_phone(number: str) -> None:
    """Refuse (permanently) a number that is not E.164: "+", country code, 8 to 15 digits in all."""
    if not E164.fullmatch(number):
        said = _m(
            "the phone number %(number)s is not in international E.164 form; correct it to '+' and the "
            "country code and digits only, e.g. +8613800138000",
            number=repr(number),
        )
        raise SendError(str(said), transient=False)


def check_text(text: str, *, limit: int) -> None:
    if not text.strip():
        raise SendError(str(_m("the SMS text is empty; check the notice's SMS template")), transient=False)
    if len(text) > limit:
        said = _m(
            "the SMS text has %(count)s characters, more than the gateway's %(most)s; shorten the "
            "notice's SMS template",
            count=len(text),
            most=limit,
        )
        raise SendError(str(said), transient=False)


class WebhookGateway:
    """A gateway of our own format, for an in-house or regional SMS service behind a small adapter.

    Send: POST JSON `{"to", "text", "reference", "sender"}`, `Authorization: Bearer <token>` when a
    token is set and `Idempotency-Key: <reference>`, so the service can drop a repeated attempt;
    answer 2xx JSON `{"id": ...}`. Status callback: JSON `{"id", "status", "error"}` where status is
    one of queued, sent, delivered, failed, undelivered, signed by the service with the shared
    callback secret (headers `X-Dunmore-Timestamp` and `X-Dunmore-Signature`, see
    `delivery.signatures`).
    """

    name = "SMS webhook"

    def __init__(
        self, url: str, token: str | None = None, timeout: float = 10.0, sender: str | None = None
    ) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self.sender = sender

    def send(self, *, to: str, text: str, reference: str) -> Receipt:
        check_phone(to)
        check_text(text, limit=10_000)
        payload = {"to": to, "text": text, "reference": reference, "sender": self.sender}
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": reference}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        response = _post(self.name, self.url, body=body, headers=headers, timeout=self.timeout)
        provider_id = _json_object(response.body).get("id")
        return response.receipt(None if provider_id is None else str(provider_id))

    def parse_status(self, body: bytes, content_type: str) -> SmsStatus:
        return parse_webhook_status(body, content_type)


def parse_webhook_status(body: bytes, content_type: str) -> SmsStatus:
    """Read a status callback in the webhook format: JSON `{"id", "status", "error"}`."""
    if not content_type.lower().startswith("application/json"):
        raise StatusCallbackError(
            _m("the SMS status callback must be JSON, got content type %(type)s", type=repr(content_type))
        )
    data = _json_object(body)
    if not data.get("id") or data.get("status") not in SMS_STATES:
        raise StatusCallbackError(
            _m(
                "the SMS status callback needs an 'id' and a 'status' among %(known)s; got %(body)s",
                known=", ".join(SMS_STATES),
                body=repr(_excerpt(body)),
            )
        )
    error = data.get("error")
    return SmsStatus(str(data["id"]), data["status"], data["status"], None if error is None else str(error))


class TwilioGateway:
    """Twilio's Messages API (2010-04-01): form-encoded `To`, `From`, `Body`, `StatusCallback`, HTTP
    basic auth with the account SID and auth token; the answer is JSON with `sid` and `status`.

    Twilio takes no idempotency key, so the reference is kept on our side: the outbox row stores it
    with the `sid` Twilio returns, and it is added to the status callback URL (`?reference=...`),
    so every callback names the delivery. A second message for one delivery can only come from an
    attempt whose outcome we never learnt (the worker died, or the answer was lost, after Twilio
    accepted the request and before the sid was recorded); such a duplicate shows up as two sids
    calling back with one reference.
    """

    name = "Twilio"
    body_limit: Final = 1600  # characters Twilio accepts in one message Body

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = "https://api.twilio.com",
        status_callback_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.base_url = base_url.rstrip("/")
        self.status_callback_url = status_callback_url
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"TwilioGateway(account_sid={self.account_sid!r}, base_url={self.base_url!r})"

    @property
    def messages_url(self) -> str:
        sid = urllib.parse.quote(self.account_sid, safe="")
        return f"{self.base_url}/2010-04-01/Accounts/{sid}/Messages.json"

    def send(self, *, to: str, text: str, reference: str) -> Receipt:
        check_phone(to)
        check_text(text, limit=self.body_limit)
        fields = {"To": to, "From": self.from_number, "Body": text}
        if self.status_callback_url:
            fields["StatusCallback"] = _with_query(self.status_callback_url, reference=reference)
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode("ascii")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": f"Basic {credentials}",
            "Accept": "application/json",
        }
        body = urllib.parse.urlencode(fields).encode("ascii")
        response = _post(self.name, self.messages_url, body=body, headers=headers, timeout=self.timeout)
        sid = _json_object(response.body).get("sid")
        return response.receipt(None if sid is None else str(sid))

    def parse_status(self, body: bytes, content_type: str) -> SmsStatus:
        return parse_twilio_status(body, content_type)


# Twilio's message statuses, in our five words; inbound ones (receiving, received) are not ours.
TWILIO_STATES: Final[Mapping[str, SmsState]] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "partially_delivered": "undelivered",  # not every part arrived: no proof the notice was read
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}


def parse_twilio_status(body: bytes, content_type: str) -> SmsStatus:
    """Read Twilio's status callback: form-encoded `MessageSid`, `MessageStatus`, `ErrorCode`."""
    if not content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise StatusCallbackError(
            _m("a Twilio status callback is form-encoded, got content type %(type)s", type=repr(content_type))
        )
    fields = dict(urllib.parse.parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    sid = fields.get("MessageSid") or fields.get("SmsSid")
    raw = fields.get("MessageStatus") or fields.get("SmsStatus") or ""
    if not sid or raw not in TWILIO_STATES:
        raise StatusCallbackError(
            _m(
                "a Twilio status callback needs MessageSid and an outbound MessageStatus; got %(body)s",
                body=repr(_excerpt(body)),
            )
        )
    return SmsStatus(sid, TWILIO_STATES[raw], raw, fields.get("ErrorCode") or None)


GATEWAYS: Final[Mapping[str, type[SmsGateway]]] = {"webhook": WebhookGateway, "twilio": TwilioGateway}


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    body: bytes

    def receipt(self, provider_id: str | None) -> Receipt:
        """The gateway's 2xx answer as proof; a 2xx without an id still means the message was taken."""
        text = self.body.decode("utf-8", errors="replace")[:_REPLY_LIMIT]
        return Receipt(provider_id=provider_id, reply=f"HTTP {self.status} {text}".rstrip())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be replayed as a GET by urllib; report the redirect as an error instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _post(gateway: str, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float) -> _Response:
    """POST `body`; return the 2xx answer or raise the `SendError` that explains the failure."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.build_opener(_NoRedirects).open(request, timeout=timeout) as response:
            return _Response(response.status, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            answer = exc.read()
        raise _http_error(gateway, exc.code, answer) from exc
    except urllib.error.URLError as exc:
        raise _unreachable(gateway, url, exc.reason) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(gateway, url, exc) from exc


def _http_error(gateway: str, status: int, answer: bytes) -> SendError:
    transient = status == 429 or status >= 500
    if transient:
        advice = "the gateway is busy or failing; the outbox retries it later"
    elif status in (401, 403):
        advice = "check the gateway's credentials in settings"
    elif 300 <= status < 400:
        advice = "the gateway URL redirects; set its final address in settings"
    else:
        advice = "the gateway refused this message; correct what its answer names before sending again"
    return SendError(f"{gateway} answered HTTP {status}: {_explain(answer)}; {advice}", transient=transient)


def _unreachable(gateway: str, url: str, reason: object) -> SendError:
    what = "timed out" if isinstance(reason, TimeoutError) else f"failed ({type(reason).__name__}: {reason})"
    return SendError(
        f"connection to {gateway} at {url} {what}; the outbox retries it later (check the gateway's URL "
        "and network if it lasts)",
        transient=True,
    )


def _explain(answer: bytes) -> str:
    """Twilio's error JSON (`code`, `message`, `more_info`) in words, else an excerpt of the answer."""
    data = _json_object(answer)
    if "message" in data:
        code = f"error {data['code']} " if data.get("code") is not None else ""
        more = f" (see {data['more_info']})" if data.get("more_info") else ""
        return f"{code}'{data['message']}'{more}"
    return repr(_excerpt(answer)) if answer else "(empty answer)"


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _excerpt(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
