"""Money as integer minor units of an ISO 4217 currency; `Decimal` for arithmetic, never a float.

A currency's exponent (how many minor units make one major unit) comes from CLDR through Babel:
JPY 0, CNY/EUR/USD 2, KWD 3. `round_half_up` is the one rounding function of Dunmore.

Every amount that enters (a file's cell, a policy's fee or minimum, a command's argument) is at
most `MAX_AMOUNT_MINOR` minor units, so that sums over the rows of a ledger cannot overflow the
signed 64-bit integers of storage, SQL and Polars (see docs/design/ledger.md, "Bounds").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from dunmore.errors import AmountError, CurrencyError
from dunmore.i18n import _m

# Codes CLDR still lists but that no longer circulate are accepted too: ledgers hold old documents.
_CODE = re.compile(r"^[A-Z]{3}$")
_AMOUNT = re.compile(r"^(?P<sign>-)?(?P<int>\d+)(?:\.(?P<frac>\d*))?$")
_GROUPED = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")

# The largest single amount Dunmore accepts, in minor units: 1,000,000,000.00 of a currency with 2
# decimals (CNY, USD), 100,000,000,000 JPY, 100,000,000.000 KWD.
MAX_AMOUNT_MINOR = 10**11
# How many amounts of at most MAX_AMOUNT_MINOR a signed 64-bit sum holds: 92,233,720.
INT64_MAX = 2**63 - 1
MAX_SUMMED_AMOUNTS = INT64_MAX // MAX_AMOUNT_MINOR


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    """Return the code if it is a known ISO 4217 currency, else raise `CurrencyError`."""
    if not _CODE.match(code) or code not in known_currencies():
        raise CurrencyError(
            _m("unknown currency %(code)s: use an ISO 4217 code such as CNY, USD, EUR, JPY", code=repr(code))
        )
    return code


@cache
def exponent(code: str) -> int:
    """Number of decimal places of the currency's minor unit (JPY 0, CNY 2, KWD 3)."""
    return int(get_currency_precision(check_currency(code)))


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal amount as people type it: `1234.5`, `1,234.50`, ` 12 `, `-3`.

    Raises `AmountError` for anything else (letters, two dots, exponents, currency symbols).
    """
    cleaned = text.strip()
    if _GROUPED.match(cleaned):
        cleaned = cleaned.replace(",", "")
    if not _AMOUNT.match(cleaned):
        raise AmountError(
            _m("malformed amount %(text)s: write digits with an optional '.', e.g. 1234.50", text=repr(text))
        )
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid decimals
        raise AmountError(_m("malformed amount %(text)s", text=repr(text))) from exc


def max_amount(currency: str) -> str:
    """The largest amount Dunmore stores, in the currency's major units: `"1000000000.00"` CNY."""
    return format_minor(MAX_AMOUNT_MINOR, currency)


def check_bound(amount: Decimal, currency: str) -> Decimal:
    """Return the amount if it is at most the largest amount Dunmore stores, else raise `AmountError`."""
    if abs(amount.scaleb(exponent(currency))) > MAX_AMOUNT_MINOR:
        raise AmountError(
            _m(
                "%(amount)s %(currency)s is above the largest amount Dunmore stores, %(most)s %(currency)s: "
                "check it for a typo, or split it into several documents",
                amount=amount,
                currency=currency,
                most=max_amount(currency),
            )
        )
    return amount


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact conversion of an entered amount to minor units; refuses amounts finer than the
    currency's minor unit and amounts above `MAX_AMOUNT_MINOR`."""
    scaled = check_bound(amount, currency).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountError(
            _m(
                "%(amount)s has more decimals than %(currency)s allows (%(places)s)",
                amount=amount,
                currency=currency,
                places=exponent(currency),
            )
        )
    return int(scaled)


def round_half_up(amount: Decimal, currency: str) -> int:
    """Round a computed amount (interest, a share) half-up to the currency's minor unit."""
    return int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_minor(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string with the currency's exact number of places."""
    places = exponent(currency)
    value = Decimal(minor).scaleb(-places)
    return f"{value:.{places}f}"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency, held as integer minor units. Mixing currencies raises."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise AmountError(_m("minor units must be an int, not %(kind)s", kind=type(self.minor).__name__))
        check_currency(self.currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """`Money.parse("1,234.50", "CNY")` → 123450 fen; refuses `"5.001"` EUR and `"700.5"` JPY."""
        return cls(to_minor(parse_decimal(text), currency), currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        decimal = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        return cls(to_minor(decimal, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyError(
                _m("cannot combine %(first)s and %(second)s", first=self.currency, second=other.currency)
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"
