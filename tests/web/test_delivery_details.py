"""The deliveries pages in the reader's language (issue 11): on 2026-03-16 E002's mailbox refuses its
e-mail for good and the guard defers the others to the debtor's contact hours; the manager `boss`
(zh-CN) reads the refusal labelled as the mail server's own words, and the deferral in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from dunmore.delivery.models import DELIVERY_EVENTS
from dunmore.store.db import transaction
from tests.web.conftest import make_app, sign_in
from tests.web.test_operations_pages import Ids, outbox_day

WINDOW = "22:30 in Asia/Shanghai is outside 08:00-21:00"  # as the guard writes it (guard._window)


@pytest.fixture
def day(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Ids]]:
    ids = outbox_day(engine, tmp_path)
    with transaction(engine) as conn:  # the guard's own sentence, as a worker would have stored it
        deferred = DELIVERY_EVENTS.c.outcome == "deferred"
        conn.execute(
            update(DELIVERY_EVENTS).where(deferred).values(detail=f"{WINDOW}; until 2026-03-16 00:00 UTC")
        )
    with TestClient(make_app(engine)) as client:
        yield client, ids


def test_a_refusal_is_the_mail_servers_message_and_a_deferral_is_said_in_chinese(
    day: tuple[TestClient, Ids],
) -> None:
    client, ids = day
    sign_in(client, "boss")  # zh-CN
    refused = client.get(f"/deliveries/{ids['E002', 'CNY', 'email']}").text
    assert '<span class="said-by">邮件服务器的消息：</span> 550 5.1.1 mailbox unavailable' in refused
    listed = client.get("/deliveries").text
    assert "邮件服务器的消息：" in listed
    deferred = next(
        id for key, id in ids.items() if key not in {("E001", "CNY", "email"), ("E001", "CNY", "sms"),
                                                    ("E002", "CNY", "email"), ("W001", "CNY", "email")}
    )  # fmt: skip
    page = client.get(f"/deliveries/{deferred}").text
    assert "不在债务人的可联系时段内" in page  # the reason code, said
    assert "Asia/Shanghai 当地时间 22:30 不在 08:00-21:00 之内；推迟到 2026-03-16 00:00 UTC" in page
    assert "contact_window" not in page
    assert "said-by" not in page.split('id="events"')[1]  # no gateway spoke on a deferral
