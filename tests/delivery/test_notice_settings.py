"""What the settings put on a stored notice as it goes out: the portal link only once a portal is
set, and the sender's department in the debtor's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from dunmore.delivery.notice_view import load_notices
from dunmore.delivery.render import Message, Templates
from dunmore.delivery.view import LANGUAGES, Language
from dunmore.settings import Settings
from tests.delivery.portfolio import Debtor, overdue_portfolio


def settings(**groups: dict[str, Any]) -> Settings:
    """Settings from these values only: neither the environment nor a dunmore.toml is read."""
    return Settings.model_validate(groups)


def rendered(engine: Engine, configured: Settings) -> Message:
    with engine.connect() as conn:
        stored = load_notices(conn, [1], configured)[1]
    return Templates().render(stored.template, stored.view)


def parts(message: Message) -> tuple[str, ...]:
    return (message.subject, message.text, message.html, message.sms, message.letter_html)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_notice_has_no_portal_link_until_a_portal_is_set(
    sqlite_engine: Engine, tmp_path: Path, language: Language
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor(language=language)], channels="email, sms, letter")
    for part in parts(rendered(sqlite_engine, settings())):
        assert "example.invalid" not in part
        assert "/s/DN-000001" not in part

    portal = settings(
        delivery={"portal_url": "https://portal.mingyuan.example.cn/s/{reference}"},
        creditor={"payment_instructions": ["招商银行上海张江支行 1219 0833 4410 001"]},  # the letter's link
    )
    message = rendered(sqlite_engine, portal)
    for part in (message.text, message.html, message.sms, message.letter_html):
        assert "https://portal.mingyuan.example.cn/s/DN-000001" in part
