"""How many SMS a text costs: its encoding (GSM-7 or UCS-2), its length in units, its segments.

A text made only of GSM 03.38 characters is sent in GSM-7: 160 septets in one SMS, 153 per part
when it is split (the user-data header takes the rest). The extension-table characters (€ [ ] { } …)
cost two septets (an escape and the character), and a part never ends between the two. Any other
character (Chinese, most emoji) makes the whole text UCS-2: 70 UTF-16 code units in one SMS, 67 per
part; a character outside the BMP (most emoji) costs two units, a surrogate pair a part never splits.
Parts are filled greedily, as phones and gateways do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "LIMITS",
    "SmsSegments",
    "count_segments",
    "encoding_of",
    "sms_parts",
]

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")
# (single-message limit, per-part limit) in units of the encoding
LIMITS: Final[dict[Encoding, tuple[int, int]]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True, slots=True)
class SmsSegments:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # SMS billed; an empty text still takes one


def encoding_of(text: str) -> Encoding:
    """GSM-7 when every character is in the GSM basic or extension table, else UCS-2."""
    return "GSM-7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "UCS-2"


def _cost(char: str, encoding: Encoding) -> int:
    if encoding == "GSM-7":
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def sms_parts(text: str) -> tuple[str, ...]:
    """The text as the parts it is sent in; one part when it fits a single SMS."""
    encoding = encoding_of(text)
    single, per_part = LIMITS[encoding]
    if sum(_cost(c, encoding) for c in text) <= single:
        return (text,)
    parts: list[str] = []
    start, used = 0, 0
    for index, char in enumerate(text):
        cost = _cost(char, encoding)
        if used + cost > per_part:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return tuple(parts)


def count_segments(text: str) -> SmsSegments:
    """Encoding, length in units and number of SMS of `text`."""
    encoding = encoding_of(text)
    units = sum(_cost(c, encoding) for c in text)
    return SmsSegments(encoding, units, len(sms_parts(text)))
