"""The print file joins the stored letters as they are, each starting on a new sheet."""

from __future__ import annotations

import io
from dataclasses import replace

from pypdf import PdfReader

from dunmore.delivery.letter import print_letter
from dunmore.delivery.print_file import print_file
from dunmore.delivery.render import Templates
from dunmore.delivery.samples import sample_view


def letter(reference: str, language: str = "en") -> bytes:
    view = replace(sample_view("en" if language == "en" else "zh-CN"), reference=reference)
    return print_letter(Templates().render("final-notice", view).letter)


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def test_letters_are_joined_in_order_exactly_as_stored() -> None:
    letters = [letter("DN-000101"), letter("DN-000102", "zh-CN"), letter("DN-000103")]
    counts = [len(pages(pdf)) for pdf in letters]
    joined = pages(print_file(letters, duplex=False))
    assert len(joined) == sum(counts)
    firsts = [joined[sum(counts[:i])] for i in range(3)]
    assert ["DN-000101" in firsts[0], "DN-000102" in firsts[1], "DN-000103" in firsts[2]] == [True] * 3


def test_for_duplex_every_letter_starts_on_a_new_sheet() -> None:
    letters = [letter("DN-000201"), letter("DN-000202")]
    counts = [len(pages(pdf)) for pdf in letters]
    joined = pages(print_file(letters, duplex=True))
    padded = [count + count % 2 for count in counts]
    assert len(joined) == sum(padded)
    assert "DN-000202" in joined[padded[0]]
    if counts[0] % 2:
        assert joined[counts[0]].strip() == ""  # the blank back of the first letter's last sheet
