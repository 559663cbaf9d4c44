"""Rendering money frames for people and machines: Rich tables, CSV, JSON, XLSX.

Frames carry integer minor units; rendering turns them into decimal strings (or exact Decimals for
Excel) with the currency's own number of places. Nothing here computes. Text never leaves as a
formula: CSV text is escaped and XLSX text written as strings, by `dunmore.cells`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from dunmore.cells import csv_safe, xlsx_row
from dunmore.domain.money import exponent
from dunmore.domain.money_frames import minor_to_text


def money_columns(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Minor units → exact decimal strings, per row's `currency`."""
    if not columns or frame.is_empty():
        return frame.with_columns(pl.col(columns).cast(pl.String))
    currencies = frame["currency"].unique().to_list()
    return frame.with_columns(minor_to_text(column, "currency", currencies) for column in columns)


def rich_table(
    frame: pl.DataFrame, *, title: str, money: list[str], heading: Callable[[str], str] = str
) -> MoneyTable:
    """The frame as a Rich table; `heading` says each column's name (and each label) to the reader."""
    names = [heading(column) for column in frame.columns]
    rows = [
        [Text("" if value is None else str(value)) for value in row]  # Text: "[link=…]" is no markup
        for row in money_columns(frame, money).iter_rows()
    ]
    return MoneyTable(title, names, [column in money for column in frame.columns], rows)


@dataclass(frozen=True)
class MoneyTable:
    """A table whose amounts are never broken across lines when the width allows: narrower than its
    content, the text columns fold first and each amount stays whole on its line; only when the
    amounts alone do not fit do they fold too (onto more lines, never losing a digit or a column)."""

    title: str
    names: list[str]
    money: list[bool]
    rows: list[list[Text]]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = [
            max([cell_len(name), *(cell_len(row[n].plain) for row in self.rows)])
            for n, name in enumerate(self.names)
        ]
        # each column: its content, a space either side and a border; each text column at least 3 wide
        amounts = sum(width + 3 for width, money in zip(widths, self.money, strict=True) if money)
        whole = amounts + 6 * self.money.count(False) + 1 <= options.max_width
        table = Table(title=self.title, title_justify="left")
        for name, money in zip(self.names, self.money, strict=True):
            if money:
                # folded, a heading may fold too: kept whole it pushed the last columns off the edge
                least = cell_len(name) if whole else None
                table.add_column(name, justify="right", overflow="fold", no_wrap=whole, min_width=least)
            else:
                table.add_column(name, overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        yield table


def to_csv(frame: pl.DataFrame, *, money: list[str]) -> str:
    buffer = io.StringIO()
    csv_safe(money_columns(frame, money), numbers=money).write_csv(buffer)
    return buffer.getvalue()


def to_json_records(frame: pl.DataFrame, *, money: list[str]) -> list[dict[str, object]]:
    return money_columns(frame, money).to_dicts()


def to_json(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str)


def write_xlsx(path: Path, sheets: dict[str, pl.DataFrame], *, money: list[str]) -> None:
    """One sheet per frame; money as exact numbers formatted with the currency's places."""
    from openpyxl import Workbook  # only here: it costs every command 0.15 s to import

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, frame in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(xlsx_row(sheet, frame.columns))
        for row in frame.iter_rows(named=True):
            places = exponent(row["currency"])
            cells = [Decimal(v).scaleb(-places) if c in money else v for c, v in row.items()]
            sheet.append(xlsx_row(sheet, cells))
            number_format = "#,##0" + ("." + "0" * places if places else "")
            for cell in sheet[sheet.max_row]:
                if frame.columns[cell.column - 1] in money:
                    cell.number_format = number_format
    workbook.save(path)


def rich_buckets_table(
    totals: pl.DataFrame, *, title: str, labels: list[str], heading: Callable[[str], str] = str
) -> Table:
    """Totals per currency transposed: one row per bucket, one column per currency (fits 80 columns)."""
    table = Table(title=title, title_justify="left")
    table.add_column(heading("bucket"))
    currencies = totals["currency"].to_list()
    for currency in currencies:
        table.add_column(currency, justify="right", overflow="fold")
    text = money_columns(totals, [*labels, "total"])
    for label in [*labels, "total"]:
        table.add_row(heading(label), *text[label].to_list(), end_section=label == labels[-1])
    return table
