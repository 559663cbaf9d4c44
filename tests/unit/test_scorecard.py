"""The scorecard file: the default is valid and scores as documented; a bad file is refused with
every problem, each with its line and key; what would move a factor reads as a sentence."""

from __future__ import annotations

import pytest

from dunmore.credit.grades_explain import _better, _moves
from dunmore.credit.scorecard import ScorecardError, default_text, load_scorecard_text

DEFAULT = load_scorecard_text(default_text(), source="default")


def test_the_default_gives_the_documented_grades() -> None:
    assert DEFAULT.grade_of(100, 30) == "A"
    assert DEFAULT.grade_of(79, 30) == "B"
    assert DEFAULT.grade_of(40, 30) == "C"
    assert DEFAULT.grade_of(39, 30) == "D"
    assert DEFAULT.grade_of(100, 2) == "N"
    assert DEFAULT.points("avg_days_beyond_terms", 0) == 30
    assert DEFAULT.points("avg_days_beyond_terms", 61) == 0
    assert DEFAULT.points("months_history", 25) == 10
    assert DEFAULT.terms("D").limits["CNY"] == 0
    assert DEFAULT.hold_grades == frozenset({"D"})


def test_every_problem_of_a_bad_file_is_reported_with_its_line() -> None:
    text = default_text().replace("- {up_to: 5, points: 25}", "- {up_to: -1, points: 25}", 1)
    text = text.replace("C: {min_points: 40", "C: {min_points: 70", 1)
    text = text.replace('CNY: "100000.00"', "CNY: 0.5", 1).replace("overdue_days: 90", "overdue_days: 0")
    with pytest.raises(ScorecardError) as raised:
        load_scorecard_text(text, source="card.yaml")
    found = [(p.line, p.path) for p in raised.value.problems]
    assert found == [
        (9, "factors.avg_days_beyond_terms[1]"),
        (50, "grades"),
        (57, "new_customers.limit.CNY"),
        (63, "holds.overdue_days"),
    ]
    assert "floating-point" in raised.value.problems[2].reason


def test_what_would_earn_more_points() -> None:
    bands = DEFAULT.bands["avg_days_beyond_terms"]
    assert str(_better(bands, 12, 15)) == "at most 5 would earn 10 more points"
    assert _better(bands, 0, 30) is None
    assert str(_better(DEFAULT.bands["months_history"], 4, 2)) == "at least 7 would earn 3 more points"
    assert [str(m) for m in _moves(DEFAULT, "B", 70)] == [
        "10 more points would raise the grade to A",
        "11 points fewer would lower the grade to C",
    ]


def test_the_early_warnings_are_said_in_each_language() -> None:
    from dunmore.workspace.alert_texts import kind_name, said

    down = {"before": "A", "after": "C"}
    assert said("grade_downgraded", down, customer="C1", language="zh-CN") == "C1 的等级从 A 降为 C"
    assert said("grade_downgraded", down, customer="C1", language="en").endswith("from grade A to C")
    worse = {"before": 0, "after": 21}
    assert "三個月前為 0 天" in said("beyond_terms_worsening", worse, customer="C1", language="zh-TW")
    assert kind_name("first_broken_promise", "zh-CN") == "首次违背承诺"
