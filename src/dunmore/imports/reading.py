"""Reading an import file (CSV or XLSX) into text: one String column per header cell, plus `line`.

CSV encodings are detected by themselves: a byte-order mark means UTF-8 with BOM, bytes that are
valid UTF-8 mean UTF-8; anything else is what Excel writes on a Chinese Windows, GB18030 (simplified)
or Big5 (traditional), told apart by `charset-normalizer`: the reading with clearly less "chaos"
(unlikely characters and scripts) wins, and a file that reads equally well both ways is refused
with both readings shown, rather than imported as the wrong characters.
XLSX cells become text the way a person would type them: dates as ISO dates, numbers as the
shortest decimal that reads back as the same number (the `repr` of the float; whole numbers
without `.0`). Cells are trimmed and empty cells are null; rows with no value at all are dropped.
`line` is the line in the file (CSV, counting line breaks inside quoted cells) or the sheet row
(XLSX), the header being line 1.

A CSV cell loses the one apostrophe that an export put before a leading `=`, `+`, `-`, `@`, tab,
carriage return or apostrophe (see `dunmore.cells`), so an exported file imports as it was.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from dunmore.cells import unescaped
from dunmore.errors import InputFileError
from dunmore.i18n import Text, _m

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "gb18030", "big5")
# Python codecs of the legacy encodings, by charset-normalizer's name. Big5 is read as cp950, the
# Big5 of Windows (it adds e.g. 碁, as in 宏碁): what Excel writes on a Traditional Chinese Windows.
_LEGACY = {"gb18030": "gb18030", "cp950": "big5"}
_CODECS = {"gb18030": "gb18030", "big5": "cp950"}
# Two readings whose chaos differs by less than this are a tie: the bytes alone cannot tell.
_TIE = 0.01
_HOW = _m(
    'name its encoding with --encoding utf-8|utf-8-sig|gb18030|big5, or save it in Excel as "CSV UTF-8"'
)
_BOM = b"\xef\xbb\xbf"
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
LINE = "line"


@dataclass(frozen=True, slots=True)
class RawTable:
    """A file's rows as text. `frame` has columns `c0`, `c1`, … (by header position) and `line`."""

    headers: list[str]
    frame: pl.DataFrame
    encoding: str
    blank_rows: int


def column_name(position: int) -> str:
    return f"c{position}"


def read_table(path: Path, *, encoding: str = "auto", sheet: str | None = None) -> RawTable:
    """Read a CSV or XLSX file as text; raises `InputFileError` when it cannot be read at all."""
    if encoding not in ENCODINGS:
        raise InputFileError(
            _m(
                "unknown encoding %(encoding)s: use one of %(known)s",
                encoding=repr(encoding),
                known=", ".join(ENCODINGS),
            )
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(
            _m("cannot read %(path)s: %(why)s", path=str(path), why=str(exc.strerror or exc))
        ) from exc
    if path.suffix.lower() == ".xls":
        raise InputFileError(
            _m("%(name)s is an old Excel .xls file: save it as .xlsx or .csv", name=path.name)
        )
    if path.suffix.lower() in _XLSX_SUFFIXES or data.startswith(_ZIP_MAGIC):
        return read_xlsx(data, sheet=sheet, name=path.name)
    if sheet is not None:
        raise InputFileError(
            _m("--sheet applies to .xlsx files only, and %(name)s is a CSV file", name=path.name)
        )
    return read_csv(data, encoding=encoding, name=path.name)


# --- CSV -------------------------------------------------------------------------------------------


def decode(data: bytes, encoding: str = "auto", *, name: str = "the file") -> tuple[bytes, str]:
    """The file's bytes as UTF-8 without BOM, and the encoding they were read in."""
    if encoding == "auto":
        return _detect(data, name)
    if encoding in ("utf-8", "utf-8-sig"):
        body = data.removeprefix(_BOM) if encoding == "utf-8-sig" else data
        _decode_or_fail(body, "utf-8", name)
        return body, encoding
    return _decode_or_fail(data, _CODECS[encoding], name).encode("utf-8"), encoding


def _decode_or_fail(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        shown = {"cp950": "Big5"}.get(encoding, encoding.upper())
        raise InputFileError(
            _m(
                "%(name)s is not valid %(encoding)s (bad byte at offset %(offset)s): save it as UTF-8, or "
                "name its encoding with --encoding utf-8|utf-8-sig|gb18030|big5",
                name=name,
                encoding=shown,
                offset=exc.start,
            )
        ) from exc


def _detect(data: bytes, name: str) -> tuple[bytes, str]:
    if data.startswith(_BOM):
        body = data[len(_BOM) :]
        _decode_or_fail(body, "utf-8", name)
        return body, "utf-8-sig"
    if data.isascii():
        return data, "utf-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _detect_chinese(data, name)
    return data, "utf-8"


def _detect_chinese(data: bytes, name: str) -> tuple[bytes, str]:
    """GB18030 or Big5, whichever reading charset-normalizer finds clearly more plausible."""
    import charset_normalizer  # needed only for files that are not UTF-8

    matches = charset_normalizer.from_bytes(data, cp_isolation=list(_LEGACY))
    readings = sorted((match for match in matches if match.encoding in _LEGACY), key=lambda m: m.chaos)
    if not readings:
        raise InputFileError(
            _m(
                "cannot tell the encoding of %(name)s: tried UTF-8, UTF-8 with BOM, GB18030 and Big5, and "
                "it is none of them; %(how)s",
                name=name,
                how=_HOW,
            )
        )
    if len(readings) > 1 and readings[1].chaos - readings[0].chaos < _TIE:
        raise InputFileError(_unsure(data, name))
    used = _LEGACY[readings[0].encoding]
    return _decode_or_fail(data, _CODECS[used], name).encode("utf-8"), used


def _unsure(data: bytes, name: str) -> Text:
    """Say what the file reads as in each encoding, so that a person can tell which is right."""
    samples = {used: _first_chinese(data.decode(codec, errors="replace")) for used, codec in _CODECS.items()}
    return _m(
        "cannot tell whether %(name)s is GB18030 (simplified Chinese Windows) or Big5 (traditional): "
        "as GB18030 it reads %(gb18030)s, as Big5 %(big5)s; %(how)s",
        name=name,
        gb18030=repr(samples["gb18030"]),
        big5=repr(samples["big5"]),
        how=_HOW,
    )


def _first_chinese(text: str) -> str:
    line = next((line for line in text.splitlines() if not line.isascii()), "")
    return line.strip()[:40]


def read_csv(data: bytes, *, encoding: str = "auto", name: str = "the file") -> RawTable:
    """Read CSV bytes in any supported encoding; every cell as text."""
    body, used = decode(data, encoding, name=name)
    if not body.strip():
        raise InputFileError(_m("%(name)s is empty: the first line must be the header", name=name))
    frame = _parse_csv(body, name)
    headers = [value or "" for value in frame.row(0)[:-1]]
    names = [column_name(i) for i in range(len(headers))]
    frame = frame.rename(dict(zip(frame.columns[:-1], names, strict=True)))
    if b'"' in body:
        frame = _physical_lines(frame, names)
    table = _finish(headers, frame.slice(1), used)
    return RawTable(headers, table.frame.with_columns(map(unescaped, names)), used, table.blank_rows)


def _parse_csv(body: bytes, name: str) -> pl.DataFrame:
    try:
        frame = pl.read_csv(
            body, has_header=False, infer_schema=False, row_index_name=LINE, row_index_offset=1
        )
    except pl.exceptions.PolarsError as exc:
        raise InputFileError(_csv_failure(body, name, exc)) from exc
    return frame.select(pl.exclude(LINE), pl.col(LINE).cast(pl.Int64))


def _csv_failure(body: bytes, name: str, exc: Exception) -> str:
    """Explain a CSV that Polars refused, naming the first row wider than the header if any."""
    reader = csv.reader(io.StringIO(body.decode("utf-8", errors="replace")))
    width = None
    for row in reader:
        if width is None:
            width = len(row)
        elif len(row) > width:
            return (
                f"{name}, line {reader.line_num}: {len(row)} cells but the header has {width}; "
                "quote cells that contain commas"
            )
    return f"cannot read {name} as CSV: {str(exc).splitlines()[0]}"


def _physical_lines(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Count line breaks inside quoted cells, so that `line` is the line a text editor shows."""
    breaks = pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in names)
    span = (breaks + 1).cast(pl.Int64)
    return frame.with_columns((span.cum_sum() - span + 1).alias(LINE))


# --- XLSX ------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """An Excel cell as the text a person would have typed."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_xlsx(data: bytes, *, sheet: str | None = None, name: str = "the file") -> RawTable:
    """Read the first sheet (or `sheet`) of an XLSX workbook; the header is row 1."""
    import openpyxl  # a heavy import, needed only for Excel files

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputFileError(
            _m("cannot open %(name)s as an Excel workbook: %(why)s", name=name, why=str(exc))
        ) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputFileError(
                _m(
                    "%(name)s has no sheet %(sheet)s; its sheets are: %(sheets)s",
                    name=name,
                    sheet=repr(sheet),
                    sheets=", ".join(book.sheetnames),
                )
            )
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        return _sheet_table(worksheet.iter_rows(values_only=True), name)
    finally:
        book.close()


def _sheet_table(rows: Iterator[tuple[Any, ...]], name: str) -> RawTable:
    header = next(rows, None)
    if header is None or all(cell is None for cell in header):
        raise InputFileError(
            _m("%(name)s: row 1 of the sheet must be the header, and it is empty", name=name)
        )
    headers = [cell_text(cell) or "" for cell in header]
    columns: list[list[str | None]] = [[] for _ in headers]
    for row in rows:
        for position, values in enumerate(columns):
            values.append(cell_text(row[position]) if position < len(row) else None)
    data = {column_name(i): values for i, values in enumerate(columns)}
    frame = pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))
    frame = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(LINE))
    return _finish(headers, frame, "xlsx")


# --- both --------------------------------------------------------------------------------------------


def _finish(headers: list[str], frame: pl.DataFrame, encoding: str) -> RawTable:
    """Trim every cell, make empty cells null, drop rows that hold nothing."""
    names = [column_name(i) for i in range(len(headers))]
    trimmed = pl.col(names).str.strip_chars()
    frame = frame.with_columns(pl.when(trimmed != "").then(trimmed))
    kept = frame.filter(~pl.all_horizontal(pl.col(names).is_null()))
    return RawTable(headers, kept, encoding, frame.height - kept.height)


def take_columns(frame: pl.DataFrame, columns: Iterable[tuple[int, str]]) -> pl.DataFrame:
    """Rename the positional columns to the spec's names, keeping `line`."""
    return frame.select(*(pl.col(column_name(i)).alias(name) for i, name in columns), LINE)
