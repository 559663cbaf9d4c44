"""How many examples the costly property tests draw: those that hold a fast path (the engine, its
partitions, the grades, the plans) equal to its plain reference, each example a Polars pass.

The numbers in the tests are what CI can afford: together with the rest they keep the suite under
ten minutes on a 2-core machine. `DUNMORE_TEST_DEPTH=N` multiplies them by N (an integer from 1 to
100), for a deeper run before a release or after a change to the engine: `DUNMORE_TEST_DEPTH=5
./dev test tests/unit`. Hypothesis keeps the examples that failed in `.hypothesis/` and draws them
first the next time, whatever the depth.
"""

from __future__ import annotations

import os

_DEPTH = "DUNMORE_TEST_DEPTH"


def examples(base: int) -> int:
    """`base` examples, times the depth asked for in the environment (1 if none)."""
    given = os.environ.get(_DEPTH, "1").strip()
    if not given.isdigit() or not 1 <= int(given) <= 100:
        raise ValueError(f"{_DEPTH}={given!r}: give a whole number from 1 to 100 (1 is the default)")
    return base * int(given)
