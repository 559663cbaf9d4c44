"""Which portfolio a customer belongs in: ordered rules read from a small YAML file, first match wins.

    rules:
      - portfolio: key-accounts        # the customer goes here when every condition holds
        grade: [A]                     # any of these grades
        currency: [USD, EUR]           # owes something open in any of these currencies
        country: [HK, TW]              # customers.country, any of these
        overdue: {currency: CNY, min: "100000.00", max: "500000.00"}   # min ≤ overdue < max
        tags: [vip]                    # carries any of these tags
      - portfolio: east
        country: [CN]
    default: general                   # every customer no rule matched (leave out: they stay)

Pure: the file is read into `PortfolioRules` (every problem collected with its file, line and path,
as the policy files are, see `domain.policy_yaml`), and `place` decides for customer facts given as
values. Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dunmore.domain.money import exponent
from dunmore.domain.policy_yaml import Node, Reader
from dunmore.errors import CurrencyError, DunmoreError, PolicyProblem
from dunmore.i18n import _m

PORTFOLIO_MAX = 64
RULES_MAX = 500
_CONDITIONS = ("grade", "currency", "country", "overdue", "tags")


class PortfolioRulesError(DunmoreError):
    """A portfolio rules file failed validation; `problems` lists every problem, in line order."""

    code = "portfolio_rules"
    exit_code = 2

    def __init__(self, problems: list[PolicyProblem]) -> None:
        listed = "\n".join(map(str, problems))
        super().__init__(
            _m(
                "%(count)s problem(s) in the portfolio rules:\n%(problems)s",
                count=len(problems),
                problems=listed,
            )
        )
        self.problems = problems


@dataclass(frozen=True)
class Band:
    """An overdue amount in one currency, `low_minor` ≤ overdue < `high_minor` (None: unbounded)."""

    currency: str
    low_minor: int | None
    high_minor: int | None

    def holds(self, overdue: Mapping[str, int]) -> bool:
        amount = overdue.get(self.currency, 0)
        above = self.low_minor is None or amount >= self.low_minor
        return above and (self.high_minor is None or amount < self.high_minor)


@dataclass(frozen=True)
class Rule:
    """Customers matching every condition given (None: any) go to `portfolio`; `line` says where."""

    portfolio: str
    line: int
    grades: frozenset[str] | None = None
    currencies: frozenset[str] | None = None
    countries: frozenset[str] | None = None
    overdue: Band | None = None
    tags: frozenset[str] | None = None

    def matches(self, facts: CustomerFacts) -> bool:
        return (
            (self.grades is None or facts.grade in self.grades)
            and (self.currencies is None or not self.currencies.isdisjoint(facts.currencies))
            and (self.countries is None or facts.country in self.countries)
            and (self.overdue is None or self.overdue.holds(facts.overdue))
            and (self.tags is None or not self.tags.isdisjoint(facts.tags))
        )


@dataclass(frozen=True)
class PortfolioRules:
    rules: tuple[Rule, ...]
    default: str | None  # where customers no rule matches go; None: they stay where they are


@dataclass(frozen=True)
class CustomerFacts:
    """What the rules read of a customer: its grade, country, tags, the currencies it owes in and its
    overdue amount per currency (minor units, on the date the assignment is made for)."""

    id: int
    portfolio: str
    grade: str | None
    country: str
    tags: frozenset[str]
    currencies: frozenset[str]
    overdue: Mapping[str, int]


def place(rules: PortfolioRules, facts: CustomerFacts) -> str:
    """The portfolio of the first rule the customer matches, else the default, else where it is."""
    for rule in rules.rules:
        if rule.matches(facts):
            return rule.portfolio
    return rules.default or facts.portfolio


def moves(rules: PortfolioRules, customers: Iterable[CustomerFacts]) -> dict[int, tuple[str, str]]:
    """The customers whose portfolio changes: id → (from, to)."""
    found = {}
    for facts in customers:
        target = place(rules, facts)
        if target != facts.portfolio:
            found[facts.id] = (facts.portfolio, target)
    return found


def read_rules(text: str, source: str) -> PortfolioRules:
    """The rules of a YAML text (`source` names it in problems), or `PortfolioRulesError` with every
    problem found."""
    reader = Reader(source)
    if not text.strip():
        raise PortfolioRulesError(
            [PolicyProblem(source, 1, "", "the file is empty: expected the keys rules and default")]
        )
    root = reader.parse(text)
    top = reader.fields(root, "the portfolio rules", required=("rules",), optional=("default",))
    rules: list[Rule] = []
    if top is not None:
        items = reader.items(top.get("rules"), "rules")
        if items is not None and len(items) > RULES_MAX:
            reader.report(top["rules"], f"at most {RULES_MAX} rules, got {len(items)}")
        rules = [rule for item in items or [] if (rule := _rule(reader, item)) is not None]
    default = _portfolio(reader, top.get("default")) if top is not None and "default" in top else None
    if reader.problems or top is None:
        raise PortfolioRulesError(sorted(reader.problems, key=lambda problem: problem.line))
    return PortfolioRules(tuple(rules), default)


def _portfolio(reader: Reader, node: Node | None) -> str | None:
    name = reader.text(node)
    if node is not None and name is not None and (len(name) > PORTFOLIO_MAX or name != name.strip()):
        reader.report(node, f"a portfolio name is 1 to {PORTFOLIO_MAX} characters without surrounding spaces")
        return None
    return name


def _rule(reader: Reader, node: Node) -> Rule | None:
    fields = reader.fields(node, "a rule", required=("portfolio",), optional=_CONDITIONS)
    if fields is None:
        return None
    portfolio = _portfolio(reader, fields.get("portfolio"))
    if not any(key in fields for key in _CONDITIONS):
        reader.report(
            node,
            "a rule without conditions matches every customer: "
            f"give one of {', '.join(_CONDITIONS)}, or use default",
        )
    grades = reader.labels(fields["grade"]) if "grade" in fields else None
    currencies = _currencies(reader, fields["currency"]) if "currency" in fields else None
    countries = _countries(reader, fields["country"]) if "country" in fields else None
    band = _band(reader, fields["overdue"]) if "overdue" in fields else None
    tags = reader.labels(fields["tags"]) if "tags" in fields else None
    if portfolio is None:
        return None
    return Rule(portfolio, node.line, grades, currencies, countries, band, tags)


def _currencies(reader: Reader, node: Node) -> frozenset[str] | None:
    codes = reader.text_items(node, "currency codes")
    for item, code in codes or []:
        _known_currency(reader, item, code)
    return None if codes is None else frozenset(code for _, code in codes)


def _known_currency(reader: Reader, node: Node, code: str) -> bool:
    try:
        exponent(code)
    except CurrencyError as exc:
        reader.report(node, str(exc))
        return False
    return True


def _countries(reader: Reader, node: Node) -> frozenset[str] | None:
    codes = reader.text_items(node, "country codes")
    for item, code in codes or []:
        if len(code) != 2 or not code.isalpha() or not code.isupper():
            reader.report(item, f"{item.shown} is not a country code: write two capital letters, as CN or HK")
    return None if codes is None else frozenset(code for _, code in codes)


def _band(reader: Reader, node: Node) -> Band | None:
    fields = reader.fields(node, "an overdue band", required=("currency",), optional=("min", "max"))
    if fields is None:
        return None
    currency = reader.text(fields.get("currency"))
    if currency is None or not _known_currency(reader, fields["currency"], currency):
        return None
    if "min" not in fields and "max" not in fields:
        reader.report(node, "an overdue band needs min, max or both")
    low = _bound(reader, fields.get("min"), currency)
    high = _bound(reader, fields.get("max"), currency)
    if low is not None and high is not None and low >= high:
        reader.report(fields["max"], "max must be above min (the band is min ≤ overdue < max)")
    return Band(currency, low, high)


def _bound(reader: Reader, node: Node | None, currency: str) -> int | None:
    if node is None:
        return None
    found = reader.amounts(Node(node.path, node.line, {currency: node.raw}))
    return None if found is None else found.get(currency)
