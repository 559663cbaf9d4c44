"""Dunning policies: the ladder of reminders and levels a customer goes through, and who gets which.

A `Policy` is a named ladder. Its *reminders* go out on or before the due date (`at` ≤ 0 days from
it) and its *levels* after it (`at` > 0); level number n is `levels[n - 1]`. Levels may charge a fee
(per currency: a fixed amount in minor units, or a percentage of the dunned amount with an optional
cap), charge late interest, give a deadline or wait for approval. A
`PolicySet` holds the policies and the *routes* that pick one for a customer from its grade and tags.

Policies are written in YAML (see `examples/dunning.yaml`) and read by `load_policy_text` /
`load_policy_file`, which check everything and raise one `PolicyError` listing every problem with
its file, line and path. Every value here is frozen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Final, TypeVar

from dunmore.domain.next_steps import NextSteps, read_next_steps
from dunmore.domain.plan_reminders import INSTALMENT_STEP, PlanReminders, read_plan_reminders
from dunmore.domain.policy_yaml import Node, Reader
from dunmore.errors import InputFileError
from dunmore.i18n import _m

CHANNELS: Final = ("email", "sms", "letter", "call", "visit", "task")
# Bumped whenever the meaning of a field changes, so that old fingerprints stop matching.
_FINGERPRINT_FORMAT: Final = 1
T = TypeVar("T")


def _frozen_map(mapping: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class Step:
    """One notice of a ladder: sent `at` days from the due date (negative = before it)."""

    name: str
    at: int
    channels: tuple[str, ...]
    template: str
    fee: Mapping[str, int] = field(default_factory=dict)  # currency → minor units
    # currency → a share of the dunned amount (Decimal("0.05") for "5%"); a currency is in one of
    # `fee` and `fee_rate`, never both. `fee_cap` caps a percentage fee (currency → minor units).
    fee_rate: Mapping[str, Decimal] = field(default_factory=dict)
    fee_cap: Mapping[str, int] = field(default_factory=dict)
    deadline_days: int | None = None
    charge_interest: bool = False
    requires_approval: bool = False
    sms_segments: int = 2  # the longest SMS text the step's template may render, in SMS segments

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "fee", _frozen_map(self.fee))
        object.__setattr__(self, "fee_rate", MappingProxyType(dict(self.fee_rate)))
        object.__setattr__(self, "fee_cap", _frozen_map(self.fee_cap))
        if both := self.fee.keys() & self.fee_rate.keys():
            currencies = ", ".join(sorted(both))
            raise ValueError(f"step {self.name!r} has a fixed and a percentage fee for {currencies}")

    @property
    def fee_currencies(self) -> frozenset[str]:
        """The currencies this step charges a fee in (fixed or percentage)."""
        return frozenset(self.fee) | frozenset(self.fee_rate)


@dataclass(frozen=True, slots=True)
class PromiseLimits:
    """What a customer of the policy may promise (the policy's optional `promises:` section):
    `grace_days` after the promised date before it is broken, a date at most `max_days_out` days
    ahead, and no new promise without a manager once `max_broken` were broken in 12 months."""

    grace_days: int = 2
    max_days_out: int = 30
    max_broken: int = 2


@dataclass(frozen=True, slots=True)
class Policy:
    """A named ladder: reminders (`at` ≤ 0), then levels (`at` > 0; level n is `levels[n - 1]`)."""

    name: str
    min_days_between_notices: int = 0
    allow_skip: bool = False
    minimum_overdue: Mapping[str, int] = field(default_factory=dict)  # currency → minor units
    interest_rate: Decimal | None = None  # annual, e.g. Decimal("0.0365")
    # The highest annual rate a contract's interest clause may charge (a legal cap; None: none).
    contract_interest_cap: Decimal | None = None
    reminders: tuple[Step, ...] = ()
    levels: tuple[Step, ...] = ()
    promises: PromiseLimits = PromiseLimits()
    next_steps: NextSteps = field(default_factory=NextSteps)  # domain.next_steps
    plans: PlanReminders = field(default_factory=PlanReminders)  # domain.plan_reminders

    def __post_init__(self) -> None:
        object.__setattr__(self, "minimum_overdue", _frozen_map(self.minimum_overdue))
        object.__setattr__(self, "reminders", tuple(self.reminders))
        object.__setattr__(self, "levels", tuple(self.levels))


def sent_steps(policy: Policy) -> tuple[Step, ...]:
    """Every step whose notices the outbox sends: the ladder, and the instalment reminder when on."""
    instalments = (instalment_step(policy),) if policy.plans.remind_customer else ()
    return (*policy.reminders, *policy.levels, *instalments)


def instalment_step(policy: Policy) -> Step:
    """The step of the policy's instalment reminders (`domain.plan_reminders`), template of its name."""
    return Step(name=INSTALMENT_STEP, at=0, channels=instalment_channels(policy), template=INSTALMENT_STEP)


def instalment_channels(policy: Policy) -> tuple[str, ...]:
    """The channels of the instalment reminders: the `plans:` section's, or else the message channels
    (e-mail, SMS) the policy's ladder already uses, so no new channel needs setting up; e-mail if none."""
    if policy.plans.channels:
        return policy.plans.channels
    used = {channel for step in (*policy.reminders, *policy.levels) for channel in step.channels}
    return tuple(channel for channel in ("email", "sms") if channel in used) or ("email",)


@dataclass(frozen=True, slots=True)
class Route:
    """Send customers to `policy` when every condition given holds; no condition = the default route."""

    when_tags_any: frozenset[str] | None
    when_grade: frozenset[str] | None
    policy: str

    @property
    def is_default(self) -> bool:
        return self.when_tags_any is None and self.when_grade is None

    def holds(self, grade: str | None, tags: Set[str]) -> bool:
        """The grade is one of `when_grade`, and at least one tag is in `when_tags_any`."""
        grade_holds = self.when_grade is None or grade in self.when_grade
        tags_hold = self.when_tags_any is None or not self.when_tags_any.isdisjoint(tags)
        return grade_holds and tags_hold


@dataclass(frozen=True, slots=True)
class PolicySet:
    """All policies by name and the routes choosing among them; the last route is the default."""

    policies: Mapping[str, Policy]
    routes: tuple[Route, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "policies", MappingProxyType(dict(self.policies)))
        object.__setattr__(self, "routes", tuple(self.routes))
        if not self.routes or not self.routes[-1].is_default:
            raise ValueError("a policy set needs a default route (one without conditions) last")
        if unknown := {route.policy for route in self.routes} - self.policies.keys():
            raise ValueError(f"routes name unknown policies: {', '.join(sorted(unknown))}")

    def route(self, grade: str | None, tags: Iterable[str]) -> str:
        """Name of the policy for a customer: the first route whose conditions all hold."""
        tag_set = frozenset(tags)
        return next(route.policy for route in self.routes if route.holds(grade, tag_set))

    def policy_for(self, grade: str | None, tags: Iterable[str]) -> Policy:
        """The policy for a customer (see `route`)."""
        return self.policies[self.route(grade, tags)]

    def canonical_json(self) -> str:
        """The model as JSON with sorted keys and no spaces: equal policy sets give equal text."""
        document = {"format": _FINGERPRINT_FORMAT, "policy_set": _plain(self)}
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def fingerprint(self) -> str:
        """sha256 (hex) of `canonical_json()`: which version of the policies a run used."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def _plain(value: object) -> object:
    """JSON-ready copy of a model value; Decimals as plain strings, sets sorted."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(str(item) for item in value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


# ---------------------------------------------------------------------------------------------------
# Loading: YAML → model, every problem collected with its line.


def load_policy_file(path: Path) -> PolicySet:
    """Read and check a UTF-8 policy file (a BOM is allowed); see `load_policy_text`."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            _m(
                "%(path)s is not UTF-8 text: %(reason)s at byte %(byte)s",
                path=str(path),
                reason=exc.reason,
                byte=exc.start,
            )
        ) from exc
    except OSError as exc:
        raise InputFileError(
            _m("cannot read the dunning policy %(path)s: %(why)s", path=str(path), why=str(exc.strerror))
        ) from exc
    return load_policy_text(text, source=str(path))


def load_policy_text(text: str, *, source: str) -> PolicySet:
    """Parse and check a policy document; raise `PolicyError` listing every problem (`source` names it)."""
    reader = Reader(source)
    root = reader.parse(text)
    return reader.finish(_policy_set(reader, root) if root is not None else None)


def _policy_set(r: Reader, root: Node) -> PolicySet | None:
    found = r.fields(root, "the policy file", required=("policies", "routes"))
    if found is None:
        return None
    policies = _policies(r, found.get("policies"))
    routes = _routes(r, found.get("routes"), set(policies) if policies else None)
    if policies is None or routes is None or r.problems:
        return None
    return PolicySet({name: policy for name, policy in policies.items() if policy is not None}, routes)


def _policies(r: Reader, node: Node | None) -> dict[str, Policy | None] | None:
    """Every policy by name (`None` when not a mapping: its name still counts for the routes)."""
    pairs = r.entries(node, "policies")
    if node is None or pairs is None:
        return None
    if not pairs:
        r.report(node, "no policies defined: add at least one policy under policies")
    return {name: _policy(r, name, child) for name, child in pairs}


_POLICY_KEYS: Final = (
    "min_days_between_notices", "allow_skip", "minimum_overdue", "interest", "reminders", "levels",
    "promises", "next_steps", "plans",
)  # fmt: skip


def _policy(r: Reader, name: str, node: Node) -> Policy | None:
    found = r.fields(node, "a policy", optional=_POLICY_KEYS)
    if found is None:
        return None
    reminders = _steps(r, found.get("reminders"), _REMINDER)
    levels = _steps(r, found.get("levels"), _LEVEL)
    _check_unique_names(r, [*reminders, *levels])
    if "interest" not in found:
        _check_no_interest_charged(r, levels)
    if all(found.get(key) is None or found[key].empty for key in ("reminders", "levels")):
        r.report(node, f"policy {name!r} is empty: give it reminders, levels or both")
    rate, cap = _interest(r, found.get("interest"))
    return Policy(
        name=name,
        min_days_between_notices=_or(r.days(found.get("min_days_between_notices"), minimum=0), 0),
        allow_skip=_or(r.boolean(found.get("allow_skip")), False),
        minimum_overdue=_or(r.amounts(found.get("minimum_overdue")), {}),
        interest_rate=rate,
        contract_interest_cap=cap,
        reminders=tuple(placed.step for placed in reminders),
        levels=tuple(placed.step for placed in levels),
        promises=_promise_limits(r, found.get("promises")),
        next_steps=read_next_steps(r, found.get("next_steps")),
        plans=read_plan_reminders(r, found.get("plans")),
    )


def _promise_limits(r: Reader, node: Node | None) -> PromiseLimits:
    """The `promises:` section: each key optional, with its default."""
    if node is None:
        return PromiseLimits()
    found = r.fields(node, "promises", optional=("grace_days", "max_days_out", "max_broken")) or {}
    default = PromiseLimits()
    return PromiseLimits(
        grace_days=_or(r.days(found.get("grace_days"), minimum=0), default.grace_days),
        max_days_out=_or(r.days(found.get("max_days_out"), minimum=1), default.max_days_out),
        max_broken=_or(r.days(found.get("max_broken"), minimum=1, unit="promises"), default.max_broken),
    )


def _or(value: T | None, default: T) -> T:
    """An optional value, or its default when absent (or bad: the problem is already recorded)."""
    return default if value is None else value


def _interest(r: Reader, node: Node | None) -> tuple[Decimal | None, Decimal | None]:
    """`interest: {annual_rate: "0.08", contract_cap: "0.1488"}`: the policy's rate, and the annual
    rate a contract's interest clause is cut to (a legal cap such as 4 × LPR, R-CN-6; optional)."""
    found = r.fields(node, "interest", required=("annual_rate",), optional=("contract_cap",)) or {}
    return r.rate(found.get("annual_rate"), example="0.08"), r.rate(
        found.get("contract_cap"), example="0.1488"
    )


# ---------------------------------------------------------------------------------------------------
# Steps: reminders and levels.


@dataclass(frozen=True, slots=True)
class _StepKind:
    """What differs between reminders and levels: their keys, and the side of the due date they fall on."""

    noun: str
    plural: str
    optional: tuple[str, ...]
    hints: Mapping[str, str]
    after_due: bool  # levels: at > 0; reminders: at <= 0
    at_rule: str


_STEP_REQUIRED: Final = ("name", "at", "channels", "template")
_LEVEL: Final = _StepKind(
    "a level",
    "levels",
    ("fee", "fee_cap", "deadline_days", "charge_interest", "requires_approval", "sms_segments"),
    {},
    after_due=True,
    at_rule="a level comes after the due date: at must be 1 or more, got {at} (use reminders)",
)
_REMINDER: Final = _StepKind(
    "a reminder",
    "reminders",
    ("deadline_days", "requires_approval", "sms_segments"),
    {
        "fee": "fees are charged on levels only, once the invoice is overdue",
        "fee_cap": "fees are charged on levels only, once the invoice is overdue",
        "charge_interest": "interest is charged on levels only, once the invoice is overdue",
    },
    after_due=False,
    at_rule="a reminder goes out on or before the due date: at must be 0 or less, got {at} (use levels)",
)


@dataclass(frozen=True, slots=True)
class _Placed:
    """A step with the node it was read from, for problems that compare steps."""

    node: Node
    step: Step


def _steps(r: Reader, node: Node | None, kind: _StepKind) -> list[_Placed]:
    items = r.items(node, kind.plural) or []
    placed = [_Placed(item, step) for item in items if (step := _step(r, item, kind)) is not None]
    for before, after in pairwise(placed):
        if after.step.at <= before.step.at:
            r.report(
                after.node.child("at") or after.node,
                f"at {after.step.at} is not after the previous {kind.noun[2:]} {before.step.name!r} "
                f"(at {before.step.at}): list {kind.plural} in increasing order of at",
            )
    return placed


def _step(r: Reader, node: Node, kind: _StepKind) -> Step | None:
    found = r.fields(node, kind.noun, required=_STEP_REQUIRED, optional=kind.optional, hints=kind.hints)
    if found is None:
        return None
    name, template = r.text(found.get("name")), r.text(found.get("template"))
    at, channels = _at(r, found.get("at"), kind), r.choices(found.get("channels"), CHANNELS, noun="channel")
    fixed, rates = _or(r.fees(found.get("fee")), ({}, {}))
    cap = _fee_cap(r, found.get("fee_cap"), rates)
    if name is None or at is None or channels is None or template is None:
        return None
    return Step(
        name=name,
        at=at,
        channels=channels,
        template=template,
        fee=fixed,
        fee_rate=rates,
        fee_cap=cap,
        deadline_days=r.days(found.get("deadline_days"), minimum=1),
        charge_interest=_or(r.boolean(found.get("charge_interest")), False),
        requires_approval=_or(r.boolean(found.get("requires_approval")), False),
        sms_segments=_or(r.days(found.get("sms_segments"), minimum=1, unit="SMS segments"), 2),
    )


def _fee_cap(r: Reader, node: Node | None, rates: Mapping[str, Decimal]) -> dict[str, int]:
    """The caps of a level's percentage fees: a cap for a currency without one is reported."""
    caps = _or(r.amounts(node), {})
    for currency in sorted(caps.keys() - rates.keys()):
        place = (node.child(currency) if node else None) or node
        if place is not None:
            reason = f'fee_cap {currency} caps nothing: fee {currency} is not a percentage such as "5%"'
            r.report(place, reason)
    return {currency: cap for currency, cap in caps.items() if currency in rates}


def _at(r: Reader, node: Node | None, kind: _StepKind) -> int | None:
    at = r.integer(node)
    if node is None or at is None or (at > 0) == kind.after_due:
        return at
    r.report(node, kind.at_rule.format(at=at))
    return None


def _check_unique_names(r: Reader, placed: list[_Placed]) -> None:
    first: dict[str, _Placed] = {}
    for each in placed:
        earlier = first.setdefault(each.step.name, each)
        if earlier is not each:
            r.report(
                each.node.child("name") or each.node,
                f"step name {each.step.name!r} is already used on line {earlier.node.line}: "
                "names must be unique within a policy",
            )


def _check_no_interest_charged(r: Reader, levels: list[_Placed]) -> None:
    """Called when the policy has no `interest`: then no level may charge it."""
    for each in levels:
        if each.step.charge_interest:
            r.report(
                each.node.child("charge_interest") or each.node,
                "charge_interest is true but the policy has no interest: {annual_rate: ...}",
            )


# ---------------------------------------------------------------------------------------------------
# Routes.


def _routes(r: Reader, node: Node | None, policy_names: set[str] | None) -> tuple[Route, ...] | None:
    """The routes in order; `policy_names` is `None` when there is nothing to check them against."""
    items = r.items(node, "routes")
    if node is None or items is None:
        return None
    if not items:
        r.report(node, "no routes: add at least a default route such as {policy: standard}")
        return None
    placed = [(item, _route(r, item, policy_names)) for item in items]
    _check_default_route(r, placed)
    routes = tuple(route for _, route in placed if route is not None)
    return routes if len(routes) == len(placed) else None


def _route(r: Reader, node: Node, policy_names: set[str] | None) -> Route | None:
    found = r.fields(node, "a route", required=("policy",), optional=("when",))
    if found is None:
        return None
    policy = r.text(found.get("policy"))
    if policy is not None and policy_names is not None and policy not in policy_names:
        known = ", ".join(sorted(policy_names)) or "none"
        r.report(found["policy"], f"unknown policy {policy!r}: the policies defined are {known}")
    when = _when(r, found.get("when"))
    if policy is None or when is None:
        return None
    return Route(when_tags_any=when[0], when_grade=when[1], policy=policy)


_Conditions = tuple[frozenset[str] | None, frozenset[str] | None]


def _when(r: Reader, node: Node | None) -> _Conditions | None:
    """(tags_any, grade) of a route; (None, None) for the default route, None when `when` is bad."""
    if node is None:
        return None, None
    found = r.fields(node, "when", optional=("tags_any", "grade"))
    if found is None:
        return None
    if not found:
        if node.empty:
            r.report(node, "when has no conditions: leave when out to make this the default route")
        return None
    tags_any, grade = r.labels(found.get("tags_any")), r.labels(found.get("grade"))
    if ("tags_any" in found and tags_any is None) or ("grade" in found and grade is None):
        return None
    return tags_any, grade


def _check_default_route(r: Reader, placed: list[tuple[Node, Route | None]]) -> None:
    """The first route without conditions must be the last one: routes after it are unreachable."""
    defaults = [index for index, (_, route) in enumerate(placed) if route is not None and route.is_default]
    if not defaults:
        if placed[-1][1] is not None:
            r.report(placed[-1][0], "no default route: the last route must have no when, to catch the rest")
        return
    default = placed[defaults[0]][0]
    for node, _ in placed[defaults[0] + 1 :]:
        r.report(node, f"unreachable: {default.path} (line {default.line}) has no when and matches everyone")
