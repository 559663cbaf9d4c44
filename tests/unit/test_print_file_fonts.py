"""A print file holds each font face once: the letters' subsets merged into one program per face,
the pages drawn pixel for pixel as with each letter's own subset. The merge is of WeasyPrint's subsets
(letters printed from their HTML); Typst's are small and renumbered, and stay one per letter."""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops
from pypdf import PdfReader

from dunmore.delivery.letter import render_pdf
from dunmore.delivery.print_file import print_file
from dunmore.delivery.render import Templates
from dunmore.delivery.samples import sample_view
from dunmore.delivery.view import Language

DPI = 60


def letter(language: Language, reference: str, debtor: str | None = None) -> bytes:
    view = replace(sample_view(language), reference=reference)
    if debtor is not None:
        view = replace(view, debtor=replace(view.debtor, name=debtor))
    return render_pdf(Templates().render("final-notice", view).letter_html)


def font_programs(pdf: bytes) -> set[int]:
    """The objects holding an embedded font program, over every page."""
    found = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        fonts = resources.get_object().get("/Font", {})  # a blank back has none
        for font in fonts.values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            found.add(descriptor.get_object().raw_get("/FontFile3").idnum)
    return found


def pngs(pdf: bytes, folder: Path, name: str) -> list[Path]:
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", path, folder / name], check=True, capture_output=True)
    return sorted(folder.glob(f"{name}-*.png"))


def test_the_print_file_holds_each_face_once_and_prints_the_same_pages(tmp_path: Path) -> None:
    letters = [
        letter("zh-CN", "DN-000301"),
        letter("zh-CN", "DN-000302", debtor="廣州鑫龍貿易有限公司"),  # glyphs the first letter lacks
        letter("zh-TW", "DN-000303"),
        letter("en", "DN-000304"),
    ]
    separate = print_file(letters, shared_fonts=False)
    shared = print_file(letters)
    # SC regular and bold (zh-CN and en), TC regular and bold: four programs instead of eight.
    assert len(font_programs(separate)) == 8
    assert len(font_programs(shared)) == 4
    assert len(shared) < len(separate) * 0.6
    before, after = pngs(separate, tmp_path, "separate"), pngs(shared, tmp_path, "shared")
    assert len(before) == len(after) >= 4
    for one, other in zip(before, after, strict=True):
        with Image.open(one) as a, Image.open(other) as b:
            assert ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None, one.name
