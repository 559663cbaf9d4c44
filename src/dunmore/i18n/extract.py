"""The messages the web application's code and templates use, as Babel extracts them: what the web
catalog must translate (`python -m dunmore.i18n.extract` prints them as a .pot)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

WEB = Path(__file__).parent.parent / "web"
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "translate": (2,)}


def web_messages() -> Catalog:
    """Every message of `dunmore.web` (its templates and Python), with where it is used."""
    catalog = Catalog(domain="web", project="Dunmore")
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    for filename, line, message, comments, _context in extract_from_dir(
        WEB, METHODS, options_map=options, keywords=KEYWORDS
    ):
        catalog.add(message, locations=[(filename, line)], auto_comments=comments)
    return catalog


if __name__ == "__main__":
    write_po(sys.stdout.buffer, web_messages(), omit_header=False, width=110)
