"""The columns of each import file: their English names, Chinese aliases, and which are required.

A header cell matches a column when, after trimming, folding case and treating spaces and hyphens
as underscores, it equals the column's name or one of its aliases (simplified or traditional Chinese).
Columns that match nothing are ignored and reported; a required column that is missing rejects the
file before any row is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dunmore.errors import InputFileError
from dunmore.i18n import _m


class Kind(StrEnum):
    """What an import file holds; the value is the CLI's word for it."""

    CUSTOMERS = "customers"
    INVOICES = "invoices"
    PAYMENTS = "payments"
    CREDIT_NOTES = "credit-notes"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an import file: its name, whether every row must fill it, and its aliases."""

    name: str
    required: bool
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FileSpec:
    """The columns of one kind of file, `id_column` naming the document's own identifier."""

    kind: Kind
    id_column: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)


_CUSTOMER_ID = ("客户编号", "客戶編號", "客户代码", "客戶代碼", "客户号", "客戶號", "客户id")
_INVOICE_ID = ("发票号", "發票號", "发票号码", "發票號碼", "发票编号", "發票編號")
_AMOUNT = ("金额", "金額")
_CURRENCY = ("币种", "幣種", "币别", "幣別", "货币", "貨幣")

_CUSTOMER_COLUMNS = (
    Column("customer_id", True, _CUSTOMER_ID),
    Column("name", True, ("客户名称", "客戶名稱", "名称", "名稱", "customer_name")),
    Column("email", False, ("邮箱", "郵箱", "电子邮件", "電子郵件", "电邮", "電郵")),
    Column("phone", False, ("电话", "電話", "手机", "手機", "联系电话", "聯絡電話")),
    Column("language", False, ("语言", "語言")),
    Column("timezone", False, ("时区", "時區", "time_zone")),
    Column("country", False, ("国家", "國家", "国家地区", "國家地區")),
    Column("grade", False, ("等级", "等級", "信用等级", "信用等級")),
    Column("tags", False, ("标签", "標籤")),
    Column("credit_limit", False, ("信用额度", "信用額度")),
    Column("currency", False, _CURRENCY),
    Column("owner", False, ("负责人", "負責人", "业务员", "業務員")),
    Column("portfolio", False, ("组合", "組合", "客户组合", "客戶組合")),
    Column("address", False, ("地址", "联系地址", "聯絡地址")),
    Column("contact_name", False, ("联系人", "聯繫人", "聯絡人")),
    Column("preferred_channel", False, ("首选渠道", "首選渠道", "首选联系方式", "首選聯絡方式")),
)
_INVOICE_COLUMNS = (
    Column("invoice_id", True, _INVOICE_ID),
    Column("customer_id", True, _CUSTOMER_ID),
    Column("issue_date", True, ("开票日期", "開票日期", "发票日期", "發票日期")),
    Column("due_date", True, ("到期日", "到期日期")),
    Column("amount", True, (*_AMOUNT, "发票金额", "發票金額")),
    Column("currency", True, _CURRENCY),
    Column("disputed_amount", False, ("争议金额", "爭議金額")),
    Column("open_amount", False, ("未结金额", "未結金額", "未付金额", "未付金額")),
)
_PAYMENT_COLUMNS = (
    Column("payment_id", True, ("付款编号", "付款編號", "收款编号", "收款編號", "收款单号", "收款單號")),
    Column("customer_id", True, _CUSTOMER_ID),
    Column("date", True, ("付款日期", "收款日期", "到账日期", "到賬日期", "日期")),
    Column("amount", True, (*_AMOUNT, "付款金额", "付款金額", "收款金额", "收款金額")),
    Column("currency", True, _CURRENCY),
    Column("invoice_id", False, _INVOICE_ID),
)
_CREDIT_NOTE_COLUMNS = (
    Column(
        "credit_note_id",
        True,
        ("贷项通知单号", "貸項通知單號", "红字发票号", "紅字發票號", "折让单号", "折讓單號"),
    ),
    Column("customer_id", True, _CUSTOMER_ID),
    Column("date", True, ("日期", "开具日期", "開具日期")),
    Column("amount", True, _AMOUNT),
    Column("currency", True, _CURRENCY),
    Column("invoice_id", False, _INVOICE_ID),
)

SPECS: dict[Kind, FileSpec] = {
    Kind.CUSTOMERS: FileSpec(Kind.CUSTOMERS, "customer_id", _CUSTOMER_COLUMNS),
    Kind.INVOICES: FileSpec(Kind.INVOICES, "invoice_id", _INVOICE_COLUMNS),
    Kind.PAYMENTS: FileSpec(Kind.PAYMENTS, "payment_id", _PAYMENT_COLUMNS),
    Kind.CREDIT_NOTES: FileSpec(Kind.CREDIT_NOTES, "credit_note_id", _CREDIT_NOTE_COLUMNS),
}


def normalize_header(text: str) -> str:
    """Fold a header cell for matching: trimmed, case-folded, spaces and hyphens as underscores."""
    words = text.replace("\ufeff", "").replace("-", " ").replace("_", " ").split()
    return "_".join(words).casefold()


def header_fields(headers: list[str], names: Mapping[str, str]) -> dict[str, str]:
    """For the smaller files read row by row (contracts, orders): field → frame column of the first
    header cell whose folded text `names` (folded header → field) knows; the caller names the fields
    it lacks in its own words."""
    from dunmore.imports.reading import column_name

    found: dict[str, str] = {}
    for position, header in enumerate(headers):
        field = names.get(normalize_header(header))
        if field is not None and field not in found:
            found[field] = column_name(position)
    return found


def _lookup(spec: FileSpec) -> dict[str, str]:
    table: dict[str, str] = {}
    for column in spec.columns:
        for name in (column.name, *column.aliases):
            table[normalize_header(name)] = column.name
    return table


def accepted_names(spec: FileSpec) -> str:
    """Every accepted header, column by column, for error messages and docs."""
    return "; ".join(
        f"{column.name}{'*' if column.required else ''} ({' / '.join(column.aliases)})"
        for column in spec.columns
    )


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """How a file's header maps onto a spec: header position → column name, and what was ignored."""

    columns: dict[int, str]
    ignored: tuple[str, ...]


def match_header(headers: list[str], spec: FileSpec) -> HeaderMatch:
    """Map the file's header cells onto the spec's columns, refusing missing and doubled columns."""
    lookup = _lookup(spec)
    matched: dict[int, str] = {}
    seen: dict[str, str] = {}
    for position, header in enumerate(headers):
        name = lookup.get(normalize_header(header))
        if name is None:
            continue
        if name in seen:
            raise InputFileError(
                _m(
                    "columns %(first)s and %(second)s both mean %(name)s: keep only one of them",
                    first=repr(seen[name]),
                    second=repr(header),
                    name=name,
                )
            )
        seen[name] = header
        matched[position] = name
    _require(spec, set(matched.values()), headers)
    ignored = tuple(h for i, h in enumerate(headers) if i not in matched and h)
    return HeaderMatch(matched, ignored)


def _require(spec: FileSpec, present: set[str], headers: list[str]) -> None:
    missing = [name for name in spec.required if name not in present]
    if missing:
        found = ", ".join(repr(h) for h in headers) or _m("none")
        separated = any(";" in h or "\t" in h for h in headers)
        hint = _m(" Columns must be separated by commas.") if separated else ""
        raise InputFileError(
            _m(
                "a %(kind)s file needs the column(s) %(missing)s; found columns: %(found)s.%(hint)s "
                "Accepted names (* = required): %(accepted)s",
                kind=spec.kind,
                missing=", ".join(missing),
                found=found,
                hint=hint,
                accepted=accepted_names(spec),
            )
        )
