"""The portfolio rules file: first match wins, the default catches the rest, and every problem of a
file is reported at once with its file, line and path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunmore.domain.portfolio_rules import (
    CustomerFacts,
    PortfolioRulesError,
    moves,
    place,
    read_rules,
)

RULES = """rules:
  - portfolio: key
    grade: [A]
  - portfolio: hk
    country: [HK, MO]
    currency: [HKD, USD]
  - portfolio: big
    overdue: {currency: CNY, min: "100000.00", max: "1000000.00"}
  - portfolio: vip
    tags: [vip]
default: general
"""


def facts(**given: object) -> CustomerFacts:
    values: dict[str, object] = {"id": 1, "portfolio": "default", "grade": None, "country": "CN",
                                 "tags": frozenset(), "currencies": frozenset(), "overdue": {}}  # fmt: skip
    return CustomerFacts(**(values | given))  # type: ignore[arg-type]


def test_first_match_wins_and_the_default_catches_the_rest() -> None:
    rules = read_rules(RULES, "rules.yaml")
    assert place(rules, facts(grade="A", country="HK", currencies=frozenset({"USD"}))) == "key"
    assert place(rules, facts(country="HK", currencies=frozenset({"USD"}))) == "hk"
    assert place(rules, facts(country="HK", currencies=frozenset({"CNY"}))) == "general"
    assert place(rules, facts(overdue={"CNY": 100_000_00})) == "big"
    assert place(rules, facts(overdue={"CNY": 1_000_000_00}, tags=frozenset({"vip"}))) == "vip"
    assert place(rules, facts(overdue={"CNY": 99_999_99})) == "general"


def test_without_a_default_an_unmatched_customer_stays() -> None:
    rules = read_rules("rules:\n  - portfolio: key\n    grade: [A]\n", "rules.yaml")
    assert place(rules, facts(portfolio="west")) == "west"
    assert moves(rules, [facts(id=1, portfolio="west"), facts(id=2, grade="A")]) == {2: ("default", "key")}


@given(st.lists(st.tuples(st.sampled_from(["A", "B", None]), st.sampled_from(["CN", "HK"])), max_size=8))
def test_applying_the_moves_leaves_nothing_to_move(customers: list[tuple[str | None, str]]) -> None:
    rules = read_rules(RULES, "rules.yaml")
    before = [facts(id=n, grade=grade, country=country) for n, (grade, country) in enumerate(customers)]
    moved = moves(rules, before)
    after = [facts(id=f.id, grade=f.grade, country=f.country,
                   portfolio=moved.get(f.id, (f.portfolio, f.portfolio))[1]) for f in before]  # fmt: skip
    assert moves(rules, after) == {}


BAD = """rules:
  - portfolio: key
    grade: A
  - portfolio: hk
    country: [hongkong]
  - portfolio: big
    overdue: {currency: ZZZ, min: "1"}
  - portfolio: small
    overdue: {currency: CNY, min: "100.00", max: "50.00"}
  - portfolio: float
    overdue: {currency: CNY, min: 10.5}
  - portfolio: everyone
  - portfolio: key
    region: [north]
default: ""
"""


def test_every_problem_is_reported_with_its_line() -> None:
    with pytest.raises(PortfolioRulesError) as caught:
        read_rules(BAD, "rules.yaml")
    found = [(p.line, p.path) for p in caught.value.problems]
    assert found == [
        (3, "rules[0].grade"),
        (5, "rules[1].country[0]"),
        (7, "rules[2].overdue.currency"),
        (9, "rules[3].overdue.max"),
        (11, "rules[4].overdue.min.CNY"),
        (12, "rules[5]"),
        (13, "rules[6]"),
        (14, "rules[6].region"),
        (15, "default"),
    ]
    text = str(caught.value)
    assert "9 problem(s) in the portfolio rules" in text
    assert 'rules.yaml:5: rules[1].country[0]: "hongkong" is not a country code' in text
    assert "rules.yaml:14: rules[6].region: unknown key 'region' in a rule" in text


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "the file is empty"),
        ("rules: [\n", 2, "YAML syntax error"),
        ("default: general\n", 1, "missing required key 'rules'"),
        ("rules:\n  - grade: [A]\n", 2, "missing required key 'portfolio'"),
    ],
)
def test_a_broken_file_says_where(text: str, line: int, reason: str) -> None:
    with pytest.raises(PortfolioRulesError) as caught:
        read_rules(text, "r.yaml")
    first = caught.value.problems[0]
    assert (first.file, first.line) == ("r.yaml", line)
    assert reason in first.reason
