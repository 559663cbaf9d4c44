"""SMS segment counting: GSM-7 with its extension table, UCS-2 with surrogate pairs, greedy parts."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunmore.delivery.segments import LIMITS, SmsSegments, count_segments, encoding_of, sms_parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsSegments("GSM-7", 0, 1)),
        ("a" * 160, SmsSegments("GSM-7", 160, 1)),
        ("a" * 161, SmsSegments("GSM-7", 161, 2)),
        ("a" * 306, SmsSegments("GSM-7", 306, 2)),
        ("a" * 307, SmsSegments("GSM-7", 307, 3)),
        ("€", SmsSegments("GSM-7", 2, 1)),
        ("€" * 80, SmsSegments("GSM-7", 160, 1)),
        ("€" * 81, SmsSegments("GSM-7", 162, 2)),
        ("^{}\\[~]|", SmsSegments("GSM-7", 16, 1)),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà", SmsSegments("GSM-7", 41, 1)),
        ("CN¥15,741.51 due", SmsSegments("GSM-7", 16, 1)),
        ("中" * 70, SmsSegments("UCS-2", 70, 1)),
        ("中" * 71, SmsSegments("UCS-2", 71, 2)),
        ("中" * 134, SmsSegments("UCS-2", 134, 2)),
        ("中" * 135, SmsSegments("UCS-2", 135, 3)),
        ("😀", SmsSegments("UCS-2", 2, 1)),
        ("Hello 中", SmsSegments("UCS-2", 7, 1)),
        ("ç", SmsSegments("UCS-2", 1, 1)),  # lower-case c cedilla is not in the GSM table
        ("a" * 69 + "`", SmsSegments("UCS-2", 70, 1)),  # the backtick is not either
    ],
)
def test_examples(text: str, expected: SmsSegments) -> None:
    assert count_segments(text) == expected


def test_an_escape_pair_is_never_split_between_parts() -> None:
    text = "a" * 152 + "€" + "a" * 10
    assert sms_parts(text) == ("a" * 152, "€" + "a" * 10)
    assert count_segments(text) == SmsSegments("GSM-7", 164, 2)


def test_a_surrogate_pair_is_never_split_between_parts() -> None:
    text = "中" * 66 + "😀" + "中" * 5
    assert sms_parts(text) == ("中" * 66, "😀" + "中" * 5)
    assert count_segments(text) == SmsSegments("UCS-2", 73, 2)


def test_one_chinese_character_makes_the_whole_text_ucs2() -> None:
    assert count_segments("a" * 100).segments == 1
    assert count_segments("a" * 100 + "元") == SmsSegments("UCS-2", 101, 2)


GSM = "abcXYZ019 @£$¥èÇΔ_!?\n"
EXTENSION = "€[]{}^~|\\"
WIDE = "中文逾期款项😀🙂"
TEXTS = st.text(alphabet=st.sampled_from(GSM + EXTENSION + WIDE), max_size=400) | st.text(
    alphabet=st.sampled_from(GSM + EXTENSION), max_size=400
)


def _cost(char: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return 2 if char in EXTENSION else 1
    return len(char.encode("utf-16-le")) // 2


@given(TEXTS)
def test_units_encoding_and_parts_agree(text: str) -> None:
    counted = count_segments(text)
    assert counted.encoding == ("GSM-7" if all(c in GSM + EXTENSION for c in text) else "UCS-2")
    assert counted.encoding == encoding_of(text)
    assert counted.units == sum(_cost(c, counted.encoding) for c in text)
    parts = sms_parts(text)
    assert "".join(parts) == text
    assert len(parts) == counted.segments


@given(TEXTS)
def test_parts_are_full_and_within_the_limits(text: str) -> None:
    counted = count_segments(text)
    single, per_part = LIMITS[counted.encoding]
    parts = sms_parts(text)
    if counted.units <= single:
        assert parts == (text,)
        return
    sizes = [sum(_cost(c, counted.encoding) for c in part) for part in parts]
    assert all(0 < size <= per_part for size in sizes)
    # greedy: a part ends only when the next character would not fit
    for part, following in itertools.pairwise(parts):
        size = sum(_cost(c, counted.encoding) for c in part)
        assert size + _cost(following[0], counted.encoding) > per_part
    assert (
        math.ceil(counted.units / per_part) <= counted.segments <= math.ceil(counted.units / (per_part - 1))
    )
