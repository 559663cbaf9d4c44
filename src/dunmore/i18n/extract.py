"""The messages Dunmore's code uses, as Babel extracts them: what the catalogs must translate
(`python -m dunmore.i18n.extract [web|cli|errors|framework]` prints them as a .pot; all of them
without an area).

- web: the web application's templates and Python (`_`, `gettext`, `ngettext`, `translate`).
- cli: every help text of the command line (read from the commands Typer builds, so docstrings,
  `help=` and texts computed at import are all there) and the messages its modules print (`_`).
- errors: the sentences marked anywhere in `dunmore` with `_m` (errors raised with their values) or
  `N_` (sentences computed in bulk, such as the reasons of import problems).
- framework: click's and Typer's own texts ("Usage:", "Missing argument"…), listed in
  `dunmore.cli.framework`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

PACKAGE = Path(__file__).parent.parent
WEB = PACKAGE / "web"
CLI = PACKAGE / "cli"
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "translate": (2,)}
CLI_KEYWORDS = {"_": None}
ERROR_KEYWORDS = {"_m": None, "N_": None}


def web_messages() -> Catalog:
    """Every message of `dunmore.web` (its templates and Python), with where it is used."""
    catalog = Catalog(domain="web", project="Dunmore")
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    for filename, line, message, comments, _context in extract_from_dir(
        WEB, METHODS, options_map=options, keywords=KEYWORDS
    ):
        catalog.add(message, locations=[(filename, line)], auto_comments=comments)
    return catalog


def _python(folder: Path, keywords: dict[str, None], catalog: Catalog) -> Catalog:
    for filename, line, message, comments, _context in extract_from_dir(
        folder, [("**.py", "python")], keywords=keywords
    ):
        catalog.add(message, locations=[(filename, line)], auto_comments=comments)
    return catalog


def cli_messages() -> Catalog:
    """Every help text of the `dunmore` command (located by command path) and every `_()` message
    of `dunmore.cli`."""
    import typer

    from dunmore.cli.app import app
    from dunmore.cli.language import help_texts

    catalog = Catalog(domain="cli", project="Dunmore")
    for path, msgid in help_texts(typer.main.get_command(app)):
        catalog.add(msgid, locations=[(path, 0)])
    return _python(CLI, CLI_KEYWORDS, catalog)


def framework_messages() -> Catalog:
    """click's and Typer's own texts that the command line says in the reader's language (listed in
    `dunmore.cli.framework`: they are not in Dunmore's source to extract)."""
    from dunmore.cli.framework import msgids

    catalog = Catalog(domain="framework", project="Dunmore")
    for msgid in msgids():
        catalog.add(msgid, locations=[("dunmore/cli/framework.py", 0)])
    return catalog


def error_messages() -> Catalog:
    """Every sentence marked with `_m` or `N_` anywhere in `dunmore`."""
    return _python(PACKAGE, ERROR_KEYWORDS, Catalog(domain="errors", project="Dunmore"))


AREAS = {
    "web": web_messages,
    "cli": cli_messages,
    "errors": error_messages,
    "framework": framework_messages,
}


def all_messages() -> Catalog:
    """The messages of every area in one catalog."""
    merged = Catalog(domain="dunmore", project="Dunmore")
    for extract in AREAS.values():
        for message in extract():
            if message.id:
                merged[message.id] = message
    return merged


if __name__ == "__main__":
    area = sys.argv[1] if len(sys.argv) > 1 else None
    write_po(sys.stdout.buffer, AREAS[area]() if area else all_messages(), omit_header=False, width=110)
