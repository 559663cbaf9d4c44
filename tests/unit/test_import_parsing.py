"""The vectorised cell parsers agree with the one-value money functions, and know the date spellings."""

from __future__ import annotations

from datetime import date as Date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunmore.domain.money import Money, format_minor
from dunmore.errors import DunmoreError
from dunmore.imports import parsing
from dunmore.imports.columns import Kind
from dunmore.imports.export import as_file_columns
from dunmore.imports.fields import dtype, stored_columns
from dunmore.imports.parsing import EXPONENT, exponent_of


def parse_amounts(
    texts: list[str | None], currency: str, *, positive: bool = False
) -> list[tuple[object, object]]:
    frame = pl.DataFrame(
        {"amount": texts, "currency": [currency] * len(texts)},
        schema={"amount": pl.String, "currency": pl.String},
    )
    cell = parsing.amount("amount", positive=positive)
    out = (
        frame.lazy()
        .with_columns(exponent_of("currency").alias(EXPONENT))
        .with_columns(cell.steps)
        .select(cell.value.alias("minor"), cell.reason.alias("reason"))
        .with_columns(pl.when(pl.col("reason").is_null()).then(pl.col("minor")).alias("minor"))
        .collect()
    )
    return list(out.iter_rows())


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.5", "CNY", 123450),
        ("1,234.50", "CNY", 123450),
        ("1,234,567.8", "CNY", 123456780),
        ("0.01", "CNY", 1),
        ("12.", "CNY", 1200),
        ("12.340", "CNY", 1234),
        ("007", "CNY", 700),
        ("700", "JPY", 700),
        ("1,000", "JPY", 1000),
        ("700.0", "JPY", 700),
        ("1.234", "KWD", 1234),
        ("0.5", "KWD", 500),
        ("-0", "CNY", 0),
    ],
)
def test_amounts_become_exact_minor_units_of_their_currency(text: str, currency: str, minor: int) -> None:
    assert parse_amounts([text], currency) == [(minor, None)]


def test_an_empty_amount_has_no_value_and_no_reason() -> None:
    assert parse_amounts([None], "CNY") == [(None, None)]


ASCII_AMOUNTS = st.one_of(
    st.text(alphabet="0123456789.,-", max_size=12),
    st.decimals(min_value=-(10**9), max_value=10**12, places=4, allow_nan=False).map(str),
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False).map(lambda d: f"{d:,}"),
)


def reference(text: str, currency: str, positive: bool) -> int | None:
    """What `Money.parse` makes of the text, with the import's sign and zero rules."""
    try:
        minor = Money.parse(text, currency).minor
    except DunmoreError:
        return None
    if minor < 0 or (positive and minor == 0):
        return None
    return minor


@given(
    st.lists(ASCII_AMOUNTS, min_size=1, max_size=20), st.sampled_from(["CNY", "JPY", "KWD"]), st.booleans()
)
def test_the_vectorised_parser_accepts_exactly_what_money_parse_accepts(
    texts: list[str], currency: str, positive: bool
) -> None:
    cleaned: list[str | None] = [text.strip() or None for text in texts]
    parsed = parse_amounts(cleaned, currency, positive=positive)
    for text, (minor, reason) in zip(cleaned, parsed, strict=True):
        if text is None:
            continue
        expected = reference(text, currency, positive)
        assert minor == expected, (text, reason)
        assert (reason is None) == (expected is not None), (text, reason)


def parse_dates(texts: list[str]) -> list[Date | None]:
    cell = parsing.date("d")
    frame = pl.DataFrame({"d": texts}).lazy().with_columns(cell.steps).select(cell.value).collect()
    return frame.to_series().to_list()


def test_the_four_date_spellings_mean_the_same_day() -> None:
    texts = [
        "2024-03-05",
        "2024/03/05",
        "2024.03.05",
        "2024年3月5日",
        "2024/3/5",
        "2024-3-05",
        "2024 年 3 月 5 日",
    ]
    assert parse_dates(texts) == [Date(2024, 3, 5)] * len(texts)


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-30",
        "2023-02-29",
        "05/03/2024",
        "2024-03",
        "2024/03-05",
        "20240305",
        "2024-03-05 10:00",
        "明天",
    ],
)
def test_other_date_spellings_and_impossible_days_are_refused(text: str) -> None:
    assert parse_dates([text]) == [None]


def test_a_leap_day_is_a_date() -> None:
    assert parse_dates(["2024年2月29日"]) == [Date(2024, 2, 29)]


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**15), st.sampled_from(["CNY", "JPY", "KWD", "CLF"])), min_size=1))
def test_exported_amounts_are_exactly_format_minor(values: list[tuple[int, str]]) -> None:
    stored = pl.DataFrame(
        [
            (i, f"P{i}", 1, Date(2026, 1, 1), minor, currency, None)
            for i, (minor, currency) in enumerate(values)
        ],
        schema={name: dtype(name) for name in ["id", *stored_columns(Kind.PAYMENTS)]},
        orient="row",
    )
    customers = pl.DataFrame({"id": [1], "external_id": ["C1"]})
    exported = as_file_columns(
        stored, Kind.PAYMENTS, customers, pl.DataFrame(schema={"id": pl.Int64, "external_id": pl.String})
    )
    assert exported.get_column("amount").to_list() == [
        format_minor(minor, currency) for minor, currency in values
    ]
