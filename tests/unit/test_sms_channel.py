"""The SMS gateways against a local HTTP server playing the webhook service and Twilio."""

# The fixture is imported from tests.support and named as a test parameter, which F811 reports.
# ruff: noqa: F811

from __future__ import annotations

import base64
import json

import pytest

from dunmore.delivery.channels.base import SendError
from dunmore.delivery.channels.fake import FakeSmsGateway, SentSms
from dunmore.delivery.channels.sms import (
    GATEWAYS,
    SmsStatus,
    StatusCallbackError,
    TwilioGateway,
    WebhookGateway,
    sms_reference,
)
from tests.support.http_sms import SmsHttpServer, sms_http_server  # noqa: F401  (fixture)

TEXT = "【华东贸易】李四您好：发票 INV-2026-031 应付 ¥12,800.00 已逾期 15 天，请于 3 月 31 日前付款。"
SID = "AC0123456789abcdef0123456789abcdef"
FORM = "application/x-www-form-urlencoded"


def twilio(server: SmsHttpServer) -> TwilioGateway:
    callback = "https://dunmore.test/hooks/sms/twilio"
    return TwilioGateway(SID, "tok3n", "+15005550006", base_url=server.url, status_callback_url=callback)


def test_the_webhook_posts_json_with_bearer_token_and_idempotency_key(sms_http_server: SmsHttpServer) -> None:
    gateway = WebhookGateway(sms_http_server.url + "/sms/send", token="t0k", sender="Dunmore")

    receipt = gateway.send(to="+8613800138000", text=TEXT, reference=sms_reference(42))

    [request] = sms_http_server.requests
    assert (request.method, request.path) == ("POST", "/sms/send")
    assert request.header("Authorization") == "Bearer t0k"
    assert request.header("Idempotency-Key") == "dunmore-42"
    assert request.header("Content-Type") == "application/json; charset=utf-8"
    assert request.json() == {
        "to": "+8613800138000",
        "text": TEXT,
        "reference": "dunmore-42",
        "sender": "Dunmore",
    }
    assert receipt.provider_id == "wh-1"
    assert receipt.reply == 'HTTP 200 {"id": "wh-1"}'


def test_the_webhook_sends_no_authorization_without_a_token(sms_http_server: SmsHttpServer) -> None:
    WebhookGateway(sms_http_server.url + "/sms").send(to="+8613800138000", text="hi", reference="dunmore-1")

    assert sms_http_server.requests[0].header("Authorization") is None


def test_twilio_gets_its_form_fields_basic_auth_and_account_path(sms_http_server: SmsHttpServer) -> None:
    receipt = twilio(sms_http_server).send(to="+8613800138000", text=TEXT, reference="dunmore-42")

    [request] = sms_http_server.requests
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.header("Content-Type") == f"{FORM}; charset=utf-8"
    assert request.header("Authorization") == "Basic " + base64.b64encode(f"{SID}:tok3n".encode()).decode()
    assert request.form() == {
        "To": "+8613800138000",
        "From": "+15005550006",
        "Body": TEXT,
        "StatusCallback": "https://dunmore.test/hooks/sms/twilio?reference=dunmore-42",
    }
    assert receipt.provider_id == f"SM{1:032x}"
    assert receipt.reply.startswith('HTTP 201 {"sid": "SM')


def test_twilio_without_callback_url_sends_no_status_callback(sms_http_server: SmsHttpServer) -> None:
    TwilioGateway(SID, "tok3n", "+15005550006", base_url=sms_http_server.url).send(
        to="+8613800138000", text="hi", reference="dunmore-1"
    )

    assert "StatusCallback" not in sms_http_server.requests[0].form()


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_or_failing_gateways_are_transient(sms_http_server: SmsHttpServer, status: int) -> None:
    sms_http_server.answer(status, {"code": 20429, "message": "Too Many Requests", "status": status})

    with pytest.raises(SendError) as raised:
        twilio(sms_http_server).send(to="+8613800138000", text="hi", reference="dunmore-1")

    assert raised.value.transient
    assert f"Twilio answered HTTP {status}: error 20429 'Too Many Requests'" in raised.value.detail
    assert "retries it later" in raised.value.detail


def test_a_400_is_permanent_with_twilios_error_message(sms_http_server: SmsHttpServer) -> None:
    sms_http_server.answer(
        400,
        {
            "code": 21211,
            "message": "The 'To' number +8613800138000 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        },
    )

    with pytest.raises(SendError) as raised:
        twilio(sms_http_server).send(to="+8613800138000", text="hi", reference="dunmore-1")

    assert not raised.value.transient
    assert raised.value.detail == (
        "Twilio answered HTTP 400: error 21211 'The 'To' number +8613800138000 is not a valid phone number.' "
        "(see https://www.twilio.com/docs/errors/21211); the gateway refused this message; correct what its "
        "answer names before sending again"
    )


def test_a_401_points_at_the_credentials(sms_http_server: SmsHttpServer) -> None:
    sms_http_server.answer(401, "Unauthorized", content_type="text/plain")

    with pytest.raises(SendError) as raised:
        WebhookGateway(sms_http_server.url + "/sms").send(
            to="+8613800138000", text="hi", reference="dunmore-1"
        )

    assert not raised.value.transient
    assert (
        "SMS webhook answered HTTP 401: 'Unauthorized'; check the gateway's credentials"
        in raised.value.detail
    )


def test_a_redirect_is_reported_not_followed(sms_http_server: SmsHttpServer) -> None:
    sms_http_server.answer(302, b"")

    with pytest.raises(SendError) as raised:
        WebhookGateway(sms_http_server.url + "/sms").send(
            to="+8613800138000", text="hi", reference="dunmore-1"
        )

    assert not raised.value.transient
    assert "redirects" in raised.value.detail
    assert len(sms_http_server.requests) == 1


@pytest.mark.parametrize("number", ["13800138000", "+86 138 0013 8000", "+0861380013800", "+1234567", ""])
def test_a_number_not_in_e164_is_permanent_without_a_request(
    sms_http_server: SmsHttpServer, number: str
) -> None:
    with pytest.raises(SendError) as raised:
        twilio(sms_http_server).send(to=number, text="hi", reference="dunmore-1")

    assert not raised.value.transient
    assert "E.164" in raised.value.detail
    assert sms_http_server.requests == []


def test_a_text_longer_than_twilio_takes_is_permanent(sms_http_server: SmsHttpServer) -> None:
    with pytest.raises(SendError, match="1601 characters"):
        twilio(sms_http_server).send(to="+8613800138000", text="催" * 1601, reference="dunmore-1")

    assert sms_http_server.requests == []


def test_an_unreachable_gateway_is_transient(sms_http_server: SmsHttpServer) -> None:
    url = sms_http_server.url + "/sms"
    sms_http_server.stop()

    with pytest.raises(SendError) as raised:
        WebhookGateway(url).send(to="+8613800138000", text="hi", reference="dunmore-1")

    assert raised.value.transient
    assert "ConnectionRefusedError" in raised.value.detail


def test_a_gateway_slower_than_the_timeout_is_transient(sms_http_server: SmsHttpServer) -> None:
    sms_http_server.answer(200, {"id": "late"}, delay=0.5)

    with pytest.raises(SendError) as raised:
        WebhookGateway(sms_http_server.url + "/sms", timeout=0.1).send(
            to="+8613800138000", text="hi", reference="dunmore-1"
        )

    assert raised.value.transient
    assert "timed out" in raised.value.detail


def test_chinese_text_arrives_intact_through_both_gateways(sms_http_server: SmsHttpServer) -> None:
    WebhookGateway(sms_http_server.url + "/sms").send(to="+8613800138000", text=TEXT, reference="dunmore-1")
    twilio(sms_http_server).send(to="+8613800138000", text=TEXT, reference="dunmore-2")

    webhook, twilio_request = sms_http_server.requests
    assert json.loads(webhook.body.decode("utf-8"))["text"] == TEXT
    assert twilio_request.form()["Body"] == TEXT


def test_twilio_status_callbacks_are_normalised() -> None:
    gateway = TwilioGateway(SID, "tok3n", "+15005550006")
    body = b"MessageSid=SM123&MessageStatus=undelivered&ErrorCode=30003&AccountSid=AC1&SmsStatus=undelivered"

    assert gateway.parse_status(body, FORM) == SmsStatus("SM123", "undelivered", "undelivered", "30003")
    assert gateway.parse_status(b"MessageSid=SM9&MessageStatus=read", FORM) == SmsStatus(
        "SM9", "delivered", "read"
    )
    assert gateway.parse_status(b"MessageSid=SM9&MessageStatus=sending&ErrorCode=", FORM).status == "queued"


def test_webhook_status_callbacks_are_read() -> None:
    gateway = WebhookGateway("http://unused.test/sms")
    body = json.dumps({"id": "wh-7", "status": "failed", "error": "number blocked"}).encode()

    assert gateway.parse_status(body, "application/json") == SmsStatus(
        "wh-7", "failed", "failed", "number blocked"
    )


@pytest.mark.parametrize(
    ("gateway", "body", "content_type"),
    [
        (WebhookGateway("http://unused.test"), b'{"id": "1", "status": "lost"}', "application/json"),
        (WebhookGateway("http://unused.test"), b"id=1&status=sent", FORM),
        (TwilioGateway(SID, "t", "+15005550006"), b"MessageSid=SM1&MessageStatus=received", FORM),
        (TwilioGateway(SID, "t", "+15005550006"), b"MessageStatus=sent", FORM),
    ],
)
def test_unreadable_status_callbacks_are_refused(
    gateway: WebhookGateway | TwilioGateway, body: bytes, content_type: str
) -> None:
    with pytest.raises(StatusCallbackError):
        gateway.parse_status(body, content_type)


def test_the_gateways_are_registered_by_name() -> None:
    assert {"webhook": WebhookGateway, "twilio": TwilioGateway} == GATEWAYS


def test_the_fake_gateway_records_and_fails_when_told() -> None:
    gateway = FakeSmsGateway()
    gateway.fail_next(2)

    for _ in range(2):
        with pytest.raises(SendError) as raised:
            gateway.send(to="+8613800138000", text=TEXT, reference="dunmore-1")
        assert raised.value.transient
    receipt = gateway.send(to="+8613800138000", text=TEXT, reference="dunmore-1")
    gateway.fail_next(transient=False, detail="HTTP 400 blocked")
    with pytest.raises(SendError) as final:
        gateway.send(to="+8613800138000", text=TEXT, reference="dunmore-2")

    assert not final.value.transient
    assert receipt.provider_id == "fake-1"
    assert gateway.sent == [SentSms("+8613800138000", TEXT, "dunmore-1")]
    assert gateway.attempts == 4
    with pytest.raises(SendError, match=r"E\.164"):
        gateway.send(to="138", text="hi", reference="dunmore-3")
