"""The SMTP channel against a real SMTP server (aiosmtpd in a thread): what arrives, and every failure."""

# The fixtures are imported from tests.support and named as test parameters, which F811 reports.
# ruff: noqa: F811

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_string, policy
from email.message import Message

import pytest

from dunmore.delivery.channels.base import SendError
from dunmore.delivery.channels.email import Sender as EmailSender
from dunmore.delivery.channels.email import SmtpChannel, build_email, envelope, message_id
from dunmore.delivery.channels.fake import FakeEmailChannel
from tests.support.smtp import SmtpServer, TlsFiles, smtp_server, tls_files  # noqa: F401  (fixtures)

SENDER = EmailSender(address="ar@dunmore.test", name="华东贸易 催款部", reply_to="collect@dunmore.test")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n.\r\n..\x00\xff" * 50  # dots and binary


def notice(delivery_id: int = 7, *, to_address: str = "li.si@example.cn") -> Message:
    return build_email(
        sender=SENDER,
        to_address=to_address,
        to_name="李四（财务部）",
        subject="付款提醒：发票 INV-2026-031 已逾期 15 天",
        text="李四 先生：\n\n您的发票 INV-2026-031（¥12,800.00）已于 2026-03-01 到期。\n",
        html="<p>李四 先生：</p><p>您的发票 <b>INV-2026-031</b>（¥12,800.00）已逾期。</p>",
        message_id=message_id(delivery_id, "dunmore.test"),
        attachments=[("催款函-INV-2026-031.pdf", PDF, "application/pdf")],
        language="zh-CN",
        date=datetime(2026, 3, 16, 9, 30, tzinfo=UTC),
    )


def send(server: SmtpServer, message: Message, **config: object) -> str:
    with SmtpChannel(server.config(**config)) as channel:
        return channel.send(message).reply


def test_a_chinese_subject_and_display_names_arrive_decoded(smtp_server: SmtpServer) -> None:
    send(smtp_server, notice())

    [received] = smtp_server.messages
    assert received.message["Subject"] == "付款提醒：发票 INV-2026-031 已逾期 15 天"
    assert received.message["From"].addresses[0].display_name == "华东贸易 催款部"
    assert received.message["To"].addresses[0].display_name == "李四（财务部）"
    assert received.raw.isascii()  # encoded words and base64: no 8BITMIME needed on the way


def test_the_text_and_html_alternatives_are_utf8(smtp_server: SmtpServer) -> None:
    send(smtp_server, notice())

    message = smtp_server.messages[0].message
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert "（¥12,800.00）已于 2026-03-01 到期" in text.get_content()
    assert "<b>INV-2026-031</b>（¥12,800.00）已逾期" in html.get_content()


def test_the_pdf_letter_arrives_byte_identical_with_its_filename(smtp_server: SmtpServer) -> None:
    send(smtp_server, notice())

    [attachment] = smtp_server.messages[0].message.iter_attachments()
    assert attachment.get_filename() == "催款函-INV-2026-031.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


def test_message_id_reply_to_language_and_date_are_kept(smtp_server: SmtpServer) -> None:
    send(smtp_server, notice(42))

    received = smtp_server.messages[0]
    assert received.message["Message-ID"] == "<dunmore.delivery.42@dunmore.test>"
    assert received.message["Reply-To"] == "collect@dunmore.test"
    assert received.message["Content-Language"] == "zh-CN"
    assert received.message["Date"].datetime == datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
    assert received.mail_from == "ar@dunmore.test"
    assert received.rcpt_tos == ("li.si@example.cn",)


def test_a_message_without_attachments_is_plain_alternative() -> None:
    message = build_email(
        sender=SENDER, to_address="a@example.cn", to_name="", subject="Reminder", text="Hi", html="<p>Hi</p>",
        message_id=message_id(1, "dunmore.test"), headers={"X-Dunmore-Delivery": "1"},
    )  # fmt: skip

    assert message.get_content_type() == "multipart/alternative"
    assert message["X-Dunmore-Delivery"] == "1"
    assert "Content-Language" not in message


def test_the_receipt_holds_the_servers_own_reply_to_data(smtp_server: SmtpServer) -> None:
    reply = send(smtp_server, notice())

    assert reply == smtp_server.messages[0].reply == "250 2.0.0 Ok: queued as 00001"


def test_the_message_id_is_the_same_on_every_attempt() -> None:
    assert (
        message_id(42, "dunmore.test")
        == message_id(42, "dunmore.test")
        == "<dunmore.delivery.42@dunmore.test>"
    )
    assert message_id(43, "dunmore.test") != message_id(42, "dunmore.test")


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_modes_verify_the_server_against_the_given_ca(mode: str, tls_files: TlsFiles) -> None:
    with SmtpServer(tls="starttls" if mode == "starttls" else "ssl", tls_files=tls_files) as server:
        reply = send(server, notice())

        assert reply.startswith("250 ")
        assert server.messages[0].message["Subject"] == "付款提醒：发票 INV-2026-031 已逾期 15 天"


def test_an_untrusted_certificate_is_a_permanent_configuration_error(tls_files: TlsFiles) -> None:
    with SmtpServer(tls="ssl", tls_files=tls_files) as server, pytest.raises(SendError) as raised:
        send(server, notice(), ca_file=None)

    assert not raised.value.transient
    assert "not trusted" in raised.value.detail
    assert "CA file" in raised.value.detail
    assert server.messages == []


def test_auth_with_the_right_password_sends(tls_files: TlsFiles) -> None:
    with SmtpServer(tls="starttls", tls_files=tls_files, users={"dunmore": "s3cret"}) as server:
        send(server, notice(), username="dunmore", password="s3cret")

        assert server.messages[0].login == "dunmore"


def test_auth_failure_is_permanent_and_points_at_the_settings() -> None:
    with SmtpServer(users={"dunmore": "s3cret"}) as server, pytest.raises(SendError) as raised:
        send(server, notice(), username="dunmore", password="wrong")

    assert not raised.value.transient
    assert "refused AUTH with '535 5.7.8 Authentication credentials invalid'" in raised.value.detail
    assert "check the SMTP username and password in settings" in raised.value.detail


def test_451_on_data_is_transient_and_the_next_attempt_goes_through(smtp_server: SmtpServer) -> None:
    smtp_server.refuse(451, at="DATA", times=1)
    with SmtpChannel(smtp_server.config()) as channel:
        with pytest.raises(SendError) as raised:
            channel.send(notice())
        reply = channel.send(notice()).reply

    assert raised.value.transient
    assert "refused DATA with '451 4.3.0 Refused by the test server'" in raised.value.detail
    assert "retries it later" in raised.value.detail
    assert reply == "250 2.0.0 Ok: queued as 00001"
    assert smtp_server.message_id_counts() == {"<dunmore.delivery.7@dunmore.test>": 1}


@pytest.mark.parametrize("code", [421, 450, 451, 452])
def test_4xx_on_rcpt_is_transient(smtp_server: SmtpServer, code: int) -> None:
    smtp_server.refuse(code, at="RCPT")
    with pytest.raises(SendError) as raised:
        send(smtp_server, notice())

    assert raised.value.transient
    assert f"'{code} 4.3.0" in raised.value.detail


def test_550_on_rcpt_is_permanent_and_names_the_address(smtp_server: SmtpServer) -> None:
    smtp_server.refuse(550, at="RCPT", times=1, text="<li.si@example.cn>: Recipient address rejected")
    with SmtpChannel(smtp_server.config()) as channel:
        with pytest.raises(SendError) as raised:
            channel.send(notice(1))
        channel.send(notice(2))  # the connection was reset, not lost

    assert not raised.value.transient
    assert "refused RCPT TO <li.si@example.cn> with '550 5.1.1" in raised.value.detail
    assert "correct the debtor's email address" in raised.value.detail
    assert smtp_server.message_ids() == ["<dunmore.delivery.2@dunmore.test>"]


def test_554_on_data_is_permanent(smtp_server: SmtpServer) -> None:
    smtp_server.refuse(554, at="DATA", text="Message rejected as spam")
    with pytest.raises(SendError) as raised:
        send(smtp_server, notice())

    assert not raised.value.transient
    assert "'554 5.7.1 Message rejected as spam'" in raised.value.detail


def test_a_connection_reset_during_data_is_transient_and_the_channel_recovers(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.hang_up(at="DATA")
    with SmtpChannel(smtp_server.config()) as channel:
        with pytest.raises(SendError) as raised:
            channel.send(notice(1))
        channel.send(notice(1))

    assert raised.value.transient
    assert "retries it later" in raised.value.detail
    assert smtp_server.message_ids() == ["<dunmore.delivery.1@dunmore.test>"]


def test_an_invalid_recipient_address_is_permanent_before_any_connection() -> None:
    with pytest.raises(SendError) as raised:
        notice(to_address="li.si at example.cn")

    assert not raised.value.transient
    assert "'li.si at example.cn'" in raised.value.detail


def test_a_domain_that_is_not_ascii_goes_as_utf8_to_a_server_that_offers_smtputf8() -> None:
    with SmtpServer(smtputf8=True) as server:
        send(server, notice(to_address="li.si@例子.中国"))

        [received] = server.messages
    assert received.rcpt_tos == ("li.si@例子.中国",)
    message = message_from_string(received.raw.decode(), policy=policy.default)  # raw UTF-8 headers
    assert message["To"].addresses[0].addr_spec == "li.si@例子.中国"
    assert message["To"].addresses[0].display_name == "李四（财务部）"
    assert message["Subject"] == "付款提醒：发票 INV-2026-031 已逾期 15 天"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "已于 2026-03-01 到期" in text.get_content()


def test_a_domain_that_is_not_ascii_is_refused_by_a_server_without_smtputf8(
    smtp_server: SmtpServer,
) -> None:
    with pytest.raises(SendError, match="SMTPUTF8") as refused:
        send(smtp_server, notice(to_address="li.si@例子.中国"))

    assert not refused.value.transient
    assert smtp_server.messages == []


def test_a_line_break_in_the_subject_cannot_start_a_header_of_its_own(smtp_server: SmtpServer) -> None:
    for n, subject in enumerate(["Reminder\r\nBcc: evil@example.com", "提醒\nBcc: evil@example.com"]):
        message = build_email(
            sender=SENDER, to_address="a@example.cn", to_name="", subject=subject, text="Hi",
            html="<p>Hi</p>", message_id=message_id(n, "dunmore.test"),
        )  # fmt: skip
        send(smtp_server, message)

    for received, said in zip(smtp_server.messages, ["Reminder Bcc:", "提醒 Bcc:"], strict=True):
        assert received.message["Subject"] == f"{said} evil@example.com"
        assert received.message["Bcc"] is None
        assert received.rcpt_tos == ("a@example.cn",)


def test_a_message_without_recipient_is_refused_before_sending() -> None:
    message = notice()
    del message["To"]

    with pytest.raises(SendError, match="no recipient"):
        envelope(message)


def test_a_stopped_server_is_a_transient_connection_error(smtp_server: SmtpServer) -> None:
    smtp_server.stop()

    with pytest.raises(SendError) as raised:
        send(smtp_server, notice())

    assert raised.value.transient
    assert "ConnectionRefusedError" in raised.value.detail


def test_one_connection_carries_many_sends(smtp_server: SmtpServer) -> None:
    with SmtpChannel(smtp_server.config()) as channel:
        replies = [channel.send(notice(n)).reply for n in (1, 2, 3)]

    assert replies == [f"250 2.0.0 Ok: queued as 0000{n}" for n in (1, 2, 3)]
    assert len({received.peer for received in smtp_server.messages}) == 1


def test_a_connection_the_server_dropped_is_replaced_unseen(smtp_server: SmtpServer) -> None:
    with SmtpChannel(smtp_server.config()) as channel:
        channel.send(notice(1))
        smtp_server.drop_connections()
        channel.send(notice(2))
        smtp_server.stop()
        smtp_server.start()  # a restart on the same port
        channel.send(notice(3))

    assert smtp_server.message_ids() == [message_id(n, "dunmore.test") for n in (1, 2, 3)]
    assert len({received.peer for received in smtp_server.messages}) == 3


def test_a_kept_connection_the_server_is_closing_421_is_replaced_unseen(smtp_server: SmtpServer) -> None:
    with SmtpChannel(smtp_server.config()) as channel:
        channel.send(notice(1))
        smtp_server.refuse(421, at="MAIL", times=1, text="4.4.2 idle too long, closing")
        channel.send(notice(2))

    assert smtp_server.message_ids() == [
        "<dunmore.delivery.1@dunmore.test>",
        "<dunmore.delivery.2@dunmore.test>",
    ]
    assert len({received.peer for received in smtp_server.messages}) == 2


def test_421_on_a_new_connection_is_a_transient_refusal(smtp_server: SmtpServer) -> None:
    smtp_server.refuse(421, at="MAIL", times=1)

    with pytest.raises(SendError) as raised:
        send(smtp_server, notice())

    assert raised.value.transient
    assert "421" in raised.value.detail
    assert smtp_server.messages == []


def test_a_resend_keeps_the_message_id_so_duplicates_can_be_counted(smtp_server: SmtpServer) -> None:
    send(smtp_server, notice(5))
    send(smtp_server, notice(5))

    assert smtp_server.message_id_counts()["<dunmore.delivery.5@dunmore.test>"] == 2


def test_the_fake_channel_records_and_fails_when_told() -> None:
    with FakeEmailChannel() as channel:
        channel.fail_next(1)
        with pytest.raises(SendError) as raised:
            channel.send(notice(1))
        first = channel.send(notice(1))
        channel.fail_next(transient=False, detail="550 5.1.1 no such user")
        with pytest.raises(SendError) as final:
            channel.send(notice(2))

    assert raised.value.transient
    assert not final.value.transient
    assert first.reply == "250 2.0.0 Ok: queued as FAKE1"
    assert channel.message_ids() == {"<dunmore.delivery.1@dunmore.test>": 1}
    assert (channel.attempts, channel.closed) == (3, True)
