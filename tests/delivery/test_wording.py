"""The deliveries pages say Dunmore's own details in the reader's language and a gateway's words as
written, labelled as its message (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from dunmore.delivery import wording
from dunmore.delivery.guard import ContactRules, Situation, judge

NIGHT = datetime(2026, 3, 16, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
RULES = ContactRules(windows={"sms": (time(8), time(21))}, caps={"email": 2}, cap_days=7)


def test_a_deferral_outside_the_contact_hours_is_said_from_its_sentence_and_its_code() -> None:
    verdict = judge(Situation("sms", "Asia/Shanghai"), RULES, NIGHT)
    assert verdict.reason == "contact_window"
    assert verdict.detail == "22:30 in Asia/Shanghai is outside 08:00-21:00"  # stored in English
    said = wording.detail(verdict.detail + "; until 2026-03-17 00:00 UTC", outcome="deferred", channel="sms",
                          language="zh-CN")  # fmt: skip
    assert said == wording.Said(
        None, "Asia/Shanghai 当地时间 22:30 不在 08:00-21:00 之内；推迟到 2026-03-17 00:00 UTC"
    )
    assert wording.reason("contact_window", "zh-TW") == "不在債務人的可聯繫時段內"
    assert wording.reason("contact_window", "en") == "outside the debtor's contact hours"


def test_the_cap_and_the_hold_are_said_in_the_readers_language() -> None:
    sent = (datetime(2026, 3, 12, tzinfo=UTC), datetime(2026, 3, 14, tzinfo=UTC))
    capped = judge(Situation("email", "Asia/Shanghai", recent_sends=sent), RULES, NIGHT)
    assert wording.detail(capped.detail, outcome="deferred", channel="email", language="zh-TW").text == (
        "近 7 天內已發 2 則 email 訊息（上限 2）"
    )
    held = judge(Situation("email", "Asia/Shanghai", on_hold=True), RULES, NIGHT)
    assert wording.reason(held.reason, "zh-CN") == "暂停催收"
    assert wording.detail(held.detail, outcome="cancelled", channel="email", language="zh-CN").text == (
        "客户或通知中的某一项已暂停催收"
    )


@pytest.mark.parametrize(
    ("channel", "language", "label"),
    [
        ("email", "zh-CN", "邮件服务器的消息："),
        ("email", "zh-TW", "郵件伺服器的訊息："),
        ("sms", "zh-CN", "短信网关的消息："),
        ("sms", "en", "Message from the SMS gateway:"),
        ("letter", "zh-TW", "傳送服務的訊息："),
    ],
)
def test_a_gateways_words_are_shown_as_written_and_labelled_as_its_message(
    channel: str, language: str, label: str
) -> None:
    reply = "550 5.1.1 mailbox unavailable"
    assert wording.detail(reply, outcome="permanent", channel=channel, language=language) == wording.Said(
        label, reply
    )


def test_a_short_sentence_of_the_catalog_does_not_take_a_gateways_words_for_dunmores() -> None:
    # "%(count)s failed" is a msgid of the web pages; "Authentication failed" is the server's.
    said = wording.detail("Authentication failed", outcome="transient", channel="email", language="zh-CN")
    assert said == wording.Said("邮件服务器的消息：", "Authentication failed")


def test_dunmores_own_error_on_a_delivery_is_translated_and_a_cancellation_is_never_the_gateways() -> None:
    own = "no SMS gateway is configured: set DUNMORE_SMS__ADAPTER and URL"
    assert wording.detail(own, outcome="transient", channel="sms", language="zh-CN") == wording.Said(
        None, "未配置短信网关：请设置 DUNMORE_SMS__ADAPTER 和 URL"
    )
    old = "outside the contact window"  # written before the sentence was in the catalog
    assert wording.last_error(old, status="cancelled", channel="email", language="zh-CN") == wording.Said(
        None, old
    )
    assert (
        wording.last_error(old, status="dead", channel="email", language="zh-CN").label
        == "邮件服务器的消息："
    )


def test_an_unknown_reason_code_is_shown_as_it_is() -> None:
    assert wording.reason("something_new", "zh-CN") == "something_new"
    assert wording.reason(None, "zh-CN") == ""
