"""Printed letters: a notice's letter HTML turned into an A4 PDF, and a run's letters into one print file.

The HTML comes from `dunmore.delivery.render` (a step's body inside `layouts/letter.html.jinja`); its
stylesheet `layouts/letter.css` is found next to the layout. Fonts are the Noto CJK faces of Debian's
fonts-noto-cjk, embedded as subsets, so a letter prints the same on any machine. A letter in which a
character has no glyph in any installed font would print an empty box ("tofu"): it is refused with a
`DeliveryError` rather than sent to print.

WeasyPrint takes about a second to import, so it is imported inside the functions: importing this
module stays cheap for the CLI and the API. It needs the system library HarfBuzz-Subset
(libharfbuzz-subset0) to subset the large CJK fonts quickly; without it each letter takes some twenty
seconds and WeasyPrint warns on import.

The print file is for duplex printing by default: every letter starts on the front of a new sheet, so
a letter with an odd number of pages is followed by a blank page, and the print shop can print the
whole file duplex and put each letter's sheets in one envelope. `duplex=False` joins the letters
without blank pages, for simplex printing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

from dunmore.errors import DeliveryError

if TYPE_CHECKING:
    from weasyprint.document import Document, Page
    from weasyprint.text.fonts import FontConfiguration

__all__ = ["LAYOUTS", "combine", "render_pdf"]

LAYOUTS: Final = Path(__file__).parent / "templates" / "default" / "layouts"
_BLANK_A4: Final = "<style>@page { size: A4; margin: 0 }</style>"
_NOTDEF: Final = ".notdef glyph rendered"  # WeasyPrint's warning for a character no font can draw


def render_pdf(letter_html: str) -> bytes:
    """The A4 PDF of one letter, its fonts embedded."""
    with _refuse_missing_glyphs():
        pdf: bytes = _render(letter_html).write_pdf()
    return pdf


def combine(letter_htmls: Sequence[str], *, duplex: bool = True) -> bytes:
    """One print file of many letters, in the given order, each letter starting on a new sheet.

    Takes the letters' HTML rather than their PDFs: WeasyPrint can join the pages of documents it laid
    out, while joining finished PDFs would need a PDF reader as another dependency. Each letter is laid
    out once; its page numbers ("Page 1 of 2") count within the letter.
    """
    if not letter_htmls:
        raise ValueError("a print file needs at least one letter")
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # one for all letters: each of its own would keep ~12 MB of font data
    with _refuse_missing_glyphs():
        documents = [_render(html, fonts) for html in letter_htmls]
        blank = _render(_BLANK_A4, fonts).pages[0] if duplex else None
        pages: list[Page] = []
        for document in documents:
            pages.extend(document.pages)
            if blank is not None and len(document.pages) % 2:
                pages.append(blank)
        pdf: bytes = documents[0].copy(pages).write_pdf()
    return pdf


def _render(html: str, fonts: FontConfiguration | None = None) -> Document:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(LAYOUTS)).render(font_config=fonts)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _refuse_missing_glyphs() -> Iterator[None]:
    """Raise `DeliveryError` if WeasyPrint drew a .notdef box for any character (glyphs are drawn
    while the PDF is written, so this wraps the writing). The warnings still reach WeasyPrint's log."""
    collect = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collect)
    try:
        yield
    finally:
        logger.removeHandler(collect)
    missing = [message for message in collect.messages if message.startswith(_NOTDEF)]
    if missing:
        raise DeliveryError(
            f"the letter has {len(missing)} character(s) that no installed font can draw, first: "
            f"{missing[0]} (are Debian's fonts-noto-cjk installed?)"
        )
