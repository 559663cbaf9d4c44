"""Routes of examples/dunning.yaml: strategic customers and grade A get `gentle`, the rest `standard`.

The same invoice — 1,000.00 CNY due 2026-09-01 — is dunned on different days: gentle reminds at −5
and first writes at +7 (by email only, no interest); standard reminds at −3 and writes at +3 (by email
and SMS, with interest).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.scenarios.story import Story, digest

DAYS = ("2026-08-27", "2026-08-29", "2026-09-04", "2026-09-08")
GENTLE = {
    "2026-08-27": ["C1 CNY reminder pre-due: INV-1 L0 -5d 1000.00"],
    "2026-08-29": [],
    "2026-09-04": [],
    "2026-09-08": ["C1 CNY L1 first-overdue: INV-1 L1 +7d 1000.00"],
}
STANDARD = {
    "2026-08-27": [],
    "2026-08-29": ["C1 CNY reminder pre-due: INV-1 L0 -3d 1000.00"],
    "2026-09-04": ["C1 CNY L1 first-overdue: INV-1 L1 +3d 1000.00 (interest 0.30)"],
    "2026-09-08": [],
}
LEVEL_CHANNELS = {"gentle": ["email"], "standard": ["email", "sms"]}


@pytest.mark.parametrize(
    ("grade", "tags", "policy"),
    [
        pytest.param("B", ("strategic",), "gentle", id="strategic-tag"),
        pytest.param("A", (), "gentle", id="grade-A"),
        pytest.param("C", ("export", "retail"), "standard", id="other-tags"),
        pytest.param(None, (), "standard", id="no-grade"),
    ],
)
def test_the_route_picks_the_ladder(
    engine: Engine, grade: str | None, tags: tuple[str, ...], policy: str
) -> None:
    story = Story(engine)
    story.customer("C1", grade=grade, tags=tags)
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="1000.00")

    seen = {as_of: story.run(as_of) for as_of in DAYS}

    assert {as_of: digest(notices) for as_of, notices in seen.items()} == (
        GENTLE if policy == "gentle" else STANDARD
    )
    level_notice = next(n for notices in seen.values() for n in notices if n["kind"] == "level")
    channels = [channel for channel, _ in story.deliveries(level_notice["notice_id"])]
    assert channels == LEVEL_CHANNELS[policy]
    assert story.explain("C1", "2026-09-08")["INV-1"].facts["policy"] == policy
