"""Dunning policies: the shipped example, routing, fingerprints, and every reason a file is refused.

Rejection cases are written as small YAML files: `doc(...)` puts the given lines into a policy `p`
whose body starts on line 3, followed by a default route to `p`.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from dunmore.domain.policy import (
    CHANNELS,
    Policy,
    PolicySet,
    Route,
    Step,
    load_policy_file,
    load_policy_text,
)
from dunmore.errors import InputFileError, PolicyError, PolicyProblem

EXAMPLE = Path(__file__).parents[2] / "examples" / "dunning.yaml"
LEVEL = "levels: [{name: first, at: 3, channels: [email], template: overdue-1}]"


def doc(*policy_lines: str, routes: str = "routes: [{policy: p}]") -> str:
    """A file with one policy `p` made of `policy_lines` (they start on line 3) and the given routes."""
    body = "\n".join(f"    {line}" for line in policy_lines)
    return f"policies:\n  p:\n{body}\n{routes}\n"


def load(text: str) -> PolicySet:
    return load_policy_text(text, source="dunning.yaml")


def problems_of(text: str) -> list[PolicyProblem]:
    with pytest.raises(PolicyError) as caught:
        load(text)
    return caught.value.problems


def only_problem(text: str) -> PolicyProblem:
    problems = problems_of(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


@pytest.fixture(scope="module")
def example() -> PolicySet:
    return load_policy_file(EXAMPLE)


# --- the shipped example ------------------------------------------------------------------------------


def test_example_standard_policy_values(example: PolicySet) -> None:
    standard = example.policies["standard"]
    assert standard.min_days_between_notices == 7
    assert standard.allow_skip is False
    assert dict(standard.minimum_overdue) == {"CNY": 10000, "EUR": 1000, "USD": 1000, "JPY": 1000}
    assert standard.interest_rate == Decimal("0.0365")
    assert [(step.name, step.at) for step in standard.reminders] == [("pre-due", -3), ("due-today", 0)]


def test_example_fees_are_minor_units(example: PolicySet) -> None:
    second, final = example.policies["standard"].levels[1:3]
    assert dict(second.fee) == {"CNY": 5000, "EUR": 500, "USD": 500, "JPY": 700}
    assert final.fee["EUR"] == 4000
    assert final.fee["JPY"] == 5000


def test_example_levels_in_order_with_their_options(example: PolicySet) -> None:
    levels = example.policies["standard"].levels
    level = dict(enumerate(levels, start=1))
    assert [step.name for step in levels] == [
        "first-overdue",
        "second-overdue",
        "final-notice",
        "legal-review",
    ]
    assert level[1].channels == ("email", "sms")
    assert level[1].fee == {}
    assert (level[3].deadline_days, level[3].charge_interest) == (10, True)
    assert (level[4].requires_approval, level[4].deadline_days) == (True, None)


def test_example_gentle_policy_has_no_interest(example: PolicySet) -> None:
    gentle = example.policies["gentle"]
    assert gentle.interest_rate is None
    assert gentle.minimum_overdue["JPY"] == 5000
    assert [step.at for step in gentle.levels] == [7, 21, 45]
    assert gentle.levels[2].deadline_days == 14


def test_example_routes(example: PolicySet) -> None:
    assert example.routes == (
        Route(when_tags_any=frozenset({"strategic"}), when_grade=None, policy="gentle"),
        Route(when_tags_any=None, when_grade=frozenset({"A"}), policy="gentle"),
        Route(when_tags_any=None, when_grade=None, policy="standard"),
    )


# --- routing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "tags", "policy"),
    [
        ("C", ["strategic"], "gentle"),
        ("A", [], "gentle"),
        (None, ["other", "strategic"], "gentle"),
        ("B", ["other"], "standard"),
        (None, [], "standard"),
    ],
)
def test_route(example: PolicySet, grade: str | None, tags: list[str], policy: str) -> None:
    assert example.route(grade, tags) == policy
    assert example.policy_for(grade, tags).name == policy


TWO_CONDITIONS = """\
policies:
  vip: {levels: [{name: a, at: 1, channels: [call], template: t}]}
  rest: {levels: [{name: a, at: 1, channels: [email], template: t}]}
routes:
  - {when: {grade: [A, B], tags_any: [key-account]}, policy: vip}
  - {policy: rest}
"""


@pytest.mark.parametrize(
    ("grade", "tags", "policy"),
    [("A", ["key-account"], "vip"), ("A", [], "rest"), ("C", ["key-account"], "rest"), (None, [], "rest")],
)
def test_route_needs_every_condition(grade: str | None, tags: list[str], policy: str) -> None:
    assert load(TWO_CONDITIONS).route(grade, tags) == policy


def test_policy_set_refuses_routes_without_default() -> None:
    only = Policy(name="p", levels=(Step("a", 1, ("email",), "t"),))
    with pytest.raises(ValueError, match="default route"):
        PolicySet({"p": only}, (Route(frozenset({"x"}), None, "p"),))


# --- fingerprint and immutability ---------------------------------------------------------------------


def test_fingerprint_is_stable_and_ignores_layout(example: PolicySet) -> None:
    relaid = EXAMPLE.read_text().replace(
        '{annual_rate: "0.0365"}', '\n      annual_rate: "0.03650"  # 3.65 %'
    )
    assert load(relaid) == example
    assert load(relaid).fingerprint() == example.fingerprint() == load_policy_file(EXAMPLE).fingerprint()
    assert len(example.fingerprint()) == 64


def test_fingerprint_changes_with_a_value(example: PolicySet) -> None:
    changed = EXAMPLE.read_text().replace('EUR: "5.00"', 'EUR: "6.00"')
    assert load(changed).fingerprint() != example.fingerprint()


def test_models_are_frozen(example: PolicySet) -> None:
    step = example.policies["standard"].levels[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.at = 99  # type: ignore[misc]
    with pytest.raises(TypeError):
        step.fee["EUR"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        example.policies["other"] = example.policies["gentle"]  # type: ignore[index]


def test_a_percentage_fee_with_a_cap_is_accepted_as_an_exact_share() -> None:
    policies = load(
        doc(
            "levels:",
            "  - name: a",
            "    at: 3",
            "    channels: [email]",
            "    template: t",
            "    fee: {CNY: '5%', JPY: '2.5 %', EUR: '5.00'}",
            "    fee_cap: {CNY: '500.00'}",
        )
    )
    step = policies.policies["p"].levels[0]
    assert dict(step.fee_rate) == {"CNY": Decimal("0.05"), "JPY": Decimal("0.025")}
    assert (dict(step.fee), dict(step.fee_cap)) == ({"EUR": 500}, {"CNY": 500_00})
    assert step.fee_currencies == {"CNY", "JPY", "EUR"}


def test_a_step_refuses_a_fixed_and_a_percentage_fee_in_one_currency() -> None:
    with pytest.raises(ValueError, match="a fixed and a percentage fee for CNY"):
        Step("a", 3, ("email",), "t", fee={"CNY": 500}, fee_rate={"CNY": Decimal("0.05")})


def test_constructor_copies_and_freezes_mappings() -> None:
    fee = {"EUR": 500}
    step = Step("a", 1, ("email",), "t", fee=fee)
    fee["EUR"] = 1
    assert step.fee == {"EUR": 500}
    assert isinstance(step.channels, tuple)


# --- loading ------------------------------------------------------------------------------------------


def test_minimal_policy_gets_defaults() -> None:
    policy = load(doc(LEVEL)).policies["p"]
    assert policy == Policy(name="p", levels=(Step("first", 3, ("email",), "overdue-1"),))
    assert policy.minimum_overdue == {}


def test_a_policy_caps_a_contract_interest_clause_at_an_annual_rate() -> None:
    policy = load(doc(LEVEL, "interest: {annual_rate: '0.0365', contract_cap: '0.1488'}")).policies["p"]
    assert (policy.interest_rate, policy.contract_interest_cap) == (Decimal("0.0365"), Decimal("0.1488"))
    assert load(doc(LEVEL, "interest: {annual_rate: '0.0365'}")).policies["p"].contract_interest_cap is None


def test_a_step_sets_its_sms_budget_in_segments() -> None:
    text = doc("levels: [{name: first, at: 3, channels: [sms], template: overdue-1, sms_segments: 1}]")
    assert load(text).policies["p"].levels[0].sms_segments == 1
    assert load(doc(LEVEL)).policies["p"].levels[0].sms_segments == 2


def test_an_sms_budget_must_be_a_positive_whole_number() -> None:
    bad = doc("levels: [{name: first, at: 3, channels: [sms], template: overdue-1, sms_segments: 0}]")
    assert "must be at least 1, got 0" in only_problem(bad).reason
    worse = doc("levels: [{name: first, at: 3, channels: [sms], template: overdue-1, sms_segments: two}]")
    assert "a whole number of SMS segments" in only_problem(worse).reason


def test_integer_amounts_and_yaml_merge_keys_are_accepted() -> None:
    text = """\
policies:
  base: &base
    minimum_overdue: {JPY: 1000, EUR: 10}
    levels: [{name: a, at: 1, channels: [email], template: t}]
  copy:
    <<: *base
    min_days_between_notices: 3
routes: [{policy: copy}]
"""
    policies = load(text).policies
    assert dict(policies["copy"].minimum_overdue) == {"JPY": 1000, "EUR": 1000}
    assert policies["copy"].levels == policies["base"].levels


def test_file_with_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "dunning.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + doc(LEVEL).encode())
    assert load_policy_file(path).route(None, []) == "p"


def test_file_not_in_utf8_is_an_input_file_error(tmp_path: Path) -> None:
    path = tmp_path / "dunning.yaml"
    path.write_bytes("policies: {p: {}}  # 催款\n".encode("gb18030"))
    with pytest.raises(InputFileError, match="is not UTF-8 text"):
        load_policy_file(path)


def test_missing_file_is_an_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read the dunning policy"):
        load_policy_file(tmp_path / "nope.yaml")


# --- rejections: one per reason -----------------------------------------------------------------------

REJECTIONS = {
    "yaml syntax": (
        "policies:\n  p: {levels: [a, b}\nroutes: []\n",
        2,
        "",
        "YAML syntax error: expected ',' or ']'",
    ),
    "duplicate yaml key": (doc(LEVEL, LEVEL), 4, "", 'found duplicate key "levels"'),
    "tab indentation": ("policies:\n\tp: {}\n", 2, "", "indent with spaces, not tabs"),
    "empty file": ("# nothing yet\n", 1, "", "the file is empty"),
    "file not a mapping": ("- policies\n", 1, "", "expected a mapping for the policy file, got a list"),
    "unknown top-level key": (
        doc(LEVEL) + "version: 2\n",
        5,
        "version",
        "unknown key 'version' in the policy file: allowed keys are policies, routes",
    ),
    "unknown policy key": (
        doc(LEVEL, "colour: red"),
        4,
        "policies.p.colour",
        "unknown key 'colour' in a policy: allowed keys are min_days_between_notices, allow_skip,",
    ),
    "unknown level key": (
        doc("levels: [{name: a, at: 1, channels: [email], template: t, tone: stern}]"),
        3,
        "policies.p.levels[0].tone",
        "allowed keys are name, at, channels, template, fee, fee_cap, deadline_days, charge_interest,",
    ),
    "fee on a reminder": (
        doc(LEVEL, "reminders: [{name: r, at: -1, channels: [email], template: t, fee: {EUR: '1.00'}}]"),
        4,
        "policies.p.reminders[0].fee",
        "unknown key 'fee' in a reminder: fees are charged on levels only",
    ),
    "missing step key": (
        doc("levels:", "  - name: a", "    at: 1", "    channels: [email]"),
        4,
        "policies.p.levels[0]",
        "missing required key 'template' in a level",
    ),
    "missing policies": (
        "routes: [{policy: p}]\n",
        1,
        "",
        "missing required key 'policies' in the policy file",
    ),
    "missing routes": (doc(LEVEL, routes=""), 1, "", "missing required key 'routes' in the policy file"),
    "at is text": (
        doc("levels: [{name: a, at: '3', channels: [email], template: t}]"),
        3,
        "policies.p.levels[0].at",
        'expected a whole number of days, got the text "3"',
    ),
    "at is a float": (
        doc("levels: [{name: a, at: 3.5, channels: [email], template: t}]"),
        3,
        "policies.p.levels[0].at",
        "expected a whole number of days, got the number 3.5",
    ),
    "channels not a list": (
        doc("levels: [{name: a, at: 3, channels: email, template: t}]"),
        3,
        "policies.p.levels[0].channels",
        'expected a list of channels, got the text "email"',
    ),
    "boolean as text": (
        doc(LEVEL, "allow_skip: 'false'"),
        4,
        "policies.p.allow_skip",
        'expected true or false (unquoted), got the text "false"',
    ),
    "yes is not a boolean": (
        doc("levels: [{name: a, at: 3, channels: [email], template: t, charge_interest: yes}]"),
        3,
        "policies.p.levels[0].charge_interest",
        'expected true or false (unquoted), got the text "yes"',
    ),
    "float amount": (
        doc(LEVEL, "minimum_overdue: {EUR: 5.0}"),
        4,
        "policies.p.minimum_overdue.EUR",
        'floats lose precision: quote it, as "5.0"',
    ),
    "amount neither text nor int": (
        doc(LEVEL, "minimum_overdue: {EUR: [5]}"),
        4,
        "policies.p.minimum_overdue.EUR",
        'expected a quoted decimal such as "10.00", got a list',
    ),
    "malformed amount": (
        doc(LEVEL, "minimum_overdue: {EUR: '5 EUR'}"),
        4,
        "policies.p.minimum_overdue.EUR",
        '"5 EUR" is not a decimal number',
    ),
    "unknown channel": (
        doc("levels: [{name: a, at: 3, channels: [email, fax], template: t}]"),
        3,
        "policies.p.levels[0].channels[1]",
        "unknown channel 'fax': allowed channels are email, sms, letter, call, visit, task",
    ),
    "channel twice": (
        doc("levels: [{name: a, at: 3, channels: [sms, sms], template: t}]"),
        3,
        "policies.p.levels[0].channels[1]",
        "channel 'sms' is listed twice",
    ),
    "no channel": (
        doc("levels: [{name: a, at: 3, channels: [], template: t}]"),
        3,
        "policies.p.levels[0].channels",
        "list at least one of email, sms",
    ),
    "unknown currency": (
        doc(LEVEL, "minimum_overdue: {RMB: '5.00'}"),
        4,
        "policies.p.minimum_overdue.RMB",
        "unknown currency 'RMB'",
    ),
    "too many decimals for EUR": (
        doc("levels:", "  - {name: a, at: 3, channels: [email], template: t, fee: {EUR: '5.001'}}"),
        4,
        "policies.p.levels[0].fee.EUR",
        '"5.001" has more decimals than EUR allows (2)',
    ),
    "a percentage that is not a number": (
        doc("levels:", "  - {name: a, at: 3, channels: [email], template: t, fee: {CNY: 'five%'}}"),
        4,
        "policies.p.levels[0].fee.CNY",
        '"five%" is not a percentage: write digits and a "%", as "5%" or "2.5%"',
    ),
    "a percentage above 100": (
        doc("levels:", "  - {name: a, at: 3, channels: [email], template: t, fee: {CNY: '150%'}}"),
        4,
        "policies.p.levels[0].fee.CNY",
        '"150%" is not between 0% and 100% of the dunned amount',
    ),
    "a cap on a fixed fee": (
        doc(
            "levels:",
            "  - {name: a, at: 3, channels: [sms], template: t,",
            "     fee: {CNY: '5.00'}, fee_cap: {CNY: '9.00'}}",
        ),
        5,
        "policies.p.levels[0].fee_cap.CNY",
        'fee_cap CNY caps nothing: fee CNY is not a percentage such as "5%"',
    ),
    "decimals for JPY": (
        doc(
            "levels:",
            "  - name: a",
            "    at: 3",
            "    channels: [email]",
            "    template: t",
            "    fee:",
            "      JPY: '700.5'",
        ),
        9,
        "policies.p.levels[0].fee.JPY",
        '"700.5" has more decimals than JPY allows (0)',
    ),
    "fee above the largest stored amount": (
        doc(
            "levels:",
            "  - {name: a, at: 3, channels: [email], template: t, fee: {CNY: '123456789012345678'}}",
        ),
        4,
        "policies.p.levels[0].fee.CNY",
        "123456789012345678 CNY is above the largest amount Dunmore stores, 1000000000.00 CNY",
    ),
    "minimum above the largest stored amount, as a YAML integer": (
        doc(LEVEL, "minimum_overdue: {JPY: 100000000001}"),
        4,
        "policies.p.minimum_overdue.JPY",
        "100000000001 JPY is above the largest amount Dunmore stores, 100000000000 JPY",
    ),
    "negative amount": (
        doc(LEVEL, "minimum_overdue: {USD: '-1.00'}"),
        4,
        "policies.p.minimum_overdue.USD",
        '"-1.00" is negative: amounts must be zero or more',
    ),
    "reminder after due date": (
        doc(LEVEL, "reminders: [{name: r, at: 2, channels: [email], template: t}]"),
        4,
        "policies.p.reminders[0].at",
        "at must be 0 or less, got 2",
    ),
    "level on due date": (
        doc("levels: [{name: a, at: 0, channels: [email], template: t}]"),
        3,
        "policies.p.levels[0].at",
        "a level comes after the due date: at must be 1 or more, got 0",
    ),
    "levels out of order": (
        doc(
            "levels:",
            "  - {name: a, at: 15, channels: [email], template: t}",
            "  - {name: b, at: 15, channels: [email], template: t}",
        ),
        5,
        "policies.p.levels[1].at",
        "at 15 is not after the previous level 'a' (at 15): list levels in increasing order of at",
    ),
    "reminders out of order": (
        doc(
            LEVEL,
            "reminders:",
            "  - {name: r1, at: 0, channels: [email], template: t}",
            "  - {name: r2, at: -3, channels: [email], template: t}",
        ),
        6,
        "policies.p.reminders[1].at",
        "at -3 is not after the previous reminder 'r1' (at 0)",
    ),
    "duplicate step name": (
        doc(LEVEL, "reminders: [{name: first, at: -1, channels: [email], template: t}]"),
        3,
        "policies.p.levels[0].name",
        "step name 'first' is already used on line 4: names must be unique within a policy",
    ),
    "annual rate of 100 %": (
        doc(LEVEL, "interest: {annual_rate: '1'}"),
        4,
        "policies.p.interest.annual_rate",
        '"1" is not in [0, 1)',
    ),
    "contract cap of 100 %": (
        doc(LEVEL, "interest: {annual_rate: '0.08', contract_cap: '1'}"),
        4,
        "policies.p.interest.contract_cap",
        '"1" is not in [0, 1)',
    ),
    "negative annual rate": (
        doc(LEVEL, "interest: {annual_rate: '-0.01'}"),
        4,
        "policies.p.interest.annual_rate",
        '"-0.01" is not in [0, 1)',
    ),
    "annual rate as float": (
        doc(LEVEL, "interest: {annual_rate: 0.08}"),
        4,
        "policies.p.interest.annual_rate",
        'quote it, as "0.08"',
    ),
    "interest without rate": (
        doc(LEVEL, "interest: {}"),
        4,
        "policies.p.interest",
        "missing required key 'annual_rate' in interest",
    ),
    "charge_interest without interest": (
        doc("levels: [{name: a, at: 3, channels: [email], template: t, charge_interest: true}]"),
        3,
        "policies.p.levels[0].charge_interest",
        "charge_interest is true but the policy has no interest",
    ),
    "negative spacing": (
        doc(LEVEL, "min_days_between_notices: -1"),
        4,
        "policies.p.min_days_between_notices",
        "must be at least 0, got -1",
    ),
    "zero deadline": (
        doc("levels: [{name: a, at: 3, channels: [email], template: t, deadline_days: 0}]"),
        3,
        "policies.p.levels[0].deadline_days",
        "must be at least 1, got 0",
    ),
    "route to unknown policy": (
        doc(LEVEL, routes="routes: [{policy: gentle}]"),
        4,
        "routes[0].policy",
        "unknown policy 'gentle': the policies defined are p",
    ),
    "no default route": (
        doc(LEVEL, routes="routes: [{when: {grade: [A]}, policy: p}]"),
        4,
        "routes[0]",
        "no default route: the last route must have no when",
    ),
    "route after the default": (
        doc(LEVEL, routes="routes:\n  - {policy: p}\n  - {when: {grade: [A]}, policy: p}"),
        6,
        "routes[1]",
        "unreachable: routes[0] (line 5) has no when",
    ),
    "unknown when key": (
        doc(LEVEL, routes="routes:\n  - {when: {segment: [x]}, policy: p}\n  - {policy: p}"),
        5,
        "routes[0].when.segment",
        "unknown key 'segment' in when: allowed keys are tags_any, grade",
    ),
    "empty when": (
        doc(LEVEL, routes="routes:\n  - {when: {}, policy: p}\n  - {policy: p}"),
        5,
        "routes[0].when",
        "when has no conditions: leave when out to make this the default route",
    ),
    "empty tag list": (
        doc(LEVEL, routes="routes:\n  - {when: {tags_any: []}, policy: p}\n  - {policy: p}"),
        5,
        "routes[0].when.tags_any",
        "an empty list never matches",
    ),
    "no routes": (doc(LEVEL, routes="routes: []"), 4, "routes", "no routes: add at least a default route"),
    "no policies": ("policies: {}\nroutes: [{policy: p}]\n", 1, "policies", "no policies defined"),
    "empty policy": (
        "policies:\n  p: {}\nroutes: [{policy: p}]\n",
        2,
        "policies.p",
        "policy 'p' is empty: give it reminders, levels or both",
    ),
    "key that is not text": (
        doc(LEVEL, "7: seven"),
        4,
        "policies.p",
        "keys must be text, got the number 7",
    ),
}


@pytest.mark.parametrize(("text", "line", "path", "reason"), REJECTIONS.values(), ids=REJECTIONS.keys())
def test_rejection(text: str, line: int, path: str, reason: str) -> None:
    problem = only_problem(text)
    assert (problem.file, problem.line, problem.path) == ("dunning.yaml", line, path)
    assert reason in problem.reason


def test_every_problem_is_reported_at_once() -> None:
    text = doc(
        "allow_skip: 'no'",
        "minimum_overdue: {EUR: 5.0, JPY: '700.5'}",
        "levels:",
        "  - {name: a, at: 0, channels: [fax], template: t}",
        routes="routes: [{policy: nope}]",
    )
    problems = problems_of(text)
    assert [(problem.line, problem.path) for problem in problems] == [
        (3, "policies.p.allow_skip"),
        (4, "policies.p.minimum_overdue.EUR"),
        (4, "policies.p.minimum_overdue.JPY"),
        (6, "policies.p.levels[0].at"),
        (6, "policies.p.levels[0].channels[0]"),
        (7, "routes[0].policy"),
    ]


def test_policy_error_reads_well() -> None:
    text = doc("levels: [{name: a, at: 3, channels: [email], template: t, fee: {EUR: '5.001'}}]")
    with pytest.raises(PolicyError) as caught:
        load(text)
    error = caught.value
    assert (error.code, error.exit_code) == ("policy", 2)
    assert str(error.problems[0]) == (
        'dunning.yaml:3: policies.p.levels[0].fee.EUR: "5.001" has more decimals than EUR allows (2)'
    )
    assert str(error).splitlines() == ["1 problem in the dunning policy:", str(error.problems[0])]


def test_channels_are_the_documented_ones() -> None:
    assert CHANNELS == ("email", "sms", "letter", "call", "visit", "task")
