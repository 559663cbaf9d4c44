"""The gateways' signatures on status callbacks: Twilio's documented HMAC-SHA1 and our webhook's
HMAC-SHA256 with a timestamp, checked as pure functions at a fixed instant."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from dunmore.delivery.signatures import (
    TWILIO_SIGNATURE,
    WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
    CallbackRefused,
    SignedRequest,
    TwilioVerifier,
    WebhookVerifier,
    twilio_signature,
    webhook_signature,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
EXAMPLE_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Twilio's published example (its security docs and twilio-python's request-validator tests):
        # auth token 12345, this URL and these parameters.
        (
            [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
             ("From", "+12349013030"), ("To", "+18005551212")],
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
        ),
        (
            [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"),
             ("From", "+14158675309"), ("To", "+18005551212")],
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        ),
        # twilio-python's vector for a repeated parameter: values sorted too.
        (
            [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")],
            "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
        ),
    ],
)  # fmt: skip
def test_the_twilio_signature_matches_twilios_published_examples(
    params: list[tuple[str, str]], expected: str
) -> None:
    assert twilio_signature("12345", EXAMPLE_URL, params) == expected


def test_the_twilio_signature_is_the_documented_algorithm() -> None:
    """URL, then each parameter sorted by name as name + value, HMAC-SHA1 with the auth token, base64."""
    url = "https://ar.example.cn/hooks/sms/status?reference=dunmore-7"
    params = [("MessageStatus", "delivered"), ("AccountSid", "AC1"), ("MessageSid", "SM9"), ("ErrorCode", "")]
    signed = url + "AccountSidAC1" + "ErrorCode" + "MessageSidSM9" + "MessageStatusdelivered"
    expected = base64.b64encode(hmac.new(b"tok3n", signed.encode(), hashlib.sha1).digest()).decode()

    assert twilio_signature("tok3n", url, params) == expected


def twilio_request(body: str, query: str, signature: str | None) -> SignedRequest:
    headers = {TWILIO_SIGNATURE.lower(): signature} if signature is not None else {}
    return SignedRequest(query, headers, body.encode())


def test_twilio_callbacks_are_checked_over_the_configured_public_url() -> None:
    verifier = TwilioVerifier("tok3n", "https://ar.example.cn/hooks/sms/status")
    body = "MessageSid=SM9&MessageStatus=delivered"
    params = [("MessageSid", "SM9"), ("MessageStatus", "delivered")]
    public = "https://ar.example.cn/hooks/sms/status?reference=dunmore-7"
    good = twilio_signature("tok3n", public, params)

    verifier.verify(twilio_request(body, "reference=dunmore-7", good), now=NOW)
    for request in (
        twilio_request(body, "reference=dunmore-7", None),
        twilio_request(body, "reference=dunmore-8", good),
        twilio_request(body.replace("delivered", "failed"), "reference=dunmore-7", good),
        twilio_request(body, "reference=dunmore-7", twilio_signature("other", public, params)),
        twilio_request(body, "reference=dunmore-7", "é" + good[1:]),
    ):
        with pytest.raises(CallbackRefused):
            verifier.verify(request, now=NOW)


def test_the_webhook_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"id": "wh-1", "status": "delivered"}'
    expected = hmac.new(b"s3cret", b"1795399200." + body, hashlib.sha256).hexdigest()

    assert webhook_signature("s3cret", "1795399200", body) == "sha256=" + expected


def webhook_request(body: bytes, stamp: str, signature: str) -> SignedRequest:
    return SignedRequest("", {WEBHOOK_TIMESTAMP.lower(): stamp, WEBHOOK_SIGNATURE.lower(): signature}, body)


@pytest.mark.parametrize(
    ("offset", "accepted"), [(0, True), (-300, True), (300, True), (-301, False), (301, False)]
)
def test_a_webhook_callback_is_accepted_only_within_its_max_age(offset: int, accepted: bool) -> None:
    verifier = WebhookVerifier("s3cret", timedelta(minutes=5))
    body = b'{"id": "wh-1", "status": "delivered"}'
    stamp = str(int(NOW.timestamp()) + offset)
    request = webhook_request(body, stamp, webhook_signature("s3cret", stamp, body))

    if accepted:
        verifier.verify(request, now=NOW)
    else:
        with pytest.raises(CallbackRefused, match="more than 300 s from now"):
            verifier.verify(request, now=NOW)


@pytest.mark.parametrize(
    "stamp", ["", "soon", "-1795399200", "1795399200.0", "１７９５３９９２００", "9" * 13]
)
def test_a_webhook_timestamp_must_be_unix_seconds(stamp: str) -> None:
    body = b"{}"
    request = webhook_request(body, stamp, webhook_signature("s3cret", "0", body))

    with pytest.raises(CallbackRefused):
        WebhookVerifier("s3cret").verify(request, now=NOW)


def test_the_secrets_are_not_shown_in_a_verifiers_repr() -> None:
    assert "s3cret" not in repr(WebhookVerifier("s3cret"))
    assert "tok3n" not in repr(TwilioVerifier("tok3n", "https://ar.example.cn/hooks/sms/status"))
