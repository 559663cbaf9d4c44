"""Letters typeset by Typst: `layouts/letter.typ` with a notice's data, to an A4 PDF.

The data (`letter_data`) is a JSON document of plain values: the labels live in the layout, every
amount and date is formatted here in the notice's language, and the step's HTML body comes as the
tree of `dunmore.delivery.letter_body`. The layout reads it from `sys.inputs`; nothing a template or
a customer wrote is ever pasted into Typst markup.

One `typst.Compiler` per process (`_compiler`) keeps the Noto CJK faces of Debian's fonts-noto-cjk
loaded and Typst's caches warm: a letter then takes some 10 ms of CPU instead of 0.14 s from
scratch (WeasyPrint: ≈0.23 s). Only those fonts are given to Typst (no system fonts, not Typst's
own), so a letter prints the same on any machine that has them.

Typst draws a character that no font has as an empty box without failing, so each text is checked
against the character map of the face the letter uses (fontTools reads it once per process): a
letter with such a character is refused with a `DeliveryError`, as WeasyPrint's letters are.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from dunmore.delivery import formatting
from dunmore.delivery.letter_body import Node
from dunmore.errors import DeliveryError
from dunmore.i18n import _m

if TYPE_CHECKING:
    import typst

    from dunmore.delivery.view import Language, NoticeView

__all__ = ["FONT_DIR", "LAYOUT", "compile_letter", "letter_data"]

FONT_DIR: Final = Path("/usr/share/fonts/opentype/noto")
LAYOUT: Final = Path(__file__).parent / "templates" / "default" / "layouts" / "letter.typ"
# The face each language prints in (letter.typ chooses the same): its file and number in the file.
_FACES: Final[dict[str, tuple[str, str]]] = {
    "zh-CN": ("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    "zh-TW": ("NotoSansCJK-Regular.ttc", "Noto Sans CJK TC"),
    "en": ("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
}
# Characters that are layout, not glyphs: white space and the break opportunities the layout adds.
_NOT_DRAWN: Final = frozenset("\n\r\t \u00a0\u200b")


def letter_data(view: NoticeView, subject: str, body: list[Node]) -> str:
    """The JSON document `letter.typ` prints: the notice's values, formatted in its language."""
    language = view.language

    def money(value: Any) -> str | None:
        return None if value is None else formatting.money(value, language)

    def date(value: dt.date | None) -> str | None:
        return None if value is None else formatting.long_date(value, language)

    creditor, debtor = view.creditor, view.debtor
    data = {
        "language": language,
        "subject": subject,
        "reference": view.reference,
        "date": date(view.date),
        "portal_link": view.portal_link,
        "contact": view.contact.name,
        "creditor": {
            "name": creditor.name,
            "address": list(creditor.address),
            "phone": creditor.phone,
            "email": creditor.email,
            "signatory": creditor.signatory,
            "payment_instructions": list(creditor.payment_instructions),
        },
        "debtor": {"name": debtor.name, "address": list(debtor.address), "external_id": debtor.external_id},
        "amounts": {
            "total_open": money(view.total_open),
            "interest": money(view.interest_charge),
            "fee": money(view.fee),
            "total_due": money(view.total_due),
            "deadline": date(view.deadline),
        },
        "body": body,
        "printed": view.date.isoformat(),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def compile_letter(data: str) -> bytes:
    """The A4 PDF of one letter from its `letter_data`; `DeliveryError` if a character has no glyph."""
    values = json.loads(data)
    _refuse_missing_glyphs(values["language"], _texts(values))
    printed = dt.date.fromisoformat(values["printed"])
    stamp = dt.datetime(printed.year, printed.month, printed.day, tzinfo=dt.UTC)
    pdf = _compiler().compile(format="pdf", sys_inputs={"data": data}, timestamp=stamp)
    assert isinstance(pdf, bytes)
    return pdf


@cache
def _compiler() -> typst.Compiler:
    import typst

    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONT_DIR)])
    return typst.Compiler(LAYOUT, root=LAYOUT.parent, font_paths=fonts, ignore_system_fonts=True)


@cache
def _drawable(file: str, family: str) -> frozenset[int]:
    """The characters a face has glyphs for (its best character map)."""
    from fontTools.ttLib import TTCollection

    path = FONT_DIR / file
    if not path.exists():
        return frozenset()
    with TTCollection(path, lazy=True) as collection:
        for font in collection.fonts:
            if font["name"].getDebugName(1) == family:
                return frozenset(font.getBestCmap())
    return frozenset()


def _texts(value: object) -> str:
    """Every text the letter prints, joined (keys are names, not printed)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "".join(
            _texts(item) for key, item in value.items() if key not in ("tag", "language", "align", "printed")
        )
    if isinstance(value, list):
        return "".join(_texts(item) for item in value)
    return ""


def _refuse_missing_glyphs(language: Language, text: str) -> None:
    drawable = _drawable(*_FACES[language])
    missing = sorted({c for c in text if c not in _NOT_DRAWN and ord(c) not in drawable})
    if missing:
        first = "U+%04X %r" % (ord(missing[0]), missing[0])  # noqa: UP031 (not a message to translate)
        raise DeliveryError(
            _m(
                "the letter has %(count)s character(s) that no installed font can draw, first: "
                "%(first)s (are Debian's fonts-noto-cjk installed?)",
                count=len(missing),
                first=first,
            )
        )
