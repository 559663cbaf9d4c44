"""Fast reproducible draws for the demo generator, built on `random.Random.random()` alone.

`Random.randint`, `choice` and `choices` are general and comparatively slow; a benchmark portfolio
needs tens of millions of draws, so the generator uses these thin helpers instead.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from functools import cache
from typing import TypeVar

T = TypeVar("T")


def between(rng: random.Random, low: int, high: int) -> int:
    """A whole number from `low` to `high`, both included."""
    return low + int(rng.random() * (high - low + 1))


def choose(rng: random.Random, options: Sequence[T]) -> T:
    """One of `options`, each equally likely."""
    return options[int(rng.random() * len(options))]


@cache
def _cumulative(weights: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(itertools.accumulate(weights))


def pick(rng: random.Random, options: Sequence[T], weights: tuple[float, ...]) -> T:
    """One of `options`, drawn with the given relative weights."""
    cumulative = _cumulative(weights)
    index = bisect.bisect(cumulative, rng.random() * cumulative[-1])
    return options[min(index, len(options) - 1)]


def digits(rng: random.Random, count: int) -> str:
    """`count` random decimal digits, leading zeros included."""
    return f"{int(rng.random() * 10**count):0{count}d}"
