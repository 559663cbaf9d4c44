"""How long work reports its progress: a callback `(stage, done, total)` that services call.

Services stay free of any terminal: the CLI passes a progress bar, tests and scripts pass `quiet`.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def quiet(stage: str, done: int, total: int) -> None:
    """Report nothing."""
