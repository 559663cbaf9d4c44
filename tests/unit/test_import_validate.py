"""Every reason an import row is refused, found with its line, column and reason; and what is accepted."""

from __future__ import annotations

from textwrap import dedent

import polars as pl
import pytest

from dunmore.errors import ImportProblem
from dunmore.imports.columns import Kind
from dunmore.imports.reading import read_csv
from dunmore.imports.repository import stored_rows
from dunmore.imports.service import file_rows
from dunmore.imports.validate import Checked, Ledger, validate

# What the database holds in these tests: customers C1 (id 1) and C2 (id 2); invoice INV-1 of C1
# in CNY (id 10) and INV-2 of C2 in USD (id 20).
CUSTOMERS = pl.DataFrame({"external_id": ["C1", "C2"], "id": [1, 2]})
INVOICES = pl.DataFrame(
    {
        "external_id": ["INV-1", "INV-2"],
        "id": [10, 20],
        "customer_id": [1, 2],
        "customer_ref": ["C1", "C2"],
        "currency": ["CNY", "USD"],
    }
)
HEADERS = {
    Kind.CUSTOMERS: "customer_id,name,email,language,timezone,country,credit_limit,currency,"
    "preferred_channel,tags",
    Kind.INVOICES: "invoice_id,customer_id,issue_date,due_date,amount,currency,disputed_amount,open_amount",
    Kind.PAYMENTS: "payment_id,customer_id,date,amount,currency,invoice_id",
    Kind.CREDIT_NOTES: "credit_note_id,customer_id,date,amount,currency,invoice_id",
}


def check(kind: Kind, body: str, *, header: str | None = None) -> Checked:
    text = (header or HEADERS[kind]) + "\n" + dedent(body).strip() + "\n"
    rows, _ = file_rows(read_csv(text.encode()), kind)
    return validate(rows, kind, Ledger(CUSTOMERS, INVOICES, stored_rows(None, kind)))


def problems(kind: Kind, body: str, *, header: str | None = None) -> list[ImportProblem]:
    return check(kind, body, header=header).problems


REFUSED = [
    # (kind, data row(s), line, column, start of the reason)
    (Kind.INVOICES, "I1,,2024-03-01,2024-03-31,10,CNY,,", 2, "customer_id", "empty customer_id"),
    (Kind.INVOICES, ",C1,2024-03-01,2024-03-31,10,CNY,,", 2, "invoice_id", "empty invoice_id"),
    (Kind.INVOICES, "I1,C1,2024-02-30,2024-03-31,10,CNY,,", 2, "issue_date", "bad date"),
    (Kind.INVOICES, "I1,C1,2024-03-01,31/03/2024,10,CNY,,", 2, "due_date", "bad date"),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-3/31,10,CNY,,", 2, "due_date", "bad date"),
    (Kind.INVOICES, "I1,C1,2024-04-01,2024-03-31,10,CNY,,", 2, "issue_date", "issue_date after due_date"),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,abc,CNY,,", 2, "amount", "malformed amount"),
    (Kind.INVOICES, 'I1,C1,2024-03-01,2024-03-31,"12,34.5",CNY,,', 2, "amount", "malformed amount"),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,1.2.3,CNY,,", 2, "amount", "malformed amount"),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,¥12,CNY,,", 2, "amount", "malformed amount"),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,-5.00,CNY,,", 2, "amount", "negative amount"),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,0.00,CNY,,", 2, "amount", "zero amount"),
    (
        Kind.INVOICES,
        "I1,C1,2024-03-01,2024-03-31,12.345,CNY,,",
        2,
        "amount",
        "more decimals than CNY allows (2)",
    ),
    (
        Kind.INVOICES,
        "I1,C1,2024-03-01,2024-03-31,700.5,JPY,,",
        2,
        "amount",
        "more decimals than JPY allows (0)",
    ),
    (
        Kind.INVOICES,
        "I1,C1,2024-03-01,2024-03-31,1.2345,KWD,,",
        2,
        "amount",
        "more decimals than KWD allows (3)",
    ),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,12345678901234567,CNY,,", 2, "amount", "amount too large"),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,10,ABC,,", 2, "currency", "unknown currency"),
    (Kind.INVOICES, "I1,C9,2024-03-01,2024-03-31,10,CNY,,", 2, "customer_id", "unknown customer"),
    (
        Kind.INVOICES,
        "I1,C1,2024-03-01,2024-03-31,10,CNY,10.01,",
        2,
        "disputed_amount",
        "disputed_amount greater",
    ),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,10,CNY,,10.01", 2, "open_amount", "open_amount greater"),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,10,CNY,,-1", 2, "open_amount", "negative amount"),
    (Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,10,CNY,-1,", 2, "disputed_amount", "negative amount"),
    (Kind.INVOICES, f"{'X' * 65},C1,2024-03-01,2024-03-31,10,CNY,,", 2, "invoice_id", "longer than 64"),
    (
        Kind.INVOICES,
        "I1,C1,2024-03-01,2024-03-31,10,CNY,,\nI1,C1,2024-03-01,2024-03-31,11,CNY,,",
        3,
        "invoice_id",
        "duplicate invoice_id with different values (first on line 2)",
    ),
    (Kind.PAYMENTS, "P1,C1,2024-03-05,10,CNY,INV-9", 2, "invoice_id", "unknown invoice"),
    (
        Kind.PAYMENTS,
        "P1,C1,2024-03-05,10,USD,INV-1",
        2,
        "currency",
        "currency mismatch: the invoice is in CNY",
    ),
    (
        Kind.PAYMENTS,
        "P1,C1,2024-03-05,10,USD,INV-2",
        2,
        "invoice_id",
        "customer mismatch: the invoice belongs to customer C2",
    ),
    (Kind.PAYMENTS, "P1,C9,2024-03-05,10,CNY,", 2, "customer_id", "unknown customer"),
    (Kind.PAYMENTS, "P1,C1,2024-03-05,0,CNY,", 2, "amount", "zero amount"),
    (Kind.PAYMENTS, "P1,C1,2024-3-5日,10,CNY,", 2, "date", "bad date"),
    (Kind.CREDIT_NOTES, "N1,C1,2024-03-05,10,CNY,INV-9", 2, "invoice_id", "unknown invoice"),
    (
        Kind.CREDIT_NOTES,
        "N1,C1,2024-03-05,10,EUR,INV-1",
        2,
        "currency",
        "currency mismatch: the invoice is in CNY",
    ),
    (Kind.CREDIT_NOTES, "N1,C1,2024-03-05,-3,CNY,", 2, "amount", "negative amount"),
    (Kind.CUSTOMERS, "C1,,,,,,,,,", 2, "name", "empty name"),
    (Kind.CUSTOMERS, "C1,Acme,,fr,,,,,,", 2, "language", "invalid language"),
    (Kind.CUSTOMERS, "C1,Acme,,,Asia/Beijing,,,,,", 2, "timezone", "invalid timezone"),
    (Kind.CUSTOMERS, "C1,Acme,,,,XX,,,,", 2, "country", "invalid country"),
    (Kind.CUSTOMERS, "C1,Acme,,,,EU,,,,", 2, "country", "invalid country"),
    (Kind.CUSTOMERS, "C1,Acme,ar@,,,,,,,", 2, "email", "invalid email"),
    (Kind.CUSTOMERS, "C1,Acme,a b@x.cn,,,,,,,", 2, "email", "invalid email"),
    (Kind.CUSTOMERS, "C1,Acme,,,,,,,fax,", 2, "preferred_channel", "invalid preferred_channel"),
    (Kind.CUSTOMERS, "C1,Acme,,,,,5000,,,", 2, "currency", "credit_limit needs a currency"),
    (Kind.CUSTOMERS, "C1,Acme,,,,,5000,ABC,,", 2, "currency", "unknown currency"),
    (Kind.CUSTOMERS, "C1,Acme,,,,,5000.5,JPY,,", 2, "credit_limit", "more decimals than JPY allows (0)"),
    (Kind.CUSTOMERS, "C1,Acme,,,,,-1,CNY,,", 2, "credit_limit", "negative amount"),
    (Kind.CUSTOMERS, "C1,Acme,,,,,,,,\nC1,Acme Ltd,,,,,,,,", 3, "customer_id", "duplicate customer_id"),
]


@pytest.mark.parametrize(("kind", "body", "line", "column", "reason"), REFUSED)
def test_a_bad_row_is_refused_with_its_line_column_and_reason(
    kind: Kind, body: str, line: int, column: str, reason: str
) -> None:
    found = problems(kind, body)
    assert [(p.line, p.column) for p in found] == [(line, column)], found
    assert found[0].reason.startswith(reason), found[0].reason
    assert ":" in found[0].reason  # every reason goes on to say how to fix it


def test_every_bad_row_is_listed_in_line_order() -> None:
    found = problems(
        Kind.INVOICES,
        """
        I1,C1,2024-03-01,2024-03-31,10,CNY,,
        I2,C9,2024-03-01,2024-03-31,abc,CNY,,
        I3,C1,2024-03-01,2024-03-31,10,CNY,,

        I4,C1,2024-13-01,2024-03-31,10,XYZ,,
        """,
    )
    assert [(p.line, p.column, p.value) for p in found] == [
        (3, "amount", "abc"),
        (3, "customer_id", "C9"),
        (6, "currency", "XYZ"),
        (6, "issue_date", "2024-13-01"),
    ]


def test_a_missing_customer_credit_limit_currency_is_reported_on_the_credit_limit_without_the_column() -> (
    None
):
    found = problems(Kind.CUSTOMERS, "C1,Acme,5000", header="customer_id,name,credit_limit")
    assert [(p.line, p.column) for p in found] == [(2, "credit_limit")]


def test_identical_duplicates_are_collapsed_even_when_written_differently() -> None:
    checked = check(
        Kind.INVOICES,
        """
        I1,C1,2024-03-01,2024-03-31,"1,234.50",CNY,,
        I1,C1,2024/3/1,2024年3月31日,1234.5,cny,0,
        """,
    )
    assert checked.problems == []
    assert checked.duplicates == 1
    assert checked.rows.select("external_id", "amount_minor", "disputed_minor").rows() == [("I1", 123450, 0)]


def test_invoice_rows_become_typed_values_with_database_ids() -> None:
    checked = check(Kind.INVOICES, 'I1,C2,2024-03-01,2024-03-31," 1,000 ",usd,250,400.5')
    row = checked.rows.row(0, named=True)
    assert (row["customer_id"], row["currency"], row["amount_minor"]) == (2, "USD", 100000)
    assert (row["disputed_minor"], row["snapshot_open_minor"]) == (25000, 40050)
    assert str(row["issue_date"]) == "2024-03-01"
    assert row["id"] is None  # not stored yet


def test_payments_resolve_the_invoice_they_name() -> None:
    checked = check(Kind.PAYMENTS, "P1,C1,2024-03-05,10,CNY,INV-1\nP2,C1,2024-03-05,10,CNY,")
    assert checked.rows.select("external_id", "customer_id", "invoice_id").rows() == [
        ("P1", 1, 10),
        ("P2", 1, None),
    ]


def test_customer_values_are_normalised_and_empty_cells_take_the_defaults() -> None:
    checked = check(
        Kind.CUSTOMERS,
        """
        C1,Acme,ar@acme.cn,zh_tw,asia/taipei,tw,"1,000",twd,短信,b; a ;b;；c
        C2,Beta,,EN,,Germany,,,EMAIL,
        C3,Gamma,,zh-Hans,,中国,,,,
        C4,Delta,,,,,,,,
        """,
    )
    assert checked.problems == []
    columns = [
        "language",
        "timezone",
        "country",
        "credit_limit_minor",
        "credit_currency",
        "contact_channel",
        "tags",
    ]
    assert checked.rows.select(columns).rows() == [
        ("zh-TW", "Asia/Taipei", "TW", 100000, "TWD", "sms", "a;b;c"),
        ("en", "Asia/Shanghai", "DE", None, None, "email", ""),
        ("zh-CN", "Asia/Shanghai", "CN", None, None, None, ""),
        ("zh-CN", "Asia/Shanghai", "CN", None, None, None, ""),
    ]


def test_common_currency_names_mean_their_iso_code() -> None:
    checked = check(
        Kind.INVOICES, "I1,C1,2024-03-01,2024-03-31,10,RMB,,\nI2,C1,2024-03-01,2024-03-31,10,人民币,,"
    )
    assert checked.problems == []
    assert checked.rows.get_column("currency").to_list() == ["CNY", "CNY"]


def test_the_credit_notes_dunmore_makes_keep_their_ids() -> None:
    """`CN-DSP-n` (a resolved dispute's) and `CN-WVR-n` (a waiver's) are Dunmore's own: an import
    neither adds one nor overwrites one; an id that only looks alike is the ERP's."""
    found = problems(Kind.CREDIT_NOTES, "CN-DSP-7,C1,2024-03-05,10,CNY,INV-1\nCN-WVR-12,C1,2024-03-05,1,CNY,")
    assert [(p.line, p.column) for p in found] == [(2, "credit_note_id"), (3, "credit_note_id")]
    assert found[0].reason.startswith("credit_note_id has the form CN-DSP-n or CN-WVR-n")
    assert (
        problems(Kind.CREDIT_NOTES, "CN-DSP-7A,C1,2024-03-05,10,CNY,INV-1\nXCN-WVR-1,C1,2024-03-05,1,CNY,")
        == []
    )
