"""The catalogs of every text a person reads, and choosing the reader's language.

Catalogs are gettext `.po` files in `locales/{zh_Hans,zh_Hant,en}/LC_MESSAGES/`, read with Babel
(`read_po`) and compiled in memory: no compile step, no `.mo` file to forget. A language's catalog
is every `.po` file of its folder merged (one file per area of the product: `web.po`, `runs.po`, …), so
that work on two areas never edits the same file; the check refuses a message translated twice.
Messages are written in English (the msgid) with named placeholders, `_("%(count)s customers",
count=n)`; the English catalog translates them too, so that a missing text is a test failure, not a
silent fallback.

Babel costs a command-line start-up about 0.1 s (its import and the parse), so the command line and
errors read a language through `gettext_for`: the standard library's gettext over a `.mo` compiled
once per change of the `.po` files and kept in the user's cache folder (`cache_folder`), keyed by the
files' names, sizes and times. Nothing of Babel is imported at start-up, and a fresh clone needs no
build step: the first use compiles.
"""

from __future__ import annotations

import gettext
import os
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Babel loads when a catalog is parsed or compiled, not for a command's start-up
    from babel import Locale
    from babel.messages.catalog import Catalog
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
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        return read_po(file, locale=BABEL_LOCALES[language], domain=path.stem)


@cache
def catalog(language: str) -> Catalog:
    """Every `.po` file of `language` (one of LANGUAGES) merged into one catalog."""
    from babel.messages.catalog import Catalog

    merged = Catalog(locale=BABEL_LOCALES[language], domain=WEB, project="Dunmore")
    for path in catalog_files(language):
        for message in read_catalog(path, language):
            if message.id:
                merged[message.id] = message
    return merged


@cache
def translations(language: str) -> Translations:
    """The catalog as gettext translations (compiled in memory)."""
    from babel.support import Translations

    return Translations(fp=BytesIO(compiled(language)), domain=WEB)


def compiled(language: str) -> bytes:
    """The merged catalog of `language` as the bytes of a `.mo` file."""
    from babel.messages.mofile import write_mo

    buffer = BytesIO()
    write_mo(buffer, catalog(language))
    return buffer.getvalue()


def locale(language: str) -> Locale:
    """Babel's locale for formatting numbers, money and dates in `language`."""
    from babel import Locale

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


def from_environment(environ: Mapping[str, str]) -> str:
    """The command line's language when no user names one: `DUNMORE_LANG` (zh-CN, zh-TW or en), else
    the locale of the terminal, read as POSIX does (`LC_ALL`, then `LC_MESSAGES`, then `LANG`):
    zh_TW, zh_HK, zh_MO and zh_Hant are zh-TW, any other zh_* is zh-CN, anything else is en."""
    for name in ("DUNMORE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip()
        if value:
            tag = value.split(".")[0].split("@")[0]
            return _match(tag) or "en"
    return "en"


def cache_folder(environ: Mapping[str, str]) -> Path:
    """Where compiled catalogs are kept: `$DUNMORE_CACHE_DIR`, else `$XDG_CACHE_HOME/dunmore`, else
    `~/.cache/dunmore`."""
    if chosen := environ.get("DUNMORE_CACHE_DIR"):
        return Path(chosen)
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dunmore"


def _fingerprint(language: str) -> str:
    """What the compiled `.mo` of `language` depends on: each `.po` file's name, size and time."""
    files = catalog_files(language)
    stats = [(path.name, path.stat().st_size, path.stat().st_mtime_ns) for path in files]
    return f"{zlib.crc32(repr((str(LOCALES), stats)).encode()):08x}"  # zlib: no hashlib at start-up


@cache
def gettext_for(language: str) -> gettext.GNUTranslations:
    """`language`'s catalog read by the standard library from a cached `.mo` (compiled with Babel
    when the `.po` files changed since, or when the cache folder cannot be written: then in memory)."""
    cached = cache_folder(os.environ) / "i18n" / f"{FOLDERS[language]}-{_fingerprint(language)}.mo"
    try:
        data = cached.read_bytes()
    except OSError:
        data = compiled(language)
        keep(cached, data)
    return gettext.GNUTranslations(BytesIO(data))


def keep(path: Path, data: bytes) -> None:
    """Write a cached file (a compiled catalog, a kept help page) whole or not at all; a cache that
    cannot be written is only slower."""
    import tempfile  # only when compiling: it imports `random`, a start-up cost

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as file:
            file.write(data)
        os.replace(file.name, path)
    except OSError:
        return


def translate(language: str, message: str, /, **values: Any) -> str:
    """`message` (an English msgid with named placeholders) in `language`, filled with `values`.

    A value that is itself a `Text` is said in the same language."""
    text = gettext_for(language).gettext(message)
    if not values:
        return text
    return text % {name: _said(value, language) for name, value in values.items()}


def _said(value: Any, language: str) -> Any:
    return value.render(language) if isinstance(value, Text) else value


@dataclass(frozen=True)
class Text:
    """A sentence to be said in the reader's language: an English msgid with named placeholders and
    their values. `str()` is the English (what logs, tests and `str(exc)` see, without any catalog);
    `render(language)` translates it, at the edge that knows the reader."""

    msgid: str
    values: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        if not self.values:
            return self.msgid
        return self.msgid % {
            name: str(value) if isinstance(value, Text) else value for name, value in self.values
        }

    def render(self, language: str) -> str:
        return translate(language, self.msgid, **dict(self.values))


def _m(msgid: str, **values: Any) -> Text:
    """Mark a sentence for the catalog (extracted from every module of dunmore) and keep its values:
    `raise NotFound(_m("no customer %(code)s", code=code))`."""
    return Text(msgid, tuple(values.items()))


def N_(msgid: str) -> str:
    """Mark an English msgid for the catalog without translating it here: sentences computed in bulk
    (the reasons of import problems, built by Polars) are said in the reader's language at the edge
    by `translate_english`."""
    return msgid


# A msgid with less wording than this around its placeholders ("%(count)s failed", "Level %(level)s")
# would fit too many sentences that are none of Dunmore's (a mail server's "Authentication failed").
_LEAST_WORDING = 12


@cache
def _patterns(language: str) -> list[tuple[re.Pattern[str], str, int]]:
    """Every msgid of the catalog with placeholders, as a pattern that reads its values back, and
    how many characters of wording it has around them."""
    found: list[tuple[re.Pattern[str], str, int]] = []
    for msgid in gettext_for(language)._catalog:  # type: ignore[attr-defined]  # the parsed .mo
        if not isinstance(msgid, str) or "%(" not in msgid:
            continue
        pieces = re.split(r"%\((\w+)\)[sd]", msgid)
        seen: set[str] = set()
        regex = ""
        for index, piece in enumerate(pieces):
            if index % 2 == 0:
                regex += re.escape(piece)
            else:  # a placeholder used twice holds the same value twice
                regex += f"(?P={piece})" if piece in seen else f"(?P<{piece}>.+?)"
                seen.add(piece)
        wording = len(re.sub(r"%\(\w+\)[sd]", "", msgid).strip())
        if wording >= _LEAST_WORDING:
            found.append((re.compile(regex + r"\Z", re.DOTALL), msgid, wording))
    return found


def translate_english(language: str, english: str) -> str:
    """An English sentence built from a marked msgid (`N_`), said in `language`: the msgid itself,
    or the msgid whose pattern it fits, with its values (themselves said in `language` when they are
    sentences of the catalog). A sentence of no msgid stays English."""
    if not english:
        return english
    exact = gettext_for(language).gettext(english)
    if exact != english or language == "en":
        return exact
    return translate_known(language, english) or english


def translate_known(language: str, english: str) -> str | None:
    """`english` in `language` when it is a sentence of the catalog (a msgid, or built from one with
    its values), else None: words of no msgid — a mail server's reply — are none of Dunmore's."""
    best = _reading(language, english)
    return None if best is None else best[1]


def _reading(language: str, english: str) -> tuple[int, str] | None:
    """The best reading of `english` against the catalog: (how much of it the catalog's wording
    explains, its translation), or None. A sentence built from sentences fits several msgids (the
    deferral "%(detail)s; until %(until)s UTC" around "%(local)s in %(zone)s is outside …" fits
    both); the reading that explains the most of it, its values' wording included, is the one meant."""
    if not english:
        return None
    catalog = gettext_for(language)
    if english in catalog._catalog:  # type: ignore[attr-defined]  # the parsed .mo
        return len(english), catalog.gettext(english)
    best: tuple[int, str] | None = None
    for pattern, msgid, wording in _patterns(language):
        if match := pattern.match(english):
            explained, values = wording, {}
            for name, value in match.groupdict().items():
                inner = _reading(language, value)
                explained += inner[0] if inner else 0
                values[name] = inner[1] if inner else value
            if best is None or explained > best[0]:
                best = (explained, translate(language, msgid, **values))
    return best


def forget() -> None:
    """Drop every catalog read so far, so the next use reads the `.po` files again (for tests that
    point LOCALES elsewhere)."""
    for cached in (catalog, translations, gettext_for, _patterns):
        cached.cache_clear()
