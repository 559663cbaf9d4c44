"""Printed letters in every notice language: real Chinese text in an embedded Noto CJK font, the
recipient's address inside the envelope window, the totals printed, a print file of many letters.

The letters are typeset by Typst (`layouts/letter.typ`, `dunmore.delivery.typst_letter`); WeasyPrint
still prints a letter Typst cannot (a layout or body of the user's own) and the other HTML documents,
so its refusal of tofu is tested here too.

The PDFs are read back with poppler (`pdffonts`, `pdftotext -bbox`, `pdftoppm`), which `./dev`
installs. Why text extraction alone is not enough: WeasyPrint maps a character that no font can draw
to an empty box (a .notdef glyph, "tofu") but still writes its Unicode value, so `pdftotext` returns
the right text for a letter that prints boxes (see `test_pdftotext_alone_cannot_see_tofu`). Real
glyphs are proven by `print_letter` refusing any character the letter's font has no glyph for (and
`render_pdf` any .notdef glyph), by the embedded fonts being exactly the Noto CJK faces the layout
names (a font-family without them would embed a Latin fallback font, or
on a machine without fonts-noto-cjk, tofu) and by dark pixels where the text's bounding boxes are.
"""

from __future__ import annotations

import ctypes.util
import logging
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import pytest
from PIL import Image

from dunmore.delivery.letter import Letter, print_letter, render_pdf
from dunmore.delivery.print_file import print_file
from dunmore.delivery.render import Templates
from dunmore.delivery.samples import sample_view
from dunmore.delivery.view import LANGUAGES, Language, NoticeView
from dunmore.errors import DeliveryError

MM = 72 / 25.4  # PDF points per millimetre
DPI = 60
# Steps printed as letters: final-notice has the letter channel in examples/dunning.yaml; the others
# show that any step's body fits the letter layout (no fee and no deadline on overdue-2's view, no
# charges at all on a reminder).
STEPS = ("final-notice", "overdue-2", "reminder-due")
FONTS: dict[Language, set[str]] = {  # as Typst names them: PostScript name and CMap
    "zh-CN": {"NotoSansCJKsc-Regular-Identity-H", "NotoSansCJKsc-Bold-Identity-H"},
    "zh-TW": {"NotoSansCJKtc-Regular-Identity-H", "NotoSansCJKtc-Bold-Identity-H"},
    "en": {"NotoSansCJKsc-Regular-Identity-H", "NotoSansCJKsc-Bold-Identity-H"},
}
CREDITOR = {"zh-CN": "上海明远精密机械有限公司", "zh-TW": "台灣宏達精密工業股份有限公司", "en": "Mingyuan"}
DEBTOR = {"zh-CN": "杭州瑞丰贸易有限公司", "zh-TW": "高雄長興實業有限公司", "en": "Northwind"}
DATE = {"zh-CN": "2026年11月23日", "zh-TW": "2026年11月23日", "en": "23 November 2026"}
FOOTER = {"zh-CN": r"第1页/共(\d+)页", "zh-TW": r"第1頁/共(\d+)頁", "en": r"Page1of(\d+)"}  # spaces removed
TOTAL_DUE = {"zh-CN": "应付总额", "zh-TW": "應付總額", "en": "Total due"}


class Word(NamedTuple):
    text: str
    x0: float  # points from the page's left edge
    y0: float  # points from the page's top edge
    x1: float
    y1: float


class Printed(NamedTuple):
    pdf: Path
    png: Path  # first page at DPI
    text: str
    words: list[Word]  # first page
    warnings: list[str]  # WeasyPrint's log while rendering


def view_for(language: Language, step: str) -> NoticeView:
    if step == "reminder-due":
        return sample_view(language, step="due-today", kind="reminder", level=None)
    if step == "overdue-2":
        return sample_view(language, step="second-overdue", level=2, deadline_days=None)
    return sample_view(language, step=step)


def run(*command: str | Path) -> str:
    # poppler writes UTF-8 whatever the locale; text=True alone would decode with the locale's encoding
    return subprocess.run([str(c) for c in command], check=True, capture_output=True, encoding="utf-8").stdout


def words(pdf: Path) -> list[Word]:
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        run("pdftotext", "-bbox", "-f", "1", "-l", "1", pdf, "-"),
    )
    return [Word(text, float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1, text in found]


def print_to(letter: Letter, path: Path) -> Printed:
    collect = _Collect()
    logging.getLogger("weasyprint").addHandler(collect)
    try:
        path.write_bytes(print_letter(letter))
    finally:
        logging.getLogger("weasyprint").removeHandler(collect)
    run("pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile", path, path.with_suffix(""))
    return Printed(path, path.with_suffix(".png"), run("pdftotext", path, "-"), words(path), collect.messages)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


@pytest.fixture(scope="module")
def printed(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[Language, str], Printed]:
    """Every language and step printed once for the whole module."""
    folder = tmp_path_factory.mktemp("letters")
    return {
        (language, step): print_to(
            templates.render(step, view_for(language, step)).letter, folder / f"{step}-{language}.pdf"
        )
        for language in LANGUAGES
        for step in STEPS
    }


def dark_pixels(png: Path, box_mm: tuple[float, float, float, float]) -> int:
    """How many pixels darker than mid-grey lie in a box given in millimetres from the top left."""
    left, top, right, bottom = (round(v * DPI / 25.4) for v in box_mm)
    with Image.open(png) as image:
        region = image.convert("L").crop((left, top, right, bottom))
        return sum(region.histogram()[:128])


def find(words: list[Word], phrase: str) -> Word:
    """Where a phrase of one or more words is printed first on the page: the box around its words."""
    size = len(phrase.split())
    for start in range(len(words) - size + 1):
        run_ = words[start : start + size]
        if " ".join(word.text for word in run_) == phrase:
            return Word(phrase, run_[0].x0, min(w.y0 for w in run_), run_[-1].x1, max(w.y1 for w in run_))
    raise AssertionError(f"{phrase!r} is not on the first page: {[w.text for w in words]}")


def in_mm(word: Word) -> tuple[float, float, float, float]:
    return (word.x0 / MM, word.y0 / MM, word.x1 / MM, word.y1 / MM)


CASES = [(language, step) for language in LANGUAGES for step in STEPS]


def test_harfbuzz_subset_is_installed() -> None:
    # Without it WeasyPrint subsets the CJK fonts with fontTools: some 20 s per letter instead of 0.3 s.
    assert ctypes.util.find_library("harfbuzz-subset"), "install Debian's libharfbuzz-subset0 (./dev does)"


@pytest.mark.parametrize(("language", "step"), CASES)
def test_embeds_only_the_noto_cjk_faces_of_the_language(
    printed: dict[tuple[Language, str], Printed], language: Language, step: str
) -> None:
    rows = run("pdffonts", printed[language, step].pdf).splitlines()[2:]
    fonts = {row.split()[0].split("+", 1)[1] for row in rows}
    embedded = {row.split()[-5] for row in rows}
    assert fonts == FONTS[language]
    assert embedded == {"yes"}


@pytest.mark.parametrize(("language", "step"), CASES)
def test_chinese_comes_back_as_text(
    printed: dict[tuple[Language, str], Printed], language: Language, step: str
) -> None:
    page = printed[language, step]
    for expected in (CREDITOR[language], DEBTOR[language], DATE[language], "DN-000042"):
        assert expected in page.text
    footer = re.search(FOOTER[language], "".join(word.text for word in page.words))
    assert footer, "the page number is in the footer of the first page"
    assert int(footer.group(1)) == pages(page.pdf)
    assert page.warnings == []


@pytest.mark.parametrize(("language", "step"), CASES)
def test_recipient_address_sits_in_the_envelope_window(
    printed: dict[tuple[Language, str], Printed], language: Language, step: str
) -> None:
    # DIN 5008 form B window of C5, C6/5 and DL envelopes: 20 to 105 mm across, 45 to 90 mm down.
    page = printed[language, step]
    view = view_for(language, step)
    for word in (find(page.words, view.debtor.name), find(page.words, view.contact.name)):
        left, top, right, bottom = in_mm(word)
        assert left >= 20, word
        assert right <= 105, word
        assert top >= 50, word
        assert bottom <= 90, word


@pytest.mark.parametrize(("language", "step"), CASES)
def test_text_areas_are_printed(
    printed: dict[tuple[Language, str], Printed], language: Language, step: str
) -> None:
    page = printed[language, step]
    total_due = in_mm(find(page.words, TOTAL_DUE[language]))
    areas = {
        "letterhead": (25, 15, 190, 45),
        "address window": (20, 50, 105, 90),
        "information block": (125, 50, 190, 90),
        "body": (25, 98, 190, 150),
        "totals": total_due,
    }
    printed_areas = {name: dark_pixels(page.png, box) for name, box in areas.items()}
    assert all(count >= 30 for count in printed_areas.values()), printed_areas
    # The envelope shows nothing but the address: the strip between window and information block is empty.
    assert dark_pixels(page.png, (106, 50, 124, 90)) == 0
    with Image.open(page.png) as image:
        histogram = image.convert("L").histogram()
        mean = sum(value * count for value, count in enumerate(histogram)) / sum(histogram)
        assert mean > 200, "the page is mostly white"


@pytest.mark.parametrize(("language", "step"), CASES)
def test_letters_are_typeset_by_typst(
    printed: dict[tuple[Language, str], Printed], language: Language, step: str
) -> None:
    # what the other tests here check is Typst's print: no step of the default set falls back
    assert re.search(r"^Creator:\s+Typst ", run("pdfinfo", printed[language, step].pdf), re.MULTILINE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_letter_with_a_character_no_font_can_draw_is_refused(
    templates: Templates, language: Language
) -> None:
    view = sample_view(language)
    view = replace(view, debtor=replace(view.debtor, name=view.debtor.name + "\U000f0001"))
    letter = templates.render("final-notice", view).letter
    assert letter.data  # typeset by Typst, which would draw an empty box without a word
    with pytest.raises(DeliveryError, match="no installed font can draw"):
        print_letter(letter)


def test_a_notice_rendered_without_a_letter_is_refused_not_printed_blank(templates: Templates) -> None:
    letter = templates.render("overdue-1", sample_view("zh-CN"), letter=False).letter
    assert (letter.html, letter.data) == ("", "")
    with pytest.raises(DeliveryError, match="no letter to print"):
        print_letter(letter)
    with pytest.raises(DeliveryError, match="no letter to print"):
        print_letter(Letter(" \n"))


def test_a_character_no_font_can_draw_is_refused() -> None:
    with pytest.raises(DeliveryError, match="no installed font can draw"):
        render_pdf('<p lang="zh-CN">上海 \U000f0001</p>')


def test_missing_glyphs_are_refused_even_when_weasyprint_is_silenced() -> None:
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with pytest.raises(DeliveryError):
            render_pdf("<p>\U000f0001</p>")
    finally:
        logger.setLevel(level)
    assert logger.level == level


def test_pdftotext_alone_cannot_see_tofu(tmp_path: Path) -> None:
    from weasyprint import HTML

    pdf = tmp_path / "tofu.pdf"
    pdf.write_bytes(HTML(string="<p>\U000f0001</p>").write_pdf())
    assert "\U000f0001" in run("pdftotext", pdf, "-")  # printed as an empty box, yet extracted as text


def test_print_file_keeps_each_letter_text_and_fonts(
    printed: dict[tuple[Language, str], Printed], templates: Templates, tmp_path: Path
) -> None:
    references = ["DN-000101", "DN-000102", "DN-000103"]
    letters = [
        print_letter(
            templates.render("final-notice", replace(sample_view(language), reference=reference)).letter
        )
        for language, reference in zip(LANGUAGES, references, strict=True)
    ]
    joined = tmp_path / "print.pdf"
    joined.write_bytes(print_file(letters, duplex=True))

    lengths = [pages(printed[language, "final-notice"].pdf) for language in LANGUAGES]
    assert pages(joined) == sum(n + n % 2 for n in lengths)  # a blank back after each odd letter
    firsts = [1 + sum(n + n % 2 for n in lengths[:i]) for i in range(len(lengths))]
    for first, reference, language, n in zip(firsts, references, LANGUAGES, lengths, strict=True):
        text = run("pdftotext", "-f", str(first), "-l", str(first), joined, "-")
        assert reference in text
        assert CREDITOR[language] in text
        if n % 2:
            blank = str(first + n)
            assert run("pdftotext", "-f", blank, "-l", blank, joined, "-").strip() == ""
    rows = run("pdffonts", joined).splitlines()[2:]
    assert {row.split()[0].split("+", 1)[1] for row in rows} == FONTS["zh-CN"] | FONTS["zh-TW"]


def pages(pdf: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", run("pdfinfo", pdf), re.MULTILINE)
    assert match
    return int(match.group(1))
