"""What each file column becomes in the ledger: its target column, its parser, its default.

A `Field` ties a file column to the table column it fills (`target`) and to the parser that turns
its text into a value. `customer_ref` and `invoice_ref` hold the ids as written in the file; the
validation resolves them to the database ids `customer_id` and `invoice_id`. An empty optional cell
takes the field's `default`, and so does an absent column on a new row (an existing row keeps what
is stored).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl
from babel import Locale

from dunmore.i18n import N_
from dunmore.imports.columns import Kind
from dunmore.imports.parsing import Cell, amount, currency, date, refuse, text

REFERENCES = {"customer_ref": "customer_id", "invoice_ref": "invoice_id"}
CHANNELS = ("email", "sms", "letter", "call", "visit")
DEFAULT_LANGUAGE, DEFAULT_TIMEZONE, DEFAULT_COUNTRY = "zh-CN", "Asia/Shanghai", "CN"

_LANGUAGES = {
    **dict.fromkeys(("zh-cn", "zh-hans", "zh-hans-cn", "zh", "zh-sg", "简体中文", "中文"), "zh-CN"),
    **dict.fromkeys(("zh-tw", "zh-hant", "zh-hant-tw", "zh-hk", "zh-mo", "繁體中文", "繁体中文"), "zh-TW"),
    **dict.fromkeys(("en", "en-us", "en-gb", "english", "英文", "英語", "英语"), "en"),
}
_CHANNEL_WORDS = {
    **{channel: channel for channel in CHANNELS},
    **dict.fromkeys(("邮件", "郵件", "电子邮件", "電子郵件", "e-mail"), "email"),
    **dict.fromkeys(("短信", "簡訊", "短訊"), "sms"),
    **dict.fromkeys(("信函", "信件"), "letter"),
    **dict.fromkeys(("电话", "電話", "phone"), "call"),
    **dict.fromkeys(("上门", "上門", "拜访", "拜訪"), "visit"),
}
# CLDR regions that are groupings, pseudo-locales or "unknown", not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@dataclass(frozen=True, slots=True)
class Field:
    """A file column, the column it fills, how it is parsed, and its value when empty."""

    column: str
    target: str
    parse: Callable[[str], Cell]
    default: Any = None


def stored_name(target: str) -> str:
    """The table column a target ends up in (`customer_ref` → `customer_id`)."""
    return REFERENCES.get(target, target)


def _mapped(column: str, words: dict[str, str], reason: str) -> Cell:
    key = pl.col(column).str.to_lowercase().str.replace_all("_", "-", literal=True)
    value = key.replace_strict(words, default=None, return_dtype=pl.String)
    return Cell(value, refuse(key.is_not_null() & value.is_null(), reason))


def language(column: str) -> Cell:
    return _mapped(column, _LANGUAGES, N_("invalid language: use zh-CN, zh-TW or en"))


def preferred_channel(column: str) -> Cell:
    return _mapped(
        column,
        _CHANNEL_WORDS,
        N_("invalid preferred_channel: use one of %(channels)s") % {"channels": ", ".join(CHANNELS)},
    )


@cache
def _timezones() -> dict[str, str]:
    return {zone.lower(): zone for zone in sorted(zoneinfo.available_timezones())}


def timezone(column: str) -> Cell:
    key = pl.col(column).str.to_lowercase()
    value = key.replace_strict(_timezones(), default=None, return_dtype=pl.String)
    reason = N_("invalid timezone: use an IANA time zone such as Asia/Shanghai, Asia/Taipei or Europe/Berlin")
    return Cell(value, refuse(key.is_not_null() & value.is_null(), reason))


@cache
def countries() -> dict[str, str]:
    """ISO 3166 alpha-2 codes CLDR knows, by code and by English and Chinese name (case-folded)."""
    regions = [str(code) for code in Locale("en").territories]
    codes = {code for code in regions if len(code) == 2 and code.isalpha()} - _NOT_COUNTRIES
    words = {code.casefold(): code for code in codes}
    for locale in ("en", "zh", "zh_Hant"):
        for code, name in Locale.parse(locale).territories.items():
            if str(code) in codes:
                words.setdefault(str(name).casefold(), str(code))
    return words


def country(column: str) -> Cell:
    key = pl.col(column).str.to_lowercase()
    value = key.replace_strict(countries(), default=None, return_dtype=pl.String)
    reason = N_("invalid country: use an ISO 3166 two-letter code such as CN, TW, HK, US, DE")
    return Cell(value, refuse(key.is_not_null() & value.is_null(), reason))


def email(column: str) -> Cell:
    raw = pl.col(column)
    bad = ~raw.str.contains(_EMAIL) | (raw.str.len_chars() > 254)
    reason = refuse(raw.is_not_null() & bad, N_("invalid email: write one address such as ar@example.com"))
    return Cell(pl.when(reason.is_null()).then(raw), reason)


def tags(column: str) -> Cell:
    """Tags separated by ';' (or '；'), stored trimmed, deduplicated, sorted and ';'-joined."""
    parts = pl.col(column).str.replace_all("；", ";", literal=True).str.split(";")
    cleaned = parts.list.eval(pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != ""))
    joined = cleaned.list.unique().list.sort().list.join(";")
    reason = refuse(
        joined.str.len_chars() > 500, N_("tags longer than 500 characters in all: use fewer tags")
    )
    return Cell(pl.when(reason.is_null()).then(joined), reason)


def _text(max_length: int) -> Callable[[str], Cell]:
    return lambda column: text(column, max_length)


def _amount(*, positive: bool) -> Callable[[str], Cell]:
    return lambda column: amount(column, positive=positive)


_DOCUMENT_KEYS = (Field("customer_id", "customer_ref", _text(64)),)
_MONEY = (Field("amount", "amount_minor", _amount(positive=True)), Field("currency", "currency", currency))

FIELDS: dict[Kind, tuple[Field, ...]] = {
    Kind.CUSTOMERS: (
        Field("customer_id", "external_id", _text(64)),
        Field("name", "name", _text(200)),
        Field("language", "language", language, DEFAULT_LANGUAGE),
        Field("timezone", "timezone", timezone, DEFAULT_TIMEZONE),
        Field("country", "country", country, DEFAULT_COUNTRY),
        Field("grade", "grade", _text(8)),
        Field("tags", "tags", tags, ""),
        Field("credit_limit", "credit_limit_minor", _amount(positive=False)),
        Field("currency", "credit_currency", currency),
        Field("owner", "owner", _text(100)),
        Field("portfolio", "portfolio", _text(64), "default"),
        Field("email", "contact_email", email),
        Field("phone", "contact_phone", _text(32)),
        Field("address", "contact_address", _text(500)),
        Field("contact_name", "contact_name", _text(200)),
        Field("preferred_channel", "contact_channel", preferred_channel),
    ),
    Kind.INVOICES: (
        Field("invoice_id", "external_id", _text(64)),
        *_DOCUMENT_KEYS,
        Field("issue_date", "issue_date", date),
        Field("due_date", "due_date", date),
        *_MONEY,
        Field("disputed_amount", "disputed_minor", _amount(positive=False), 0),
        Field("open_amount", "snapshot_open_minor", _amount(positive=False)),
    ),
    Kind.PAYMENTS: (
        Field("payment_id", "external_id", _text(64)),
        *_DOCUMENT_KEYS,
        Field("date", "date", date),
        *_MONEY,
        Field("invoice_id", "invoice_ref", _text(64)),
    ),
    Kind.CREDIT_NOTES: (
        Field("credit_note_id", "external_id", _text(64)),
        *_DOCUMENT_KEYS,
        Field("date", "date", date),
        *_MONEY,
        Field("invoice_id", "invoice_ref", _text(64)),
    ),
}

CONTACT_FIELDS = {
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_address": "address",
    "contact_name": "name",
    "contact_channel": "preferred_channel",
}

DTYPES: dict[str, Any] = {
    "id": pl.Int64,
    "contact_id": pl.Int64,
    "customer_id": pl.Int64,
    "invoice_id": pl.Int64,
    "issue_date": pl.Date,
    "due_date": pl.Date,
    "date": pl.Date,
    "amount_minor": pl.Int64,
    "disputed_minor": pl.Int64,
    "snapshot_open_minor": pl.Int64,
    "credit_limit_minor": pl.Int64,
    "open_minor": pl.Int64,
    "unapplied_minor": pl.Int64,
    "level": pl.Int64,
    "dunned": pl.Boolean,
}


def dtype(name: str) -> Any:
    """The Polars type of a stored column (text unless listed in `DTYPES`)."""
    return DTYPES.get(name, pl.String)


def stored_columns(kind: Kind) -> list[str]:
    """The table columns (contacts' prefixed `contact_`) an import of this kind compares and writes."""
    return [stored_name(field.target) for field in FIELDS[kind]]
