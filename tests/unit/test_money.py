"""Money: integer minor units of a currency with its real exponent; exact, never a float."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunmore.domain.money import (
    INT64_MAX,
    MAX_AMOUNT_MINOR,
    MAX_SUMMED_AMOUNTS,
    Money,
    exponent,
    format_minor,
    parse_decimal,
    round_half_up,
    to_minor,
)
from dunmore.domain.money_frames import minor_to_text
from dunmore.errors import AmountError, CurrencyError

CURRENCIES = st.sampled_from(["CNY", "JPY", "KWD", "EUR", "USD"])
MINOR = st.integers(-MAX_AMOUNT_MINOR, MAX_AMOUNT_MINOR)


def test_exponents_are_the_real_ones() -> None:
    assert (exponent("JPY"), exponent("CNY"), exponent("EUR"), exponent("USD"), exponent("KWD")) == (
        0,
        2,
        2,
        2,
        3,
    )


def test_parsing_is_exact_and_refuses_finer_amounts() -> None:
    assert Money.parse("1,234.50", "CNY") == Money(123450, "CNY")
    assert Money.parse("700", "JPY") == Money(700, "JPY")
    assert Money.parse("0.125", "KWD") == Money(125, "KWD")
    for text, currency in [("5.001", "EUR"), ("700.5", "JPY"), ("0.0001", "KWD")]:
        with pytest.raises(AmountError, match="more decimals"):
            Money.parse(text, currency)
    for bad in ["1e3", "12.3.4", "¥12", "", "1,23.00", "abc"]:
        with pytest.raises(AmountError, match="malformed"):
            parse_decimal(bad)


def test_mixing_currencies_raises_and_unknown_codes_are_refused() -> None:
    with pytest.raises(CurrencyError):
        Money(100, "CNY") + Money(100, "USD")
    with pytest.raises(CurrencyError):
        Money(1, "RMB")
    with pytest.raises(AmountError):
        Money(1.5, "CNY")  # type: ignore[arg-type]


def test_half_up_rounding_of_computed_amounts() -> None:
    assert round_half_up(Decimal("0.005"), "CNY") == 1
    assert round_half_up(Decimal("0.004999"), "CNY") == 0
    assert round_half_up(Decimal("2.5"), "JPY") == 3
    assert round_half_up(Decimal("-0.005"), "CNY") == -1  # half away from zero, symmetric


@given(MINOR, CURRENCIES)
def test_format_then_parse_is_the_identity(minor: int, currency: str) -> None:
    assert Money.parse(format_minor(minor, currency), currency) == Money(minor, currency)


@given(MINOR, MINOR, MINOR, CURRENCIES)
def test_addition_is_exact_associative_and_undone_by_subtraction(
    a: int, b: int, c: int, currency: str
) -> None:
    x, y, z = Money(a, currency), Money(b, currency), Money(c, currency)
    assert (x + y) + z == x + (y + z)
    assert x + y - y == x
    assert (x + y).amount == x.amount + y.amount


@given(MINOR, CURRENCIES)
def test_decimal_amount_round_trips_through_minor_units(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert to_minor(money.amount, currency) == minor
    assert isinstance(money.amount, Decimal)


@pytest.mark.parametrize(
    ("text", "currency", "limit"),
    [("1000000000.01", "CNY", "1000000000.00 CNY"), ("100000000001", "JPY", "100000000000 JPY"),
     ("123456789012345678", "USD", "1000000000.00 USD")],
)  # fmt: skip
def test_an_amount_above_the_largest_stored_amount_is_refused_naming_the_limit(
    text: str, currency: str, limit: str
) -> None:
    with pytest.raises(AmountError, match=f"above the largest amount Dunmore stores, {limit}"):
        Money.parse(text, currency)


def test_the_largest_amount_is_accepted_and_ten_million_of_them_sum_within_64_bits() -> None:
    assert Money.parse("1000000000.00", "CNY").minor == MAX_AMOUNT_MINOR
    assert MAX_SUMMED_AMOUNTS >= 10_000_000
    assert MAX_SUMMED_AMOUNTS * MAX_AMOUNT_MINOR <= INT64_MAX


@pytest.mark.parametrize("rows", [1, 2])
def test_amounts_without_a_currency_convert_to_null_on_frames_of_any_height(rows: int) -> None:
    frame = pl.DataFrame({"m": [None] * rows, "c": [None] * rows}, schema={"m": pl.Int64, "c": pl.String})
    assert frame.select(minor_to_text("m", "c", []))["m"].to_list() == [None] * rows
