"""Exporting the ledger in exactly the import format, so that a round trip gives the same ledger.

`export_ledger` writes `customers`, `invoices`, `credit_notes` and `payments` files (CSV or XLSX)
with the English import headers. Amounts are decimal text with the currency's exact places;
`open_amount` is the ERP snapshot stored at import (empty when none was given), not the derived
open amount, which the ledger recomputes on import. Rows come in id order, so importing the files
into an empty database (customers, invoices, credit notes, payments) gives the same ledger.
No text leaves as a formula: `dunmore.cells` escapes CSV text and writes XLSX text as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Connection

from dunmore.cells import csv_safe, xlsx_row
from dunmore.domain.money_frames import minor_to_text
from dunmore.errors import InputFileError
from dunmore.i18n import _m
from dunmore.imports import repository
from dunmore.imports.columns import Kind
from dunmore.imports.fields import FIELDS, Field, dtype

FORMATS = ("csv", "xlsx")
EXPORT_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
FILE_NAMES = {
    Kind.CUSTOMERS: "customers",
    Kind.INVOICES: "invoices",
    Kind.CREDIT_NOTES: "credit_notes",
    Kind.PAYMENTS: "payments",
}
XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, less the header


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """One written file and how many rows it holds."""

    kind: Kind
    path: Path
    rows: int


def export_ledger(
    conn: Connection, directory: Path, *, file_format: str = "csv", encoding: str = "utf-8"
) -> list[ExportedFile]:
    """Write one file per kind into `directory` (created if needed), in the order they import."""
    if file_format not in FORMATS:
        raise InputFileError(_m("unknown format %(format)s: use csv or xlsx", format=repr(file_format)))
    if encoding not in EXPORT_ENCODINGS:
        raise InputFileError(
            _m(
                "unknown encoding %(encoding)s: use one of %(known)s",
                encoding=repr(encoding),
                known=", ".join(EXPORT_ENCODINGS),
            )
        )
    frames = {kind: export_frame(conn, kind) for kind in FILE_NAMES}
    too_big = [
        kind for kind, frame in frames.items() if file_format == "xlsx" and frame.height > XLSX_MAX_ROWS
    ]
    if too_big:
        raise InputFileError(
            _m("%(kinds)s: more rows than an Excel sheet holds; export as csv", kinds=", ".join(too_big))
        )
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, frame in frames.items():
        path = directory / f"{FILE_NAMES[kind]}.{file_format}"
        if file_format == "csv":
            path.write_bytes(csv_bytes(csv_safe(frame, numbers=_amounts(kind)), encoding))
        else:
            write_xlsx(frame, path, title=FILE_NAMES[kind])
        written.append(ExportedFile(kind, path, frame.height))
    return written


def export_frame(conn: Connection, kind: Kind) -> pl.DataFrame:
    """The stored rows of one kind as the text columns of its import file, in id order.

    Fee and interest items are left out: the run charged them, and an import refuses them.
    """
    stored = repository.stored_rows(conn, kind)
    if kind is Kind.INVOICES:
        stored = stored.filter(pl.col("kind") == "invoice")
    customers = repository.customer_ids(conn) if kind is not Kind.CUSTOMERS else None
    settles = kind in (Kind.PAYMENTS, Kind.CREDIT_NOTES)
    invoices = repository.invoice_facts(conn, ids=stored.get_column("invoice_id")) if settles else None
    return as_file_columns(stored, kind, customers, invoices)


def as_file_columns(
    stored: pl.DataFrame, kind: Kind, customers: pl.DataFrame | None, invoices: pl.DataFrame | None
) -> pl.DataFrame:
    """Turn stored rows (named as import targets) back into the text an import file holds."""
    if stored.is_empty():  # `minor_to_text` cannot type an empty mapping of currencies
        return pl.DataFrame(schema=dict.fromkeys((field.column for field in FIELDS[kind]), pl.String))
    frame = stored.sort("id")
    if customers is not None:
        names = customers.select(customer_id="id", customer_ref="external_id")
        frame = frame.join(names, on="customer_id", how="left", maintain_order="left")
    if invoices is not None:
        names = invoices.select(invoice_id="id", invoice_ref="external_id")
        frame = frame.join(names, on="invoice_id", how="left", maintain_order="left")
    currency = "credit_currency" if kind is Kind.CUSTOMERS else "currency"
    currencies = frame.get_column(currency).drop_nulls().unique().to_list()
    return frame.select(_as_text(field, currency, currencies).alias(field.column) for field in FIELDS[kind])


def _as_text(field: Field, currency: str, currencies: list[str]) -> pl.Expr:
    value = pl.col(field.target)
    if field.target.endswith("_minor"):
        return minor_to_text(field.target, currency, currencies)
    if dtype(field.target) == pl.Date:
        return value.dt.to_string("%Y-%m-%d")
    return value


def _amounts(kind: Kind) -> list[str]:
    """The columns of decimal amounts: numbers, which a spreadsheet must read as numbers."""
    return [field.column for field in FIELDS[kind] if field.target.endswith("_minor")]


def csv_bytes(frame: pl.DataFrame, encoding: str) -> bytes:
    """The frame as CSV in the given encoding (`utf-8-sig` adds the byte-order mark Excel looks for)."""
    text = frame.write_csv()
    if encoding == "gb18030":
        return text.encode("gb18030")
    return text.encode("utf-8-sig" if encoding == "utf-8-sig" else "utf-8")


def write_xlsx(frame: pl.DataFrame, path: Path, *, title: str = "Sheet1") -> None:
    """One sheet, header on row 1, every cell as text so amounts and ids stay exact."""
    import openpyxl  # a heavy import, needed only for Excel files

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(xlsx_row(sheet, frame.columns))
    for row in frame.iter_rows():
        sheet.append(xlsx_row(sheet, row))
    book.save(path)
