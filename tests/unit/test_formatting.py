"""Amounts, dates, numbers and rates as each notice language writes them (Babel, exact Decimals)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dunmore.delivery.formatting import long_date, money, number, percent
from dunmore.delivery.view import Language
from dunmore.domain.money import Money


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        (Money(1234500, "CNY"), "zh-CN", "¥12,345.00"),
        (Money(1234500, "CNY"), "zh-TW", "CN¥12,345.00"),
        (Money(1234500, "CNY"), "en", "CN¥12,345.00"),
        (Money(123400, "EUR"), "en", "€1,234.00"),
        (Money(123400, "EUR"), "zh-CN", "€1,234.00"),
        (Money(5000, "JPY"), "en", "JP¥5,000"),
        (Money(5000, "JPY"), "zh-CN", "JP¥5,000"),
        (Money(5000, "JPY"), "zh-TW", "¥5,000"),
        (Money(1250, "USD"), "en", "US$12.50"),
        (Money(123456, "TWD"), "zh-TW", "$1,234.56"),
        (Money(1234, "KWD"), "en", "KWD1.234"),
        (Money(-1250, "CNY"), "zh-CN", "-¥12.50"),
        (Money(5, "CNY"), "zh-CN", "¥0.05"),
        # beyond a float's 15–16 significant digits: exact only from integer minor units
        (Money(123456789012345678, "CNY"), "zh-CN", "¥1,234,567,890,123,456.78"),
    ],
)
def test_money_is_exact_and_follows_the_language(amount: Money, language: Language, expected: str) -> None:
    assert money(amount, language) == expected


@pytest.mark.parametrize(
    ("day", "language", "expected"),
    [
        (date(2026, 11, 22), "zh-CN", "2026年11月22日"),
        (date(2026, 11, 22), "zh-TW", "2026年11月22日"),
        (date(2026, 11, 22), "en", "22 November 2026"),
        (date(2026, 1, 5), "zh-CN", "2026年1月5日"),
        (date(2026, 1, 5), "en", "5 January 2026"),
    ],
)
def test_long_dates(day: date, language: Language, expected: str) -> None:
    assert long_date(day, language) == expected


def test_numbers_keep_every_decimal_and_group_thousands() -> None:
    assert number(Decimal("1234567.891234"), "zh-CN") == "1,234,567.891234"
    assert number(1234567, "en") == "1,234,567"
    assert number(34, "zh-TW") == "34"


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (Decimal("0.0365"), "3.65%"),
        (Decimal("0.08"), "8%"),
        (Decimal("0.0005"), "0.05%"),
        (Decimal("0.1"), "10%"),
    ],
)
def test_percent(rate: Decimal, expected: str) -> None:
    for language in ("zh-CN", "zh-TW", "en"):
        assert percent(rate, language) == expected


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown notice language 'fr'"):
        money(Money(100, "EUR"), "fr")  # type: ignore[arg-type]
