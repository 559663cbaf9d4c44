"""Reading a dunning-policy YAML text into typed values, with the line and path of every value.

This is the one place that touches ruamel.yaml's untyped values (`Any`): `Node` carries a raw value
with its dotted path and 1-based line, and `Reader` turns nodes into `int`, `bool`, `str`, `Decimal`,
lists and mappings. A bad value never raises here: the reader records a `PolicyProblem` and returns
`None`, so that one pass over the file reports every problem at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from dunmore.domain.money import check_bound, exponent, parse_decimal, to_minor
from dunmore.errors import AmountError, CurrencyError, PolicyError, PolicyProblem

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Node:
    """A value of the file and where it sits. `raw` is ruamel's value: read it only through `Reader`."""

    path: str
    line: int
    raw: Any

    def child(self, key: str) -> Node | None:
        """The value under `key` when this node is a mapping that has it; its line is the key's line."""
        if not isinstance(self.raw, Mapping) or key not in self.raw:
            return None
        path = f"{self.path}.{key}" if self.path else key
        return Node(path, _position_line(self.raw, "key", key, self.line), self.raw[key])

    def item(self, index: int) -> Node:
        """The `index`-th element of this sequence node (0-based, as in the path `levels[0]`)."""
        return Node(
            f"{self.path}[{index}]", _position_line(self.raw, "item", index, self.line), self.raw[index]
        )

    @property
    def empty(self) -> bool:
        """True for null, an empty mapping and an empty list."""
        return self.raw is None or (isinstance(self.raw, Mapping | list) and not self.raw)

    @property
    def shown(self) -> str:
        """The value as the user wrote it, quoted when it is text: `"5.001"`, `700`."""
        return json.dumps(self.raw, ensure_ascii=False) if isinstance(self.raw, str) else str(self.raw)


def _position_line(raw: Any, kind: str, where: object, default: int) -> int:
    """1-based line of a key or item; keys pulled in by a YAML merge (`<<:`) have none: use `default`."""
    try:
        return int(getattr(raw.lc, kind)(where)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return default


def describe(raw: Any) -> str:
    """How a wrong value is named in a message: `the text "yes"`, `a list`, `nothing (null)`."""
    if raw is None:
        return "nothing (null)"
    if isinstance(raw, bool):
        return f"the boolean {str(raw).lower()}"
    if isinstance(raw, int | float):
        return f"the number {raw}"
    if isinstance(raw, str):
        return f"the text {json.dumps(raw, ensure_ascii=False)}"
    if isinstance(raw, date):
        return f"the date {raw.isoformat()}"
    return "a mapping" if isinstance(raw, Mapping) else "a list" if isinstance(raw, list) else "a value"


class Reader:
    """Reads typed values out of nodes and collects a `PolicyProblem` for each one that is wrong."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[PolicyProblem] = []

    def report(self, node: Node, reason: str) -> None:
        """Record a problem at the node's line and path."""
        self.problems.append(PolicyProblem(self.source, node.line, node.path, reason))

    def finish(self, value: T | None) -> T:
        """Return the value built, or raise `PolicyError` with every problem found, in line order."""
        if self.problems or value is None:
            problems = self.problems or [PolicyProblem(self.source, 1, "", "the policy could not be read")]
            raise PolicyError(sorted(problems, key=lambda problem: problem.line))
        return value

    def parse(self, text: str) -> Node | None:
        """The document's root node, or `None` after recording a syntax error or an empty file."""
        try:
            raw = YAML(typ="rt").load(text)
        except MarkedYAMLError as exc:
            self._syntax_error(exc)
            return None
        except YAMLError as exc:
            self.problems.append(PolicyProblem(self.source, 1, "", f"YAML error: {exc}"))
            return None
        root = Node("", 1, raw)
        if raw is None:
            self.report(root, "the file is empty: expected the keys policies and routes")
            return None
        return root

    def _syntax_error(self, exc: MarkedYAMLError) -> None:
        mark = exc.problem_mark or exc.context_mark
        reason = f"YAML syntax error: {exc.problem or exc.context}"
        if exc.context and exc.context_mark and exc.problem:
            reason += f" ({exc.context} started on line {exc.context_mark.line + 1})"
        if "'\\t'" in reason:
            reason += ": indent with spaces, not tabs"
        self.problems.append(PolicyProblem(self.source, mark.line + 1 if mark else 1, "", reason))

    def entries(self, node: Node | None, what: str) -> list[tuple[str, Node]] | None:
        """The (key, value) pairs of a mapping node; keys that are not text are reported and left out."""
        if node is None or not self._expect(node, isinstance(node.raw, Mapping), f"a mapping for {what}"):
            return None
        pairs: list[tuple[str, Node]] = []
        for key in node.raw:
            if isinstance(key, str):
                pairs.append((key, node.child(key) or node))
            else:
                place = Node(node.path, _position_line(node.raw, "key", key, node.line), key)
                self.report(place, f"keys must be text, got {describe(key)}")
        return pairs

    def fields(
        self,
        node: Node | None,
        what: str,
        *,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
        hints: Mapping[str, str] | None = None,
    ) -> dict[str, Node] | None:
        """The known keys of a mapping; unknown keys (with the allowed ones) and missing keys are reported."""
        pairs = self.entries(node, what)
        if node is None or pairs is None:
            return None
        allowed = (*required, *optional)
        for key, child in pairs:
            if key not in allowed:
                hint = (hints or {}).get(key) or f"allowed keys are {', '.join(allowed)}"
                self.report(child, f"unknown key {key!r} in {what}: {hint}")
        for key in required:
            if key not in node.raw:
                self.report(node, f"missing required key {key!r} in {what}")
        return {key: child for key, child in pairs if key in allowed}

    def items(self, node: Node | None, what: str) -> list[Node] | None:
        """The elements of a sequence node."""
        if node is None or not self._expect(node, isinstance(node.raw, list), f"a list of {what}"):
            return None
        return [node.item(index) for index in range(len(node.raw))]

    def text(self, node: Node | None) -> str | None:
        """A non-empty text value."""
        if node is None or not self._expect(node, isinstance(node.raw, str), "text"):
            return None
        if not node.raw.strip():
            self.report(node, "must not be empty")
            return None
        return str(node.raw)

    def text_items(self, node: Node | None, what: str) -> list[tuple[Node, str]] | None:
        """A list of text values, each with its node; bad elements are reported and left out."""
        items = self.items(node, what)
        if items is None:
            return None
        return [(item, value) for item in items if (value := self.text(item)) is not None]

    def integer(self, node: Node | None, unit: str = "days") -> int | None:
        """A whole number of `unit` (a YAML int, not a boolean, not a float, not quoted text)."""
        is_int = node is not None and isinstance(node.raw, int) and not isinstance(node.raw, bool)
        if node is None or not self._expect(node, is_int, f"a whole number of {unit}"):
            return None
        return int(node.raw)

    def boolean(self, node: Node | None) -> bool | None:
        """`true` or `false`, unquoted: the text "false" is refused, it would read as true elsewhere."""
        if node is None or not self._expect(node, isinstance(node.raw, bool), "true or false (unquoted)"):
            return None
        return bool(node.raw)

    def decimal(self, node: Node | None, example: str) -> Decimal | None:
        """An exact decimal written as quoted text (`"10.00"`) or a YAML int; floats are refused."""
        if node is None:
            return None
        if isinstance(node.raw, float):
            advice = f'quote it, as "{node.raw}"'
            self.report(
                node, f"{node.raw} is a floating-point number in YAML and floats lose precision: {advice}"
            )
            return None
        if isinstance(node.raw, int) and not isinstance(node.raw, bool):
            return Decimal(int(node.raw))
        if not self._expect(node, isinstance(node.raw, str), f'a quoted decimal such as "{example}"'):
            return None
        try:
            return parse_decimal(node.raw)
        except AmountError:
            self.report(node, f'{node.shown} is not a decimal number: write digits and a ".", as "{example}"')
            return None

    def rate(self, node: Node | None, example: str) -> Decimal | None:
        """An annual rate in [0, 1), written as a quoted decimal: `"0.08"` for 8 %."""
        rate = self.decimal(node, example)
        if node is not None and rate is not None and not 0 <= rate < 1:
            self.report(node, f'{node.shown} is not in [0, 1): write 8 % a year as "{example}"')
        return rate

    def days(self, node: Node | None, *, minimum: int, unit: str = "days") -> int | None:
        """A whole number of days (or other `unit`) of at least `minimum`."""
        days = self.integer(node, unit)
        if node is None or days is None:
            return None
        if days < minimum:
            self.report(node, f"must be at least {minimum}, got {days}")
        return days

    def labels(self, node: Node | None) -> frozenset[str] | None:
        """A non-empty list of text values, as a set (grades, tags)."""
        items = self.text_items(node, "values")
        if node is None or items is None:
            return None
        if not items:
            self.report(node, "an empty list never matches: list at least one value or leave the key out")
            return None
        return frozenset(value for _, value in items)

    def choices(self, node: Node | None, allowed: Sequence[str], *, noun: str) -> tuple[str, ...] | None:
        """A non-empty list of distinct values taken from `allowed`, in the order written."""
        items = self.text_items(node, f"{noun}s")
        if node is None or items is None:
            return None
        if not items:
            self.report(node, f"list at least one of {', '.join(allowed)}")
        for index, (item, value) in enumerate(items):
            if value not in allowed:
                self.report(item, f"unknown {noun} {value!r}: allowed {noun}s are {', '.join(allowed)}")
            elif value in (earlier for _, earlier in items[:index]):
                self.report(item, f"{noun} {value!r} is listed twice")
        return tuple(value for _, value in items)

    def amounts(self, node: Node | None) -> dict[str, int] | None:
        """Amounts by currency code, in minor units: `{EUR: "5.00"}` → `{"EUR": 500}`."""
        pairs = self.entries(node, "amounts by currency")
        if pairs is None:
            return None
        amounts = {currency: self._amount(currency, child) for currency, child in pairs}
        return {currency: minor for currency, minor in amounts.items() if minor is not None}

    def fees(self, node: Node | None) -> tuple[dict[str, int], dict[str, Decimal]] | None:
        """A level's fees by currency: fixed amounts in minor units (`{EUR: "5.00"}`) and
        percentages of the dunned amount as fractions (`{CNY: "5%"}` → `Decimal("0.05")`)."""
        pairs = self.entries(node, "fees by currency")
        if pairs is None:
            return None
        fixed: dict[str, int] = {}
        rates: dict[str, Decimal] = {}
        for currency, child in pairs:
            if isinstance(child.raw, str) and child.raw.strip().endswith("%"):
                rate = self._percent(currency, child)
                if rate is not None:
                    rates[currency] = rate
            elif (minor := self._amount(currency, child)) is not None:
                fixed[currency] = minor
        return fixed, rates

    def _percent(self, currency: str, node: Node) -> Decimal | None:
        """`"5%"` → Decimal("0.05"): a percentage from 0 to 100 of a known currency's dunned amount."""
        try:
            exponent(currency)
            percent = parse_decimal(node.raw.strip()[:-1])
        except CurrencyError as exc:
            self.report(node, str(exc))
            return None
        except AmountError:
            self.report(node, f'{node.shown} is not a percentage: write digits and a "%", as "5%" or "2.5%"')
            return None
        if not 0 <= percent <= 100:
            self.report(node, f"{node.shown} is not between 0% and 100% of the dunned amount")
            return None
        return percent / 100

    def _amount(self, currency: str, node: Node) -> int | None:
        try:
            places = exponent(currency)
        except CurrencyError as exc:
            self.report(node, str(exc))
            return None
        amount = self.decimal(node, example="10." + "0" * places if places else "1000")
        if amount is not None and amount < 0:
            self.report(node, f"{node.shown} is negative: amounts must be zero or more")
            return None
        try:
            if amount is not None:
                check_bound(amount, currency)
        except AmountError as exc:
            self.report(node, str(exc))
            return None
        try:
            return None if amount is None else to_minor(amount, currency)
        except AmountError:
            self.report(node, f"{node.shown} has more decimals than {currency} allows ({places})")
            return None

    def _expect(self, node: Node, ok: bool, expected: str) -> bool:
        if not ok:
            self.report(node, f"expected {expected}, got {describe(node.raw)}")
        return ok
