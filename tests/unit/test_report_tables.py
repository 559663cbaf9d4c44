"""The command line's money tables (`reports.render.rich_table`) at the widths terminals have: an
amount is never broken across lines while the amounts fit side by side (the text columns fold
first), and no column or digit is ever cut off, however narrow."""

from __future__ import annotations

import polars as pl
import pytest
from rich.cells import cell_len
from rich.console import Console

from dunmore.reports.render import rich_table

MONEY = ["open", "interest", "fee"]
FRAME = pl.DataFrame(
    {
        "id": [1, 2],
        "customer": ["C000001", "C000002"],
        "step": ["first-overdue", "final-notice"],
        "currency": ["CNY", "CNY"],
        "open": [1_190_893_189, 694_787],
        "interest": [10_306_670, 0],
        "fee": [0, 5_000],
    }
)
AMOUNTS = ["11908931.89", "6947.87", "103066.70", "0.00", "0.00", "50.00"]  # open, interest, fee


def _shown(width: int) -> list[str]:
    console = Console(record=True, width=width)
    console.print(rich_table(FRAME, title="run", money=MONEY))
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [62, 70, 120])
def test_an_amount_stays_whole_on_its_line_while_the_amounts_fit(width: int) -> None:
    lines = _shown(width)
    text = "\n".join(lines)
    assert all(amount in text for amount in AMOUNTS), text
    assert all(cell_len(line) <= width for line in lines)
    if width < 78:  # too narrow for every column whole (78): a text column folded, not an amount
        assert "first-overdue" not in text


@pytest.mark.parametrize("width", [40, 50])
def test_too_narrow_for_the_amounts_every_column_and_digit_is_still_there(width: int) -> None:
    lines = _shown(width)
    top = next(line for line in lines if line.startswith("┏"))
    assert top.endswith("┓"), "the last column was cut off"
    assert top.count("┳") == len(FRAME.columns) - 1, "a column was dropped"
    digits = "".join(char for line in lines if line.startswith("│") for char in line if char.isdigit())
    cells = ["1", "2", "C000001", "C000002", *AMOUNTS]
    assert sorted(digits) == sorted(char for cell in cells for char in cell if char.isdigit())
