"""Aging buckets: open amounts grouped by days past due (as-of date minus due date).

Pure: a bucket set is built from its upper bounds and turned into due-date ranges for one as-of
date, so that the database can bucket with plain date comparisons on any backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dunmore.errors import DunmoreError
from dunmore.i18n import _m

DEFAULT_BOUNDS = (30, 60, 90, 180)


class BucketError(DunmoreError):
    code = "aging_buckets"
    exit_code = 2


@dataclass(frozen=True)
class Bucket:
    """Days past due from `low` to `high` inclusive (`high` None: no upper end)."""

    low: int
    high: int | None

    @property
    def label(self) -> str:
        if self.high == 0:
            return "not due"
        if self.high is None:
            return f">{self.low - 1}"
        return f"{self.low}-{self.high}"

    def earliest_due(self, as_of: date) -> date | None:
        """The earliest due date in this bucket on `as_of` (None: no lower limit)."""
        return None if self.high is None else as_of - timedelta(days=self.high)


def buckets(bounds: tuple[int, ...] = DEFAULT_BOUNDS) -> tuple[Bucket, ...]:
    """Not due (≤ 0 days), then 1–b1, b1+1–b2, …, and everything above the last bound."""
    if not bounds or any(b <= 0 for b in bounds) or list(bounds) != sorted(set(bounds)):
        raise BucketError(
            _m(
                "bucket bounds must be increasing positive days, e.g. 30,60,90,180 (got %(bounds)s)",
                bounds=str(bounds),
            )
        )
    result = [Bucket(-(10**6), 0)]
    low = 1
    for bound in bounds:
        result.append(Bucket(low, bound))
        low = bound + 1
    result.append(Bucket(low, None))
    return tuple(result)


def parse_bounds(text: str) -> tuple[int, ...]:
    """`"30,60,90,180"` → (30, 60, 90, 180), with a clear error for anything else."""
    try:
        bounds = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise BucketError(
            _m(
                "bucket bounds must be whole days separated by commas, e.g. 30,60,90 (got %(text)s)",
                text=repr(text),
            )
        ) from exc
    buckets(bounds)
    return bounds
