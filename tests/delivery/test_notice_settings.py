"""What the settings put on a stored notice as it goes out: the portal link only once a portal is
set, and the sender's department in the debtor's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.delivery.notice_view import load_notices
from dunmore.delivery.render import Message, Templates
from dunmore.delivery.view import LANGUAGES, Language
from dunmore.settings import Settings, load_settings
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


SIGNATORIES = {"zh-CN": "应收账款部", "zh-TW": "應收帳款部", "en": "Accounts Receivable"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_notice_is_signed_by_the_department_in_its_own_language(
    sqlite_engine: Engine, tmp_path: Path, language: Language
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor(language=language)], channels="email, letter")
    message = rendered(sqlite_engine, settings())
    for part in (message.text, message.html, message.letter_html):
        assert SIGNATORIES[language] in part
        if language != "en":
            assert "Accounts Receivable" not in part


def test_the_signatory_is_set_per_language_or_once_for_all(sqlite_engine: Engine, tmp_path: Path) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor(language="zh-TW")])
    per_language = settings(creditor={"signatory": {"zh-TW": "財務部 應收帳款組", "en": "Credit Control"}})
    assert "財務部 應收帳款組" in rendered(sqlite_engine, per_language).text
    assert per_language.creditor.signatory_in("zh-CN") == "应收账款部"
    assert per_language.creditor.signatory_in("en") == "Credit Control"
    once = settings(creditor={"signatory": "财务部"})
    assert [once.creditor.signatory_in(language) for language in LANGUAGES] == ["财务部"] * 3


def test_the_signatory_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNMORE_CREDITOR__SIGNATORY__ZH_CN", "财务部 应收账款组")
    assert load_settings().creditor.signatory_in("zh-CN") == "财务部 应收账款组"
    monkeypatch.delenv("DUNMORE_CREDITOR__SIGNATORY__ZH_CN")
    monkeypatch.setenv("DUNMORE_CREDITOR__SIGNATORY", "Finance Department")
    assert load_settings().creditor.signatory_in("zh-TW") == "Finance Department"


def test_a_preview_in_another_language_is_signed_in_that_language(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor(language="zh-CN")])
    preview = ["--db", str(sqlite_engine.url), "notice", "preview", "1", "--lang"]
    for language in LANGUAGES:
        shown = CliRunner().invoke(app, [*preview, language])
        assert shown.exit_code == 0, shown.output
        assert SIGNATORIES[language] in shown.output
