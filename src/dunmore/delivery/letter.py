"""Printed letters: a notice's letter turned into an A4 PDF.

A notice's letter (`Letter`, from `Message.letter`) is printed by Typst from `layouts/letter.typ` and
the notice's data (`dunmore.delivery.typst_letter`): ≈30 ms of CPU a letter. A letter Typst cannot
print as its HTML would look (an override folder's own letter layout, or a body with HTML outside
the subset of `dunmore.delivery.letter_body`) is printed from its HTML by WeasyPrint, as every
letter was before, at ≈0.23 s of CPU; so are the other documents printed from HTML (statements,
timeline exports) through `render_pdf`.

For WeasyPrint: the HTML comes from `dunmore.delivery.render` (a step's body inside
`layouts/letter.html.jinja`); its stylesheet `layouts/letter.css` is found next to the layout.
Fonts are the Noto CJK faces of Debian's fonts-noto-cjk, embedded as subsets, so a letter prints
the same on any machine. A letter in which a character has no glyph in any installed font would
print an empty box ("tofu"): it is refused with a `DeliveryError` rather than sent to print.

WeasyPrint takes about a second to import, so it is imported inside the functions: importing this
module stays cheap for the CLI and the API. It needs the system library HarfBuzz-Subset
(libharfbuzz-subset0) to subset the large CJK fonts quickly; without it each letter takes some twenty
seconds and WeasyPrint warns on import.

A run's letters are joined, as stored, into one print file by `dunmore.delivery.print_file`.

Many letters are printed in a pool of processes (`LetterPrinter`), each of which keeps its own
Typst compiler with the fonts loaded (and imports WeasyPrint only for a letter that needs it).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from dunmore.errors import DeliveryError
from dunmore.i18n import _m

__all__ = ["LAYOUTS", "Letter", "LetterPrinter", "print_letter", "render_pdf"]

LAYOUTS: Final = Path(__file__).parent / "templates" / "default" / "layouts"
_NOTDEF: Final = ".notdef glyph rendered"  # WeasyPrint's warning for a character no font can draw


@dataclass(frozen=True, slots=True)
class Letter:
    """One notice's letter: its HTML document (previews; printed by WeasyPrint when `data` is "")
    and the data `layouts/letter.typ` prints (JSON)."""

    html: str
    data: str = ""


def print_letter(letter: Letter) -> bytes:
    """The A4 PDF of one letter: by Typst when it has its data, else by WeasyPrint from its HTML. A
    letter with neither (its notice was rendered without one) is refused: printed, it would be a
    blank sheet sent to the debtor."""
    if not letter.data and not letter.html.strip():
        raise DeliveryError(
            _m("no letter to print: the template folder has no letter layout (layouts/letter.html.jinja)")
        )
    if letter.data:
        from dunmore.delivery.typst_letter import compile_letter

        return compile_letter(letter.data)
    return render_pdf(letter.html)


def render_pdf(letter_html: str) -> bytes:
    """The A4 PDF of one letter, its fonts embedded."""
    from weasyprint import HTML

    with _refuse_missing_glyphs():
        pdf: bytes = HTML(string=letter_html, base_url=str(LAYOUTS)).write_pdf()
    return pdf


class LetterPrinter:
    """Prints letters to PDF, in `processes` processes when more than one (a context manager: the
    processes start at the first letters and end with it). Letters come back in the order given;
    a letter refused (`DeliveryError`) raises as `print_letter` would."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def print_all(self, letters: Sequence[Letter]) -> list[bytes]:
        if self.processes <= 1 or len(letters) < 2:
            return [print_letter(letter) for letter in letters]
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # no copy of the caller's connections
            self._pool = ProcessPoolExecutor(self.processes, mp_context=context, initializer=_warm_up)
        # Typst letters take milliseconds: sent in chunks, not one round trip each
        chunk = max(1, min(16, len(letters) // (self.processes * 4)))
        return list(self._pool.map(print_letter, letters, chunksize=chunk))


def _warm_up() -> None:
    """Load Typst's fonts in a new process (each face once), before its first letter."""
    from dunmore.delivery.render import Templates
    from dunmore.delivery.samples import sample_view

    templates = Templates()
    for language in ("zh-CN", "zh-TW"):
        print_letter(templates.render("final-notice", sample_view(language)).letter)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _refuse_missing_glyphs() -> Iterator[None]:
    """Raise `DeliveryError` if WeasyPrint drew a .notdef box for any character (glyphs are drawn
    while the PDF is written, so this wraps the writing). The warnings still reach WeasyPrint's log,
    which is opened to warnings meanwhile if the application silenced it: the check must not be."""
    collect = _Collect()
    logger = logging.getLogger("weasyprint")
    level = logger.level
    if not logger.isEnabledFor(logging.WARNING):
        logger.setLevel(logging.WARNING)
    logger.addHandler(collect)
    try:
        yield
    finally:
        logger.removeHandler(collect)
        logger.setLevel(level)
    missing = [message for message in collect.messages if message.startswith(_NOTDEF)]
    if missing:
        raise DeliveryError(
            _m(
                "the letter has %(count)s character(s) that no installed font can draw, first: "
                "%(first)s (are Debian's fonts-noto-cjk installed?)",
                count=len(missing),
                first=missing[0],
            )
        )
