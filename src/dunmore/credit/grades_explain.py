"""Why a customer has its grade: each factor's value and points as of its latest grading, and what
would move the grade — sentences (`Text`) the CLI and the customer page say in the reader's language."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.credit.grades import current_scorecard, customer_row
from dunmore.credit.grades_models import GRADE_HISTORY, GRADE_OVERRIDES
from dunmore.credit.limits import HoldView, active_holds
from dunmore.credit.scorecard import FACTORS, GRADE_NAMES, GRADES, NEW, Band, GradeTerms, Scorecard
from dunmore.i18n import Text, _m


@dataclass(frozen=True)
class FactorView:
    name: str
    label: str  # English msgid (`scorecard.FACTORS`)
    value: int
    points: int
    best: int  # the most points the factor gives
    better: Text | None  # what value would earn more points


@dataclass(frozen=True)
class OverrideView:
    grade: str
    until: date
    reason: str
    by: str


@dataclass(frozen=True)
class Explanation:
    customer: str
    name: str
    grade: str | None  # in force
    grade_name: str | None  # English msgid (`scorecard.GRADE_NAMES`)
    computed: str | None
    graded_on: date | None
    computed_at: datetime | None
    points: int
    factors: dict[str, FactorView]
    moves: tuple[Text, ...]
    override: OverrideView | None
    holds: tuple[HoldView, ...]
    terms: GradeTerms | None  # the limits and payment terms of the grade in force (None: not A–D or N)


def explain(conn: Connection, *, user: User, customer: str) -> Explanation:
    """The customer's latest grading explained (no grading yet: no factors, grade as imported)."""
    require(user, Permission.LEDGER_READ)
    row = customer_row(conn, user, customer)
    h = GRADE_HISTORY.c
    stored = conn.execute(
        select(h.as_of, h.computed, h.points, h.factors, h.computed_at)
        .where(h.customer_id == row.id)
        .order_by(h.as_of.desc())
        .limit(1)
    ).first()
    scorecard = current_scorecard(conn).scorecard
    holds, override = active_holds(conn, row.id), _override(conn, row.id)
    grade_name = GRADE_NAMES.get(row.grade or "")
    terms = scorecard.terms(row.grade) if row.grade in (*GRADES, NEW) else None
    if stored is None:
        return Explanation(
            customer, row.name, row.grade, grade_name, None, None, None, 0, {}, (), override, holds, terms
        )
    factors = {name: _factor(scorecard, name, *pair) for name, pair in json.loads(stored.factors).items()}
    moves = _moves(scorecard, stored.computed, int(stored.points))
    return Explanation(
        customer,
        row.name,
        row.grade,
        grade_name,
        stored.computed,
        stored.as_of,
        stored.computed_at,
        int(stored.points),
        factors,
        moves,
        override,
        holds,
        terms,
    )


def _override(conn: Connection, customer_id: int) -> OverrideView | None:
    o = GRADE_OVERRIDES.c
    found = conn.execute(
        select(o.grade, o.expires_on, o.reason, o.set_by)
        .where(o.customer_id == customer_id, o.ended_at.is_(None))
        .order_by(o.id.desc())
        .limit(1)
    ).first()
    return None if found is None else OverrideView(found.grade, found.expires_on, found.reason, found.set_by)


def _factor(scorecard: Scorecard, name: str, value: int, points: int) -> FactorView:
    bands = scorecard.bands.get(name, ())
    best = max((b.points for b in bands), default=0)
    return FactorView(name, FACTORS.get(name, name), value, points, best, _better(bands, value, points))


def _better(bands: tuple[Band, ...], value: int, points: int) -> Text | None:
    """The nearest band worth more points than the value's, as a sentence."""
    here = next((n for n, b in enumerate(bands) if b.up_to is None or value <= b.up_to), len(bands) - 1)
    richer = [n for n, b in enumerate(bands) if b.points > points]
    if not richer:
        return None
    target = min(richer, key=lambda n: abs(n - here))
    gain = bands[target].points - points
    if target < here:
        return _m("at most %(limit)s would earn %(gain)s more points", limit=bands[target].up_to, gain=gain)
    floor = (bands[target - 1].up_to or 0) + 1
    return _m("at least %(limit)s would earn %(gain)s more points", limit=floor, gain=gain)


def _moves(scorecard: Scorecard, grade: str, points: int) -> tuple[Text, ...]:
    if grade == NEW:
        return (_m("a grade needs %(months)s months of history", months=scorecard.min_months),)
    rank = GRADES.index(grade)
    moves = []
    if rank > 0:
        up = GRADES[rank - 1]
        need = scorecard.grades[up].min_points - points
        moves.append(_m("%(points)s more points would raise the grade to %(grade)s", points=need, grade=up))
    if rank < len(GRADES) - 1:
        lose = points - scorecard.grades[grade].min_points + 1
        down = GRADES[rank + 1]
        moves.append(
            _m("%(points)s points fewer would lower the grade to %(grade)s", points=lose, grade=down)
        )
    return tuple(moves)
