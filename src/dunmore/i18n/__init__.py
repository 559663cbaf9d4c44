"""The catalogs of every text a person reads, and choosing the reader's language.

Catalogs are gettext `.po` files in `locales/{zh_Hans,zh_Hant,en}/LC_MESSAGES/`, read at start-up with
Babel (`read_po`) and compiled in memory: no compile step, no `.mo` file to forget. A language's catalog
is every `.po` file of its folder merged (one file per area of the product: `web.po`, `runs.po`, …), so
that work on two areas never edits the same file; the check refuses a message translated twice.
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


def catalog_folder(language: str) -> Path:
    return LOCALES / FOLDERS[language] / "LC_MESSAGES"


def catalog_path(language: str, area: str = WEB) -> Path:
    """The `.po` file of one area of the product in `language`."""
    return catalog_folder(language) / f"{area}.po"


def catalog_files(language: str) -> list[Path]:
    return sorted(catalog_folder(language).glob("*.po"))


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=BABEL_LOCALES[language], domain=path.stem)


@cache
def catalog(language: str) -> Catalog:
    """Every `.po` file of `language` (one of LANGUAGES) merged into one catalog."""
    merged = Catalog(locale=BABEL_LOCALES[language], domain=WEB, project="Dunmore")
    for path in catalog_files(language):
        for message in read_catalog(path, language):
            if message.id:
                merged[message.id] = message
    return merged


@cache
def translations(language: str) -> Translations:
    """The catalog as gettext translations (compiled in memory)."""
    buffer = BytesIO()
    write_mo(buffer, catalog(language))
    buffer.seek(0)
    return Translations(fp=buffer, domain=WEB)


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
