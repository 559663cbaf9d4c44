"""The languages notices are written in, apart so that naming them (in `--help`) loads no Babel."""

from __future__ import annotations

from typing import Final, Literal

Language = Literal["zh-CN", "zh-TW", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh-CN", "zh-TW", "en")
