"""The credit scorecard: which factors of a customer's payment history earn how many points, how the
total maps to a grade, and the limits, payment terms and hold rules of each grade.

A scorecard is a YAML file like the dunning policy (`credit/scorecard.yaml` is the default shipped
in the package, explained in docs/credit.md). Loading checks the whole file and reports every
problem with its file, line and dotted path (`ScorecardError`), and stores it as a new version
(`credit.grades.load_scorecard`). Pure: text in, values out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dunmore.domain.policy_yaml import Node, Reader
from dunmore.errors import DunmoreError, InputFileError, PolicyError, PolicyProblem
from dunmore.i18n import N_, _m

# The factors, in the order they are shown; each is a whole number (days, percent, count, months).
FACTORS: dict[str, str] = {
    "avg_days_beyond_terms": N_("average days beyond terms (amount-weighted, 12 months)"),
    "max_days_beyond_terms": N_("most days beyond terms (12 months)"),
    "late_share": N_("share of invoices paid late, in percent (12 months)"),
    "overdue_share": N_("overdue share of what is open now, in percent"),
    "broken_promises": N_("promises to pay and payment plans broken (12 months)"),
    "disputes_rejected": N_("disputes rejected (12 months)"),
    "months_history": N_("months since the first invoice"),
}
GRADES = ("A", "B", "C", "D")  # best first
NEW = "N"  # too little history to earn a grade
GRADE_NAMES: dict[str, str] = {
    "A": N_("A · prime (优质)"),
    "B": N_("B · normal (正常)"),
    "C": N_("C · watch (关注)"),
    "D": N_("D · high risk (高风险)"),
    NEW: N_("N · too little history"),
}
DEFAULT_FILE = "scorecard.yaml"


class ScorecardError(DunmoreError):
    """A scorecard file failed validation; `problems` lists every problem found, in line order."""

    code = "scorecard"
    exit_code = 2

    def __init__(self, problems: list[PolicyProblem]) -> None:
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        super().__init__("\n".join([f"{count} in the credit scorecard:", *map(str, problems)]))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Band:
    """Values up to `up_to` (inclusive; None: any value above the previous band) earn `points`."""

    up_to: int | None
    points: int


@dataclass(frozen=True, slots=True)
class GradeTerms:
    """What a grade earns: the points it starts at, its credit limit per currency (minor units; a
    currency not listed has no limit) and the default payment terms of its new invoices."""

    min_points: int
    limits: Mapping[str, int]
    terms_days: int


@dataclass(frozen=True, slots=True)
class Scorecard:
    """Bands per factor, grades A–D by points, the grade `N` for less than `min_months` of history,
    the hold rules and the early-warning threshold."""

    bands: Mapping[str, tuple[Band, ...]]
    grades: Mapping[str, GradeTerms]
    min_months: int
    new_terms: GradeTerms
    hold_grades: frozenset[str]
    hold_overdue_days: int | None
    worsening_days: int

    def points(self, factor: str, value: int) -> int:
        """The points a factor's value earns: the first band it fits."""
        return next(b.points for b in self.bands[factor] if b.up_to is None or value <= b.up_to)

    def grade_of(self, total: int, months: int) -> str:
        """The grade of a total of points; `N` below the months of history a grade needs."""
        if months < self.min_months:
            return NEW
        return next(g for g in GRADES if total >= self.grades[g].min_points)

    def terms(self, grade: str) -> GradeTerms:
        return self.new_terms if grade == NEW else self.grades[grade]

    def fingerprint(self) -> str:
        """sha256 of the scorecard as canonical JSON: equal scorecards, equal fingerprints."""
        document = {
            "bands": {f: [[b.up_to, b.points] for b in bs] for f, bs in sorted(self.bands.items())},
            "grades": {g: _terms(t) for g, t in sorted(self.grades.items())},
            "new": [self.min_months, _terms(self.new_terms)],
            "holds": [sorted(self.hold_grades), self.hold_overdue_days],
            "worsening_days": self.worsening_days,
        }
        text = json.dumps(document, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _terms(terms: GradeTerms) -> list[object]:
    return [terms.min_points, dict(sorted(terms.limits.items())), terms.terms_days]


def default_text() -> str:
    """The scorecard shipped in the package."""
    return resources.files("dunmore.credit").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")


def load_scorecard_file(path: Path) -> Scorecard:
    """Read and check a UTF-8 scorecard file; see `load_scorecard_text`."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(
            _m("cannot read the scorecard %(path)s: %(why)s", path=str(path), why=str(exc))
        ) from exc
    return load_scorecard_text(text, source=str(path))


def load_scorecard_text(text: str, *, source: str) -> Scorecard:
    """Parse and check a scorecard; raise `ScorecardError` listing every problem (`source` names it)."""
    reader = Reader(source)
    root = reader.parse(text)
    try:
        return reader.finish(_scorecard(reader, root) if root is not None else None)
    except PolicyError as exc:
        raise ScorecardError(exc.problems) from None


_KEYS = ("factors", "grades", "new_customers", "holds", "early_warning")


def _scorecard(r: Reader, root: Node) -> Scorecard | None:
    found = r.fields(root, "the scorecard", required=("factors", "grades", "new_customers"), optional=_KEYS)
    if found is None:
        return None
    bands = _factors(r, found.get("factors"))
    grades = _grades(r, found.get("grades"))
    new = _new(r, found.get("new_customers"))
    holds = _holds(r, found.get("holds"))
    warning = r.fields(found.get("early_warning"), "early_warning", optional=("worsening_days",))
    worsening = r.days(warning.get("worsening_days"), minimum=1) if warning else None
    if bands is None or grades is None or new is None or r.problems:
        return None
    return Scorecard(bands, grades, new[0], new[1], holds[0], holds[1], worsening or 15)


def _factors(r: Reader, node: Node | None) -> dict[str, tuple[Band, ...]] | None:
    found = r.fields(node, "factors", required=tuple(FACTORS))
    if found is None:
        return None
    bands = {name: _bands(r, child) for name, child in found.items()}
    return {name: b for name, b in bands.items() if b is not None}


def _bands(r: Reader, node: Node) -> tuple[Band, ...] | None:
    items = r.items(node, "bands")
    if not items:
        if items is not None:
            r.report(node, "list at least one band")
        return None
    bands: list[Band] = []
    for item in items:
        found = r.fields(item, "a band", required=("points",), optional=("up_to",)) or {}
        up_to = r.integer(found["up_to"], "days, percent or months") if "up_to" in found else None
        points = r.days(found.get("points"), minimum=0, unit="points")
        if bands and (bands[-1].up_to is None or (up_to is not None and up_to <= bands[-1].up_to)):
            r.report(item, "bands go upwards: each up_to above the one before, the open band last")
        bands.append(Band(up_to, points or 0))
    if bands[-1].up_to is not None:
        r.report(items[-1], "the last band has no up_to: it takes every value above the others")
    return tuple(bands)


def _grades(r: Reader, node: Node | None) -> dict[str, GradeTerms] | None:
    found = r.fields(node, "grades", required=GRADES)
    if found is None or node is None:
        return None
    grades = {g: _grade(r, found[g], with_points=True) for g in GRADES if g in found}
    points = [grades[g].min_points for g in GRADES if g in grades]
    if points != sorted(points, reverse=True) or len(set(points)) != len(points):
        r.report(node, "min_points fall from A to D, each grade below the one before")
    if grades.get("D") is not None and grades["D"].min_points != 0:
        r.report(found["D"], "grade D starts at 0 points: every total has a grade")
    return grades


def _grade(r: Reader, node: Node, *, with_points: bool) -> GradeTerms:
    first = "min_points" if with_points else "min_months"
    found = r.fields(node, "a grade", required=(first,), optional=("limit", "terms_days")) or {}
    unit = "points" if with_points else "months"
    first_value = r.days(found.get(first), minimum=0, unit=unit)
    limits = r.amounts(found["limit"]) if "limit" in found else {}
    terms = r.days(found["terms_days"], minimum=0) if "terms_days" in found else None
    return GradeTerms(first_value or 0, limits or {}, 30 if terms is None else terms)


def _new(r: Reader, node: Node | None) -> tuple[int, GradeTerms] | None:
    """`new_customers:` — `min_months` of history a grade needs, and the terms of grade N."""
    if node is None:
        return None
    terms = _grade(r, node, with_points=False)
    return terms.min_points, GradeTerms(0, terms.limits, terms.terms_days)


def _holds(r: Reader, node: Node | None) -> tuple[frozenset[str], int | None]:
    if node is None:
        return frozenset(), None
    found = r.fields(node, "holds", optional=("grades", "overdue_days")) or {}
    grades = r.choices(found["grades"], GRADES, noun="grade") if "grades" in found else ()
    days = r.days(found["overdue_days"], minimum=1) if "overdue_days" in found else None
    return frozenset(grades or ()), days
