"""Policy versions for people: the versions loaded (newest first, paginated by keyset on the version)
and one version's YAML with the checks `dunmore policy check` runs on it — the policy validation and
the currency gaps of its fee and minimum maps against the policy set and the ledger's open items.

A stored text was valid when it was loaded; a later release may judge it otherwise, so it is checked
again here and its problems, if any, are reported instead of raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import ColumnElement, Connection, func, select, true

from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.domain.policy import PolicySet, Step, load_policy_text
from dunmore.domain.policy_check import CurrencyGap, currency_gaps
from dunmore.errors import BadArgument, NotFound, PolicyError, PolicyProblem
from dunmore.i18n import _m
from dunmore.run.models import POLICY_VERSIONS, RUNS
from dunmore.run.service import ledger_currencies
from dunmore.store.db import as_utc

PAGE_MAX = 200


@dataclass(frozen=True)
class VersionRow:
    version: int
    fingerprint: str
    source: str
    loaded_at: datetime
    runs: int  # committed or reverted runs that used it
    current: bool  # the version the next run uses


@dataclass(frozen=True)
class VersionPage:
    rows: tuple[VersionRow, ...]
    next_cursor: int | None  # pass as `after` for the next (older) page; None on the last page


@dataclass(frozen=True)
class StepSummary:
    name: str
    at: int
    channels: tuple[str, ...]
    requires_approval: bool


@dataclass(frozen=True)
class PolicySummary:
    """One policy of a set, as `dunmore policy check` tabulates it."""

    name: str
    reminders: tuple[StepSummary, ...]
    levels: tuple[StepSummary, ...]
    min_days_between_notices: int
    interest_rate: Decimal | None


@dataclass(frozen=True)
class VersionDetail:
    row: VersionRow
    text: str
    policies: tuple[PolicySummary, ...]  # empty when the text no longer validates
    problems: tuple[PolicyProblem, ...]  # why it no longer validates (domain sentences, in English)
    gaps: tuple[CurrencyGap, ...]
    ledger_currencies: tuple[str, ...]  # the open items' currencies the gaps were checked against


@lru_cache(maxsize=16)
def _parsed(text: str, source: str) -> PolicySet | PolicyError:
    try:
        return load_policy_text(text, source=source)
    except PolicyError as problem:
        return problem


def _versions(conn: Connection, condition: ColumnElement[bool], limit: int) -> list[VersionRow]:
    p, r = POLICY_VERSIONS.c, RUNS.c
    runs = select(func.count()).where(r.policy_version_id == p.id).scalar_subquery()
    newest = select(func.max(p.version)).scalar_subquery()
    current = (p.version == newest).label("current")
    query = (
        select(p.version, p.fingerprint, p.source, p.loaded_at, runs.label("runs"), current)
        .where(condition)
        .order_by(p.version.desc())
        .limit(limit)
    )
    return [
        VersionRow(
            row.version, row.fingerprint, row.source, as_utc(row.loaded_at), int(row.runs), bool(row.current)
        )
        for row in conn.execute(query)
    ]


def list_versions(conn: Connection, *, user: User, after: int | None = None, limit: int = 50) -> VersionPage:
    """The policy versions loaded, newest first; `after` is the `next_cursor` of the page before."""
    require(user, Permission.POLICY_READ)
    if not 1 <= limit <= PAGE_MAX:
        raise BadArgument(_m("a page holds 1 to %(most)s rows, not %(limit)s", most=PAGE_MAX, limit=limit))
    p = POLICY_VERSIONS.c
    rows = _versions(conn, p.version < after if after is not None else true(), limit + 1)
    page = tuple(rows[:limit])
    return VersionPage(page, page[-1].version if len(rows) > limit else None)


def _summary(policies: PolicySet) -> tuple[PolicySummary, ...]:
    def steps(chosen: tuple[Step, ...]) -> tuple[StepSummary, ...]:
        return tuple(StepSummary(s.name, s.at, s.channels, s.requires_approval) for s in chosen)

    return tuple(
        PolicySummary(name, steps(p.reminders), steps(p.levels), p.min_days_between_notices, p.interest_rate)
        for name, p in policies.policies.items()
    )


def get_version(conn: Connection, *, user: User, version: int) -> VersionDetail:
    """One policy version with its text and its checks, else `NotFound`."""
    require(user, Permission.POLICY_READ)
    p = POLICY_VERSIONS.c
    found = _versions(conn, p.version == version, 1)
    text_row = conn.execute(select(p.text, p.source).where(p.version == version)).first()
    if not found or text_row is None:
        raise NotFound(
            _m("no policy version %(version)s: the list of versions shows those loaded", version=version)
        )
    parsed = _parsed(text_row.text, text_row.source)
    ledger = ledger_currencies(conn)
    if isinstance(parsed, PolicyError):
        return VersionDetail(found[0], text_row.text, (), tuple(parsed.problems), (), tuple(sorted(ledger)))
    return VersionDetail(
        found[0],
        text_row.text,
        _summary(parsed),
        (),
        tuple(currency_gaps(parsed, ledger)),
        tuple(sorted(ledger)),
    )
