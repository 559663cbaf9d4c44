"""`explain`: why each item of a customer is where it is, and what comes next on which date.

Standard policy of examples/dunning.yaml: levels at +3, +15, +30, +60; 7 days between notices.
INV-1 (due 2026-09-01) got its first-overdue notice on 2026-09-04; INV-2 is due 2026-09-06.
"""

from __future__ import annotations

from sqlalchemy import Engine

from dunmore.run.models import NOTICES, RUNS
from tests.scenarios.story import Story


def spacing_story(engine: Engine) -> Story:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.invoice("INV-2", "C1", issued="2026-08-06", due="2026-09-06", amount="4000.00")
    story.run("2026-09-04")
    return story


def test_an_item_held_by_the_spacing_says_so_and_names_the_day_it_may_go(engine: Engine) -> None:
    story = spacing_story(engine)
    written = [story.count(table) for table in (RUNS, NOTICES)]

    on_0909 = story.explain("C1", "2026-09-09")

    held = on_0909["INV-2"]
    assert held.reasons == ["route_default", "spacing", "next_step"]
    assert held.sentences == [
        "policy standard: the default route",
        "held back: the last notice was on 2026-09-04; the next may go on 2026-09-11",
        "next: first-overdue on 2026-09-11",
    ]
    assert held.facts["next_step"] == {"step": "first-overdue", "date": "2026-09-11"}
    assert (held.facts["level"], held.facts["target_level"], held.facts["rises_today"]) == (0, 1, False)
    waiting = on_0909["INV-1"]
    assert waiting.reasons == ["route_default", "at_target", "next_step"]
    assert waiting.facts["next_step"] == {"step": "second-overdue", "date": "2026-09-16"}
    assert [story.count(table) for table in (RUNS, NOTICES)] == written  # explaining writes nothing


def test_on_the_day_it_rises_the_next_step_counts_the_spacing_from_today(engine: Engine) -> None:
    story = spacing_story(engine)

    on_0911 = story.explain("C1", "2026-09-11")

    assert on_0911["INV-2"].sentences[1:] == [
        "rises today from level 0 to level 1 (first-overdue)",
        "next: second-overdue on 2026-09-21",
    ]
    # INV-1 reaches +15 on 09-16, but today's notice holds it until 09-18.
    assert on_0911["INV-1"].facts["next_step"] == {"step": "second-overdue", "date": "2026-09-18"}


def test_an_item_the_minimum_holds_back_says_what_must_change_instead_of_a_date(engine: Engine) -> None:
    # 80.00 CNY overdue against the standard policy's 100.00 minimum: no date would be true.
    story = Story(engine)
    story.customer("C2", grade="B")
    story.invoice("INV-9", "C2", issued="2026-08-01", due="2026-09-01", amount="80.00")
    story.run("2026-09-01")

    held = story.explain("C2", "2026-09-20")["INV-9"]

    assert held.reasons == ["route_default", "below_minimum", "next_at_minimum"]
    assert held.sentences[1:] == [
        "held back: the overdue total 80.00 is below the policy minimum 100.00 for CNY; "
        "it is dunned when it reaches 100.00",
        "next: first-overdue, once the overdue total reaches 100.00 CNY (now 80.00)",
    ]
    assert held.facts["next_step"] == {
        "step": "first-overdue",
        "date": None,
        "when_overdue_total_reaches": "100.00",
    }
