"""Amounts, dates, numbers and rates as each notice language writes them, through Babel (CLDR).

Languages map to Babel locales: zh-CN → zh_Hans_CN, zh-TW → zh_Hant_TW, en → en_GB. English is
British English because our English readers are mostly international B2B debtors (Singapore, Hong
Kong, Europe): en_GB writes dates day-first ("22 November 2026", never the ambiguous US order) and
names currencies unambiguously (CN¥, US$, JP¥), where en_US would print a bare "$" or "¥".

Money is formatted from its exact `Decimal` amount with the currency's own number of decimals
(JPY none, CNY two, KWD three); nothing passes through a float.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from dunmore.delivery.view import Language
from dunmore.domain.money import Money

__all__ = ["LOCALES", "long_date", "money", "number", "percent"]

LOCALES: Final[dict[Language, Locale]] = {
    "zh-CN": Locale.parse("zh_Hans_CN"),
    "zh-TW": Locale.parse("zh_Hant_TW"),
    "en": Locale.parse("en_GB"),
}
# Up to four decimals of a percentage: 3.65 %, 0.05 % a day, 8 %; more would be false precision.
_PERCENT: Final = "#,##0.####%"


def _locale(language: Language) -> Locale:
    try:
        return LOCALES[language]
    except KeyError:
        known = ", ".join(LOCALES)
        raise ValueError(f"unknown notice language {language!r}: use one of {known}") from None


def money(m: Money, language: Language) -> str:
    """`¥12,345.00` (zh-CN), `CN¥12,345.00` (zh-TW, en), `€1,234.00`, `JP¥5,000` (en)."""
    return format_currency(m.amount, m.currency, locale=_locale(language))


def long_date(d: date, language: Language) -> str:
    """`2026年11月22日` (zh-CN, zh-TW), `22 November 2026` (en)."""
    return format_date(d, format="long", locale=_locale(language))


def number(value: int | Decimal, language: Language) -> str:
    """A number with the language's grouping, every decimal kept: `1,234,567.891`."""
    return format_decimal(value, locale=_locale(language), decimal_quantization=False)


def percent(rate: Decimal, language: Language) -> str:
    """An annual rate given as a fraction, `Decimal("0.0365")` → `3.65%`."""
    return format_percent(rate, format=_PERCENT, locale=_locale(language))
