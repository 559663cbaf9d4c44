"""Cells a spreadsheet cannot run: the one place every CSV and XLSX writer (and the CSV reader) goes
through, against CSV/Excel formula injection.

A customer name such as `=HYPERLINK("http://evil.example","x")` or `=cmd|' /C calc'!A0` must reach
the person who opens an export as the text it is, never as a formula.

- **XLSX**: every text cell is written with the string data type, so no value is ever a formula;
  the cell holds exactly the text, with nothing added.
- **CSV** has no types: a spreadsheet decides from the first character. As OWASP recommends, a text
  cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe.
  To keep the escaping reversible, a text that already starts with an apostrophe gets one more.
  The CSV reader removes exactly one leading apostrophe when the next character is one of those
  (or an apostrophe), so an exported file imports to the same ledger. Numbers (amounts, also
  negative ones) are not text and are written as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_ESCAPED = "[" + "".join(("=", r"\+", r"\-", "@", r"\t", r"\r", QUOTE)) + "]"


def escape_text(text: str) -> str:
    """A text as a CSV cell: `'` before a formula start or a leading apostrophe, else unchanged."""
    return QUOTE + text if text.startswith((*FORMULA_STARTS, QUOTE)) else text


def unescape_text(text: str) -> str:
    """Undo `escape_text`: drop the one apostrophe it added; any other text is unchanged."""
    return text[1:] if text.startswith(QUOTE) and text[1:].startswith((*FORMULA_STARTS, QUOTE)) else text


def escaped(column: str) -> pl.Expr:
    """`escape_text` over a String column."""
    value = pl.col(column)
    return pl.when(value.str.contains(f"^{_ESCAPED}")).then(QUOTE + value).otherwise(value).alias(column)


def unescaped(column: str) -> pl.Expr:
    """`unescape_text` over a String column."""
    value = pl.col(column)
    return (
        pl.when(value.str.contains(f"^{QUOTE}{_ESCAPED}"))
        .then(value.str.slice(1))
        .otherwise(value)
        .alias(column)
    )


def csv_safe(frame: pl.DataFrame, *, numbers: Iterable[str] = ()) -> pl.DataFrame:
    """Escape every String column of `frame` for CSV, except `numbers` (decimal text of amounts)."""
    skip = set(numbers)
    text = [name for name, kind in frame.schema.items() if kind == pl.String and name not in skip]
    return frame.with_columns(escaped(name) for name in text)


def xlsx_row(sheet: Any, values: Sequence[object]) -> list[object]:
    """A row for `sheet.append`: every str as a string cell (never a formula), other values as given."""
    from openpyxl.cell import WriteOnlyCell  # only where Excel files are written

    row: list[object] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl makes a text that starts with "=" a formula
            row.append(cell)
        else:
            row.append(value)
    return row
