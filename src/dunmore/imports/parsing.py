"""Vectorised cell parsers: text → typed value, plus the reason a cell is refused, as Polars expressions.

Each parser returns a `Cell`: `value` is the typed value (null when the cell is empty or refused)
and `reason` is null when the cell is fine, else a message saying what is wrong and how to fix it.
Cells arrive trimmed, with empty cells as null (see `dunmore.imports.reading`). Amounts follow
`dunmore.domain.money.parse_decimal` and `to_minor` exactly, without a Python loop per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import polars as pl

from dunmore.domain.money import MAX_AMOUNT_MINOR, exponent, known_currencies, max_amount
from dunmore.i18n import N_

EXPONENT = "__exponent"
# Digits of the largest amount in minor units: a cell with more is refused before it is multiplied,
# so that the conversion itself cannot overflow.
MAX_DIGITS = len(str(MAX_AMOUNT_MINOR))

_AMOUNT = r"^-?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]*)?$"
_DATE = (
    r"^[1-9][0-9]{3}(?:-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}|\.[0-9]{1,2}\.[0-9]{1,2}"
    r"|\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日)$"
)
_DATE_MARKS = {"/": "-", ".": "-", "年": "-", "月": "-", "日": "", " ": "", "\u3000": ""}
# Names people write instead of the ISO code, mostly on Chinese ERP exports.
CURRENCY_WORDS = {
    **dict.fromkeys(("RMB", "人民币", "人民幣"), "CNY"),
    **dict.fromkeys(("美元",), "USD"),
    **dict.fromkeys(("港币", "港幣", "港元"), "HKD"),
    **dict.fromkeys(("新台币", "新臺幣", "新台幣"), "TWD"),
    **dict.fromkeys(("欧元", "歐元"), "EUR"),
    **dict.fromkeys(("日元", "日圓", "日圆"), "JPY"),
}
DATE_HELP = "write it as YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYY年M月D日 (a real calendar date)"
AMOUNT_HELP = "write digits with an optional '.' and optional thousands commas, e.g. 1234.50 or 1,234.50"
_NAMED = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True, slots=True)
class Cell:
    """A parsed column: the typed value and the reason it was refused (null when it is fine).

    `steps` are named intermediate columns, computed once before `value` and `reason`, which read
    them by name; Polars would otherwise compute a shared sub-expression once per use.
    """

    value: pl.Expr
    reason: pl.Expr
    steps: tuple[pl.Expr, ...] = ()


def refuse(condition: pl.Expr, message: str | pl.Expr) -> pl.Expr:
    """The message where the condition holds, else null."""
    text = pl.lit(message) if isinstance(message, str) else message
    return pl.when(condition).then(text).otherwise(pl.lit(None, dtype=pl.String))


def said(msgid: str, **values: pl.Expr) -> pl.Expr:
    """A reason built row by row from a marked msgid (`N_`) with named placeholders: the English, which
    the interfaces say in the reader's language (`dunmore.i18n.translate_english`)."""
    return pl.format(_NAMED.sub("{}", msgid), *(values[name] for name in _NAMED.findall(msgid)))


def first_reason(*reasons: pl.Expr) -> pl.Expr:
    """The first non-null reason, so a cell reports its most basic fault only."""
    return pl.coalesce(*reasons) if len(reasons) > 1 else reasons[0]


@cache
def currency_exponents() -> dict[str, int]:
    """Every known ISO 4217 code with its number of decimals."""
    return {code: exponent(code) for code in sorted(known_currencies())}


def text(column: str, max_length: int) -> Cell:
    """Free text, refused only when longer than the database keeps."""
    value = pl.col(column)
    longer = N_("longer than %(most)s characters: shorten it") % {"most": max_length}
    reason = refuse(value.str.len_chars() > max_length, longer)
    return Cell(pl.when(reason.is_null()).then(value), reason)


def currency_code(column: str) -> pl.Expr:
    """The ISO code a currency cell means: upper-cased, common names (`RMB`, `人民币`) replaced."""
    return pl.col(column).str.to_uppercase().replace(CURRENCY_WORDS)


def currency(column: str) -> Cell:
    """An ISO 4217 code, accepted in any case (`cny` → `CNY`) or as a common name (`RMB`)."""
    code = currency_code(column)
    known = code.is_in(list(currency_exponents()))
    reason = refuse(
        code.is_not_null() & ~known, N_("unknown currency: use an ISO 4217 code such as CNY, USD, EUR")
    )
    return Cell(pl.when(known).then(code), reason)


def exponent_of(column: str) -> pl.Expr:
    """The currency's number of decimals, null for an empty or unknown currency."""
    return currency_code(column).replace_strict(currency_exponents(), default=None, return_dtype=pl.Int64)


def date(column: str) -> Cell:
    """A calendar date in one of the accepted spellings."""
    raw, parsed = pl.col(column), f"{column}:date"
    dashed = raw.str.replace_many(list(_DATE_MARKS), list(_DATE_MARKS.values()))
    step = pl.when(raw.str.contains(_DATE)).then(dashed.str.to_date("%Y-%m-%d", strict=False)).alias(parsed)
    value = pl.col(parsed)
    return Cell(
        value,
        refuse(
            raw.is_not_null() & value.is_null(),
            N_(
                "bad date: write it as YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYY年M月D日 "
                "(a real calendar date)"
            ),
        ),
        (step,),
    )


def amount(column: str, *, positive: bool) -> Cell:
    """An amount in the row's currency as integer minor units (the exponent is in `EXPONENT`).

    Refuses malformed text, negative amounts, zero where `positive`, more decimals than the
    currency allows, and amounts too large to store. An unknown currency is reported on its own
    column; the amount then has no value and no reason of its own unless it is malformed.
    """
    raw, places = pl.col(column), pl.col(EXPONENT)
    cleaned = raw.str.replace_all(",", "", literal=True)
    parts = cleaned.str.strip_chars_start("-").str.split_exact(".", 1)
    steps = (
        parts.struct.field("field_0").str.strip_chars_start("0").alias(whole_name := f"{column}:whole"),
        parts.struct.field("field_1")
        .fill_null("")
        .str.strip_chars_end("0")
        .alias(fraction_name := f"{column}:fraction"),
        (raw.is_not_null() & ~raw.str.contains(_AMOUNT)).alias(malformed := f"{column}:malformed"),
        cleaned.str.starts_with("-").alias(negative := f"{column}:negative"),
    )
    whole, fraction = pl.col(whole_name), pl.col(fraction_name)
    ten = pl.lit(10, pl.Int64)
    minor = whole.cast(pl.Int64, strict=False).fill_null(0) * ten.pow(places) + fraction.cast(
        pl.Int64, strict=False
    ).fill_null(0) * ten.pow((places - fraction.str.len_bytes()).clip(0))
    reason = first_reason(
        refuse(
            pl.col(malformed),
            N_(
                "malformed amount: write digits with an optional '.' and optional thousands commas, "
                "e.g. 1234.50 or "
                "1,234.50"
            ),
        ),
        refuse(fraction.str.len_bytes() > places, _too_fine()),
        refuse((whole.str.len_bytes() + places > MAX_DIGITS) | (minor > MAX_AMOUNT_MINOR), _too_large()),
        refuse(pl.col(negative) & (minor > 0), N_("negative amount: amounts are written without a sign")),
        refuse(minor == 0, N_("zero amount: the amount must be greater than 0"))
        if positive
        else pl.lit(None),
    )
    return Cell(pl.when(raw.is_not_null()).then(minor), reason, steps)


def _too_large() -> pl.Expr:
    limits = {places: max_amount(code) for code, places in currency_exponents().items()}
    return said(
        N_(
            "amount too large: at most %(most)s %(currency)s (the largest amount Dunmore stores); "
            "check it for "
            "a typo, or split it into several documents"
        ),
        most=pl.col(EXPONENT).replace_strict(limits, return_dtype=pl.String),
        currency=currency_code("currency"),
    )


def _too_fine() -> pl.Expr:
    return said(
        N_("more decimals than %(currency)s allows (%(places)s): round it to the currency's minor unit"),
        currency=currency_code("currency"),
        places=pl.col(EXPONENT),
    )
