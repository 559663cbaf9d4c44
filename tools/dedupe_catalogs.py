"""Remove from one area's .po files the messages another area's file already translates.

Used when two pieces of work added the same message to their own catalogs:
`python tools/dedupe_catalogs.py runs` keeps every other file's entry and drops runs.po's copy.
"""

from __future__ import annotations

import sys

from babel.messages.pofile import write_po

from dunmore import i18n


def dedupe(area: str) -> int:
    dropped = 0
    for language in i18n.LANGUAGES:
        others = {
            message.id
            for path in i18n.catalog_files(language)
            if path.stem != area
            for message in i18n.read_catalog(path, language)
            if message.id
        }
        path = i18n.catalog_path(language, area)
        catalog = i18n.read_catalog(path, language)
        for message in list(catalog):
            if message.id and message.id in others:
                del catalog[message.id]
                dropped += 1
        with path.open("wb") as file:
            write_po(file, catalog, width=110)
    return dropped


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: {dedupe(name)} duplicate translations dropped")
