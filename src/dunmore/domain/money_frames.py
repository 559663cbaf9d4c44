"""Money columns in Polars frames: minor units ⇄ exact decimal text, vectorised per row's currency."""

from __future__ import annotations

import polars as pl

from dunmore.domain.money import exponent


def exponent_expr(currency: str | pl.Expr, currencies: list[str]) -> pl.Expr:
    """The currency's exponent per row; `currencies` lists the codes that occur (validated codes)."""
    column = pl.col(currency) if isinstance(currency, str) else currency
    mapping = {code: exponent(code) for code in currencies}
    if not mapping:  # no currency occurs, so every row's is null; Polars types an empty map as String
        return pl.lit(None, dtype=pl.Int64)  # on a one-row frame, which broke the export of one customer
    return column.replace_strict(mapping, return_dtype=pl.Int64)


def minor_to_text(minor: str, currency: str, currencies: list[str]) -> pl.Expr:
    """`12345` CNY → `"123.45"`, `700` JPY → `"700"`, `-5` EUR → `"-0.05"`; null stays null."""
    places = exponent_expr(currency, currencies)
    scale = pl.lit(10, dtype=pl.Int64).pow(places)
    magnitude = pl.col(minor).abs()
    whole = (magnitude // scale).cast(pl.String)
    fraction = (magnitude % scale).cast(pl.String).str.zfill(places)
    sign = pl.when(pl.col(minor) < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    text = sign + whole + pl.when(places > 0).then(pl.lit(".") + fraction).otherwise(pl.lit(""))
    return pl.when(pl.col(minor).is_null()).then(None).otherwise(text).alias(minor)
