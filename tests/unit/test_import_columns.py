"""Header cells find their columns in English or Chinese; a missing required column stops the import."""

from __future__ import annotations

from pathlib import Path

import pytest

from dunmore.errors import InputFileError
from dunmore.imports.columns import SPECS, Kind, match_header


def names(headers: list[str], kind: Kind) -> list[str]:
    return list(match_header(headers, SPECS[kind]).columns.values())


def test_english_names_match_whatever_their_case_spaces_and_separators() -> None:
    headers = [" Invoice ID ", "CUSTOMER_ID", "issue-date", "Due Date", "Amount", "currency", "Open Amount"]
    assert names(headers, Kind.INVOICES) == [
        "invoice_id",
        "customer_id",
        "issue_date",
        "due_date",
        "amount",
        "currency",
        "open_amount",
    ]


@pytest.mark.parametrize(
    ("kind", "headers", "expected"),
    [
        (
            Kind.INVOICES,
            ["发票号", "客户编号", "开票日期", "到期日", "金额", "币种", "争议金额", "未结金额"],
            [
                "invoice_id",
                "customer_id",
                "issue_date",
                "due_date",
                "amount",
                "currency",
                "disputed_amount",
                "open_amount",
            ],
        ),
        (
            Kind.INVOICES,
            ["發票號碼", "客戶編號", "開票日期", "到期日", "金額", "幣別", "爭議金額", "未結金額"],
            [
                "invoice_id",
                "customer_id",
                "issue_date",
                "due_date",
                "amount",
                "currency",
                "disputed_amount",
                "open_amount",
            ],
        ),
        (
            Kind.CUSTOMERS,
            [
                "客户编号",
                "客户名称",
                "邮箱",
                "电话",
                "语言",
                "时区",
                "国家",
                "信用等级",
                "标签",
                "信用额度",
                "负责人",
            ],
            [
                "customer_id",
                "name",
                "email",
                "phone",
                "language",
                "timezone",
                "country",
                "grade",
                "tags",
                "credit_limit",
                "owner",
            ],
        ),
        (
            Kind.CUSTOMERS,
            [
                "客戶編號",
                "客戶名稱",
                "電子郵件",
                "電話",
                "語言",
                "時區",
                "國家",
                "等級",
                "標籤",
                "信用額度",
                "負責人",
            ],
            [
                "customer_id",
                "name",
                "email",
                "phone",
                "language",
                "timezone",
                "country",
                "grade",
                "tags",
                "credit_limit",
                "owner",
            ],
        ),
        (
            Kind.PAYMENTS,
            ["收款编号", "客户编号", "收款日期", "金额", "币种", "发票号"],
            ["payment_id", "customer_id", "date", "amount", "currency", "invoice_id"],
        ),
        (
            Kind.PAYMENTS,
            ["付款編號", "客戶編號", "付款日期", "金額", "幣別"],
            ["payment_id", "customer_id", "date", "amount", "currency"],
        ),
    ],
)
def test_chinese_headers_simplified_and_traditional_are_aliases(
    kind: Kind, headers: list[str], expected: list[str]
) -> None:
    assert names(headers, kind) == expected


def test_unknown_headers_are_ignored_and_reported() -> None:
    match = match_header(["customer_id", "name", "备注", ""], SPECS[Kind.CUSTOMERS])
    assert match.columns == {0: "customer_id", 1: "name"}
    assert match.ignored == ("备注",)


def test_a_missing_required_column_names_the_columns_found_and_the_accepted_names() -> None:
    with pytest.raises(InputFileError) as caught:
        match_header(["invoice_id", "客户编号", "amount", "currency", "remark"], SPECS[Kind.INVOICES])
    message = str(caught.value)
    assert "needs the column(s) issue_date, due_date" in message
    assert "found columns: 'invoice_id', '客户编号', 'amount', 'currency', 'remark'" in message
    assert "issue_date* (开票日期 / 開票日期" in message


def test_a_file_separated_by_semicolons_is_told_to_use_commas() -> None:
    with pytest.raises(InputFileError, match="Columns must be separated by commas"):
        match_header(["payment_id;customer_id;date;amount;currency"], SPECS[Kind.PAYMENTS])


def test_two_headers_for_the_same_column_are_refused() -> None:
    with pytest.raises(InputFileError, match="columns 'amount' and '金额' both mean amount"):
        match_header(
            ["payment_id", "customer_id", "date", "amount", "金额", "currency"], SPECS[Kind.PAYMENTS]
        )


def test_the_user_docs_list_every_column_and_alias() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "imports.md").read_text(encoding="utf-8")
    missing = [
        name
        for spec in SPECS.values()
        for column in spec.columns
        for name in (f"`{column.name}`", *column.aliases)
        if name not in docs
    ]
    assert missing == []
