"""The web catalog is whole in zh-CN, zh-TW and en, and the check that says so can fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from dunmore import i18n
from dunmore.i18n.check import check_web, duplicates, placeholders, problems
from dunmore.i18n.extract import web_messages


def test_every_message_of_the_web_is_translated_in_every_language_with_the_same_placeholders() -> None:
    assert check_web() == []


def test_the_web_uses_messages_at_all() -> None:
    ids = {m.id for m in web_messages() if m.id}
    assert "Sign in" in ids
    assert "Aging (%(currency)s)" in ids


def _catalog(entries: dict[str, str]) -> Catalog:
    catalog = Catalog(locale="zh_Hans_CN")
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr)
    return catalog


def test_the_check_names_a_message_without_translation() -> None:
    used = _catalog({"Sign in": "", "Customers": ""})
    found = problems(used, _catalog({"Sign in": "登录"}), "zh-CN")
    assert len(found) == 1
    assert "'Customers' has no translation" in found[0]


def test_the_check_names_an_empty_translation() -> None:
    found = problems(_catalog({"Customers": ""}), _catalog({"Customers": ""}), "zh-TW")
    assert found
    assert "zh-TW: 'Customers' has no translation" in found[0]


def test_the_check_names_a_translation_whose_placeholders_differ() -> None:
    used = _catalog({"As of %(date)s": ""})
    found = problems(used, _catalog({"As of %(date)s": "截至 %(day)s"}), "zh-CN")
    assert len(found) == 1
    assert "['day']" in found[0]
    assert "['date']" in found[0]


def test_plural_messages_need_every_form() -> None:
    used = Catalog(locale="en")
    used.add(("%(num)s notice", "%(num)s notices"), ("", ""))
    translated = Catalog(locale="en")
    translated.add(("%(num)s notice", "%(num)s notices"), ("%(num)s notice", ""))
    assert problems(used, translated, "en")


def test_placeholders_are_named_ones() -> None:
    assert placeholders("%(low)s–%(high)s days, {count}") == {"low", "high", "count"}


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-TW,zh;q=0.9,en;q=0.8", "zh-TW"),
        ("zh-HK", "zh-TW"),
        ("zh-Hant-TW", "zh-TW"),
        ("zh-CN,zh;q=0.9", "zh-CN"),
        ("zh", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR,zh-TW;q=0.5,en;q=0.7", "en"),
        ("fr-FR,de;q=0.5", None),
        ("en;q=0,zh-TW;q=0.1", "zh-TW"),
        ("", None),
    ],
)
def test_accept_language_picks_the_first_language_dunmore_speaks(header: str, language: str | None) -> None:
    assert i18n.from_accept_language(header) == language


def test_the_choice_falls_back_to_simplified_chinese() -> None:
    assert i18n.choose([None, "fr", None]) == "zh-CN"
    assert i18n.choose([None, "en", "zh-TW"]) == "en"


def _write_po(path: Path, entries: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = _catalog(entries)
    with path.open("wb") as file:
        write_po(file, catalog)


def test_a_language_is_every_po_file_of_its_folder_and_a_message_belongs_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    _write_po(folder / "web.po", {"Sign in": "登录"})
    _write_po(folder / "runs.po", {"Approve": "批准", "Sign in": "登入"})
    i18n.catalog.cache_clear()
    try:
        merged = i18n.catalog("zh-CN")
        assert merged.get("Approve") is not None
        assert merged.get("Sign in") is not None
        found = duplicates("zh-CN")
    finally:
        i18n.catalog.cache_clear()
    assert found == ["zh-CN: 'Sign in' is in both runs.po and web.po: keep one"]
