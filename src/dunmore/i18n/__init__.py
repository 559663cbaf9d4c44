"""The catalogs of every text a person reads, and choosing the reader's language.

Catalogs are gettext `.po` files in `locales/{zh_Hans,zh_Hant,en}/LC_MESSAGES/<domain>.po`, read at
start-up with Babel (`read_po`) and compiled in memory: no compile step, no `.mo` file to forget.
Messages are written in English (the msgid) with named placeholders, `_("%(count)s customers",
count=n)`; the English catalog translates them too, so that a missing text is a test failure, not a
silent fallback.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh-CN", "zh-TW", "en")  # as users, customers and notices name them
DEFAULT_LANGUAGE = "zh-CN"
FOLDERS = {"zh-CN": "zh_Hans", "zh-TW": "zh_Hant", "en": "en"}
BABEL_LOCALES = {"zh-CN": "zh_Hans_CN", "zh-TW": "zh_Hant_TW", "en": "en"}
WEB = "web"


def catalog_path(language: str, domain: str = WEB) -> Path:
    return LOCALES / FOLDERS[language] / "LC_MESSAGES" / f"{domain}.po"


@cache
def catalog(language: str, domain: str = WEB) -> Catalog:
    """The `.po` catalog of `language` (one of LANGUAGES)."""
    with catalog_path(language, domain).open("rb") as file:
        return read_po(file, locale=BABEL_LOCALES[language], domain=domain)


@cache
def translations(language: str, domain: str = WEB) -> Translations:
    """The catalog as gettext translations (compiled in memory)."""
    buffer = BytesIO()
    write_mo(buffer, catalog(language, domain))
    buffer.seek(0)
    return Translations(fp=buffer, domain=domain)


def locale(language: str) -> Locale:
    """Babel's locale for formatting numbers, money and dates in `language`."""
    return Locale.parse(BABEL_LOCALES[language])


def _match(tag: str) -> str | None:
    """The language of LANGUAGES a browser's tag asks for: zh, zh-CN, zh-SG, zh-Hans → zh-CN;
    zh-TW, zh-HK, zh-MO, zh-Hant → zh-TW; en-* → en."""
    parts = tag.strip().lower().replace("_", "-").split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    traditional = {"tw", "hk", "mo", "hant"}
    return "zh-TW" if traditional & set(parts[1:]) else "zh-CN"


def from_accept_language(header: str | None) -> str | None:
    """The first of LANGUAGES the `Accept-Language` header prefers (by its q-values), or None."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = _match(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def choose(preferences: Iterable[str | None]) -> str:
    """The first preference that is one of LANGUAGES, else the default (zh-CN)."""
    return next((p for p in preferences if p in LANGUAGES), DEFAULT_LANGUAGE)
