"""Reading files: the encodings Excel writes, XLSX cells, and line numbers a person can find."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dunmore.errors import InputFileError
from dunmore.imports.columns import Kind
from dunmore.imports.reading import RawTable, cell_text, read_csv, read_table
from dunmore.imports.service import file_rows

CUSTOMERS = "客户编号,客户名称,邮箱\nC1,上海某某贸易有限公司,ar@example.cn\nC2,臺北範例股份有限公司,\n"


def rows(raw: RawTable, kind: Kind = Kind.CUSTOMERS) -> pl.DataFrame:
    return file_rows(raw, kind)[0]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CUSTOMERS.encode("utf-8"), "utf-8"),
        (CUSTOMERS.encode("utf-8-sig"), "utf-8-sig"),
        (CUSTOMERS.encode("gb18030"), "gb18030"),
        (CUSTOMERS.replace("\n", "\r\n").encode("gb18030"), "gb18030"),
    ],
)
def test_the_same_file_in_each_encoding_reads_the_same_and_the_encoding_is_detected(
    data: bytes, encoding: str
) -> None:
    raw = read_csv(data)
    assert raw.encoding == encoding
    assert_frame_equal(rows(raw), rows(read_csv(CUSTOMERS.encode())))
    assert rows(raw).get_column("name").to_list() == ["上海某某贸易有限公司", "臺北範例股份有限公司"]


def test_a_named_encoding_is_used_as_given() -> None:
    raw = read_csv(CUSTOMERS.encode("gb18030"), encoding="gb18030")
    assert rows(raw).get_column("customer_id").to_list() == ["C1", "C2"]


def test_a_file_in_no_known_encoding_is_refused_naming_what_was_tried() -> None:
    with pytest.raises(InputFileError, match=r"tried UTF-8, UTF-8 with BOM, GB18030 and Big5.*--encoding"):
        read_csv("客户编号,名称\nC1,x\n".encode("gb18030") + b"\xff\xff\n")


TAIWAN = "客戶編號,客戶名稱\nC1,臺灣精密機械股份有限公司\nC2,應收帳款\n"


def test_a_big5_file_is_detected_and_reads_as_traditional_chinese() -> None:
    raw = read_csv(TAIWAN.encode("big5"))
    assert raw.encoding == "big5"
    assert rows(raw).get_column("name").to_list() == ["臺灣精密機械股份有限公司", "應收帳款"]


def test_a_big5_file_with_windows_characters_reads_as_cp950() -> None:
    """碁 (宏碁) is in the Big5 Windows writes, not in the original Big5."""
    raw = read_csv("customer_id,name\nC1,宏碁股份有限公司\nC2,鴻海精密工業\n".encode("cp950"))
    assert (raw.encoding, rows(raw).get_column("name").to_list()) == (
        "big5",
        ["宏碁股份有限公司", "鴻海精密工業"],
    )


def test_the_traditional_names_of_a_gb18030_file_stay_gb18030() -> None:
    raw = read_csv(TAIWAN.replace("客戶編號,客戶名稱", "客户编号,客户名称").encode("gb18030"))
    assert raw.encoding == "gb18030"
    assert rows(raw).get_column("name").to_list() == ["臺灣精密機械股份有限公司", "應收帳款"]


def test_a_file_that_reads_as_well_in_gb18030_as_in_big5_is_refused_showing_both_readings() -> None:
    with pytest.raises(InputFileError) as refused:
        read_csv("customer_id,name\nC1,王小明\n".encode("gb18030"))
    message = str(refused.value)
    assert "cannot tell whether the file is GB18030" in message
    assert "as GB18030 it reads 'C1,王小明'" in message
    assert "--encoding utf-8|utf-8-sig|gb18030|big5" in message


def test_big5_named_with_encoding_is_read_as_big5() -> None:
    raw = read_csv("customer_id,name\nC1,王小明\n".encode("big5"), encoding="big5")
    assert (raw.encoding, rows(raw).get_column("name").to_list()) == ("big5", ["王小明"])


def test_a_wrong_named_encoding_is_refused_with_the_offset() -> None:
    with pytest.raises(InputFileError, match=r"not valid UTF-8 \(bad byte at offset 0\)"):
        read_csv(CUSTOMERS.encode("gb18030"), encoding="utf-8")


def test_lines_count_the_header_blank_lines_and_line_breaks_inside_quoted_cells() -> None:
    text = 'customer_id,name,address\nC1,Acme,"Line 1\nLine 2"\n\n,,\nC2,Beta,\n  C3 , Gamma ,\n'
    raw = read_csv(text.encode())
    assert rows(raw).select("line", "customer_id", "name").rows() == [
        (2, "C1", "Acme"),
        (6, "C2", "Beta"),
        (7, "C3", "Gamma"),
    ]
    assert raw.blank_rows == 2


def test_a_row_wider_than_the_header_is_refused_with_its_line() -> None:
    with pytest.raises(InputFileError, match=r"line 3: 4 cells but the header has 3"):
        read_csv(b"customer_id,name,email\nC1,Acme,\nC2,Beta,x,y\n")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InputFileError, match="empty"):
        read_csv(b"\n")


def test_old_excel_files_and_missing_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputFileError, match=r"save it as \.xlsx"):
        read_table(tmp_path / "old.xls")
    with pytest.raises(InputFileError, match="cannot read"):
        read_table(tmp_path / "missing.csv")


def write_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["this sheet explains the other one"])
    sheet = book.create_sheet("发票")
    sheet.append(["发票号", "客户编号", "开票日期", "到期日", "金额", "币种"])
    sheet.append([1001, "C1", date(2024, 3, 1), datetime(2024, 3, 31, 0, 0), 1234.5, "CNY"])  # noqa: DTZ001 - Excel has no zones
    sheet.append(["INV-2", "C1", "2024/3/2", "2024年4月1日", 700, "JPY"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["INV-3", "C1", date(2024, 3, 3), date(2024, 4, 2), "1,000.25", "CNY"])
    book.save(path)


def test_xlsx_cells_read_as_people_type_them(tmp_path: Path) -> None:
    path = tmp_path / "invoices.xlsx"
    write_workbook(path)
    raw = read_table(path, sheet="发票")
    assert raw.encoding == "xlsx"
    assert rows(raw, Kind.INVOICES).rows() == [
        ("1001", "C1", "2024-03-01", "2024-03-31", "1234.5", "CNY", 2),
        ("INV-2", "C1", "2024/3/2", "2024年4月1日", "700", "JPY", 3),
        ("INV-3", "C1", "2024-03-03", "2024-04-02", "1,000.25", "CNY", 5),
    ]
    assert raw.blank_rows == 1


def test_xlsx_reads_the_first_sheet_unless_told_and_names_the_sheets_it_has(tmp_path: Path) -> None:
    path = tmp_path / "invoices.xlsx"
    write_workbook(path)
    assert read_table(path).headers == ["this sheet explains the other one"]
    with pytest.raises(InputFileError, match="no sheet 'Invoices'; its sheets are: 说明, 发票"):
        read_table(path, sheet="Invoices")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (1234.5, "1234.5"),
        (0.1, "0.1"),
        (100.0, "100"),
        (1001, "1001"),
        (date(2024, 3, 5), "2024-03-05"),
        (datetime(2024, 3, 5, 13, 30), "2024-03-05"),  # noqa: DTZ001 - Excel has no zones
        (True, "TRUE"),
        ("  text ", "  text "),
    ],
)
def test_an_excel_cell_becomes_the_text_a_person_would_type(value: object, text: str | None) -> None:
    assert cell_text(value) == text
