"""The catalog check: every message the code uses — the web's, the command line's help and messages,
the errors and import problems — is translated in every language, with the same named placeholders.
`python -m dunmore.i18n.check` prints the problems and exits 1 when there are any."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

from babel.messages.catalog import Catalog, Message

from dunmore import i18n
from dunmore.i18n.extract import AREAS, all_messages, web_messages

# Ours are `%(name)s`; click's and Typer's are `{name}`, `{name!r}` or `{}` (filled with `.format`).
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)(?:![rsa])?\}")


def placeholders(text: str) -> frozenset[str]:
    return frozenset(a or b for a, b in PLACEHOLDER.findall(text))


def _texts(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (str(message.id),)


def _translations(message: Message) -> tuple[str, ...]:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return tuple(str(s or "") for s in strings)


def _fits(said: frozenset[str], forms: list[frozenset[str]]) -> bool:
    """A translation names the message's placeholders. A plural form may leave out what only another
    form names (click: "Did you mean {possibility}?" / "…one of: {possibilities}?"), never what all
    of them name."""
    if len(forms) == 1:
        return said == forms[0]
    return frozenset.intersection(*forms) <= said <= frozenset().union(*forms)


def problems(used: Iterable[Message], catalog: Catalog, language: str) -> list[str]:
    """What is wrong with `catalog` (in `language`) for the messages `used`: one sentence each."""
    found: list[str] = []
    for message in used:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        first = _texts(message)[0]
        if translated is None or not all(_translations(translated)) or translated.fuzzy:
            found.append(
                f"{language}: {first!r} has no translation: "
                f"add it to a .po file of {i18n.catalog_folder(language)}"
            )
            continue
        forms = [placeholders(text) for text in _texts(message)]
        wanted = frozenset().union(*forms)
        for text in _translations(translated):
            if not _fits(placeholders(text), forms):
                found.append(
                    f"{language}: the translation {text!r} of {first!r} has placeholders "
                    f"{sorted(placeholders(text))}, the message {sorted(wanted)}: use the same names"
                )
    return found


def duplicates(language: str) -> list[str]:
    """Messages translated in more than one `.po` file of `language`: each belongs in one."""
    seen: dict[str, str] = {}
    found: list[str] = []
    for path in i18n.catalog_files(language):
        for message in i18n.read_catalog(path, language):
            if not message.id:
                continue
            first = _texts(message)[0]
            if first in seen:
                found.append(f"{language}: {first!r} is in both {seen[first]} and {path.name}: keep one")
            seen[first] = path.name
    return found


def _check(used: Iterable[Message]) -> list[str]:
    messages = list(used)
    return [
        p
        for language in i18n.LANGUAGES
        for p in duplicates(language) + problems(messages, i18n.catalog(language), language)
    ]


def check_web() -> list[str]:
    return _check(web_messages())


def check_area(area: str) -> list[str]:
    """The problems of one area's messages (web, cli or errors: see `dunmore.i18n.extract`)."""
    return _check(AREAS[area]())


def check_all() -> list[str]:
    """The problems of every message Dunmore uses: what CI runs."""
    return _check(all_messages())


if __name__ == "__main__":
    found = check_all()
    for problem in found:
        print(problem)
    sys.exit(1 if found else 0)
