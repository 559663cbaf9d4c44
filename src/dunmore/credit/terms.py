"""Payment terms as data: what part of a contract's amount falls due when (docs/contracts.md).

Every term is a list of parts; a part is a share of the amount, the event it follows and an offset:

- `net 30`: the whole amount 30 days after signing;
- `eom 15`: the whole amount 15 days after the end of the month of signing (月结 + 15);
- `30% signing; 60% delivery+30d; 10% acceptance+12m`: percentage milestones, in this order, whose
  shares sum to exactly 100 %; an offset counts days (`d`) or months (`m`) after the event;
- `instalments 6 every 2m`: six equal instalments, the first two months after signing.

A part whose event (delivery, acceptance) is not recorded yet has no due date: it falls due when the
event is recorded. Shares are exact fractions, never floats. `parse_terms` refuses anything else with
a sentence saying what to write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from dunmore.errors import BadArgument
from dunmore.i18n import _m

__all__ = ["Event", "Part", "Terms", "parse_terms"]

TEXT_MAX = 500
OFFSET_DAYS_MAX = 3650
OFFSET_MONTHS_MAX = 120
INSTALMENTS_MAX = 120
PARTS_MAX = 24

_NET = re.compile(r"^net\s*(\d{1,4})$")
_EOM = re.compile(r"^eom\s*\+?\s*(\d{1,4})$")
_INSTALMENTS = re.compile(r"^instalments\s+(\d{1,3})\s+every\s+(\d{1,3})\s*m$")
_MILESTONE = re.compile(r"^(\d{1,3}(?:\.\d{1,2})?)\s*%\s*([a-z]+)\s*(?:\+\s*(\d{1,4})\s*([dm]))?$")


class Event(StrEnum):
    """What a part of the amount waits for. Signing is the contract's date; the others are recorded."""

    SIGNING = "signing"
    DELIVERY = "delivery"
    ACCEPTANCE = "acceptance"


@dataclass(frozen=True, slots=True)
class Part:
    """`share` of the amount, due `days`/`months` after `event` (after the end of its month when
    `end_of_month`)."""

    share: Fraction
    event: Event
    days: int = 0
    months: int = 0
    end_of_month: bool = False

    @property
    def label(self) -> str:
        """The part as the terms write it: `60% delivery+30d`."""
        percent = Decimal(self.share.numerator * 100) / Decimal(self.share.denominator)
        shown = f"{percent.quantize(Decimal('0.01')).normalize():f}%"
        after = f"+{self.months}m" if self.months else (f"+{self.days}d" if self.days else "")
        return f"{shown} {self.event.value}{after}"


@dataclass(frozen=True, slots=True)
class Terms:
    """Parsed payment terms: their canonical text and their parts, in the order they were written."""

    text: str
    parts: tuple[Part, ...]

    @property
    def events(self) -> frozenset[Event]:
        return frozenset(part.event for part in self.parts)


def _refuse(text: str) -> BadArgument:
    return BadArgument(
        _m(
            "payment terms %(text)s: write `net 30`, `eom 15`, `instalments 6 every 2m`, or milestones "
            "such as `30%% signing; 60%% delivery+30d; 10%% acceptance+12m` (shares summing to 100%%)",
            text=repr(text),
        )
    )


def parse_terms(text: str) -> Terms:
    """The terms a person wrote, as data; `BadArgument` for anything else."""
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned or len(cleaned) > TEXT_MAX:
        raise _refuse(text[:60])
    if found := _NET.match(cleaned):
        days = _bounded(int(found[1]), OFFSET_DAYS_MAX, text)
        return Terms(f"net {days}", (Part(Fraction(1), Event.SIGNING, days=days),))
    if found := _EOM.match(cleaned):
        days = _bounded(int(found[1]), OFFSET_DAYS_MAX, text)
        return Terms(f"eom {days}", (Part(Fraction(1), Event.SIGNING, days=days, end_of_month=True),))
    if found := _INSTALMENTS.match(cleaned):
        return _instalments(int(found[1]), int(found[2]), text)
    return _milestones(cleaned, text)


def _bounded(value: int, most: int, text: str, least: int = 0) -> int:
    if not least <= value <= most:
        raise _refuse(text)
    return value


def _instalments(count: int, every: int, text: str) -> Terms:
    count = _bounded(count, INSTALMENTS_MAX, text, least=1)
    every = _bounded(every, OFFSET_MONTHS_MAX, text, least=1)
    if count * every > OFFSET_MONTHS_MAX * 10:
        raise _refuse(text)
    parts = tuple(Part(Fraction(1, count), Event.SIGNING, months=every * n) for n in range(1, count + 1))
    return Terms(f"instalments {count} every {every}m", parts)


def _milestones(cleaned: str, text: str) -> Terms:
    pieces = [piece.strip() for piece in re.split(r"[;,]", cleaned) if piece.strip()]
    if not 1 <= len(pieces) <= PARTS_MAX:
        raise _refuse(text)
    parts = tuple(_milestone(piece, text) for piece in pieces)
    total = sum(part.share for part in parts)
    if total != 1:
        percent = Decimal(total.numerator * 100) / Decimal(total.denominator)
        raise BadArgument(
            _m(
                "the milestones of %(text)s sum to %(total)s%%, not 100%%: correct the shares",
                text=repr(text),
                total=format(percent.normalize(), "f"),
            )
        )
    return Terms("; ".join(part.label for part in parts), parts)


def _milestone(piece: str, text: str) -> Part:
    found = _MILESTONE.match(piece)
    if found is None or found[2] not in Event._value2member_map_:
        raise _refuse(text)
    try:
        percent = Decimal(found[1])
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise _refuse(text) from exc
    if not 0 < percent <= 100:
        raise _refuse(text)
    share = Fraction(percent) / 100
    amount, unit = int(found[3] or 0), found[4]
    if unit == "m":
        return Part(share, Event(found[2]), months=_bounded(amount, OFFSET_MONTHS_MAX, text))
    return Part(share, Event(found[2]), days=_bounded(amount, OFFSET_DAYS_MAX, text))
