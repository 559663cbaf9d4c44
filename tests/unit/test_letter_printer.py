"""Letters printed in a pool of processes: the same PDFs, in the same order, as printed one by one,
and a letter no font can draw is refused from the pool as from the caller's own process."""

from __future__ import annotations

import dataclasses

import pytest

from dunmore.delivery.letter import Letter, LetterPrinter, print_letter
from dunmore.delivery.render import Templates
from dunmore.delivery.samples import sample_view
from dunmore.delivery.view import LANGUAGES
from dunmore.errors import DeliveryError


def letters(count: int) -> list[Letter]:
    templates = Templates()
    views = [
        dataclasses.replace(sample_view(LANGUAGES[n % len(LANGUAGES)]), reference=f"DN-{n + 1:06d}")
        for n in range(count)
    ]
    return [templates.render("final-notice", view).letter for view in views]


def test_a_pool_prints_the_same_letters_in_the_same_order_as_one_process() -> None:
    printed = letters(4)
    with LetterPrinter(2) as printer:
        pooled = printer.print_all(printed)
        again = printer.print_all(printed[:2])  # the pool serves batch after batch
    assert pooled == [print_letter(letter) for letter in printed]
    assert again == pooled[:2]
    assert len(set(pooled)) == 4  # each letter its own (its reference differs)


@pytest.mark.parametrize(
    "tofu",
    [
        Letter('<p lang="zh-CN">上海 \U000f0001</p>'),  # printed by WeasyPrint
        dataclasses.replace(letters(1)[0], data=letters(1)[0].data.replace("DN-000001", "DN-\U000f0001")),
    ],
    ids=["weasyprint", "typst"],
)
def test_a_letter_no_font_can_draw_is_refused_from_the_pool(tofu: Letter) -> None:
    with LetterPrinter(2) as printer, pytest.raises(DeliveryError, match="no installed font can draw"):
        printer.print_all([letters(1)[0], tofu])
