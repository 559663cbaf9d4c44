"""The audit log: who did what, when, to which object, as a hash chain.

Each row's `hash` is the SHA-256 of its content (id, moment, actor, action, object, before, after) and
the previous row's hash, so editing, deleting or moving a row breaks the chain from that row on, and
`verify` names the first row where it breaks. Ids are the last id + 1, taken under a lock, so a
deleted row also leaves a gap. What the chain alone cannot show is the newest rows cut off: `verify`
reports the head hash, for anyone who wants to note it elsewhere and compare later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, text

from dunmore.access.models import AUDIT_LOG
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.errors import BadArgument, refuse_nul
from dunmore.i18n import Text, _m
from dunmore.store.db import as_utc

GENESIS = "0" * 64
# Any constant serves: it names the one advisory lock every append on PostgreSQL takes.
_APPEND_LOCK = 0x44756E6D6F7265  # "Dunmore"
_BATCH = 5000


@dataclass(frozen=True)
class AuditRow:
    """One row of the audit log; `before` and `after` are canonical JSON text, or None."""

    id: int
    at: datetime
    actor: str
    action: str
    object: str
    before: str | None
    after: str | None
    prev_hash: str
    hash: str


ROW_FIELDS = tuple(f.name for f in fields(AuditRow))
_COLUMNS = [AUDIT_LOG.c[name] for name in ROW_FIELDS]


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain first fails to hold, and why (a sentence for people)."""

    row_id: int
    reason: Text  # said in the reader's language by the CLI and the page


@dataclass(frozen=True)
class Verification:
    rows: int
    head_hash: str
    broken: ChainBreak | None


def canonical_json(value: Any) -> str | None:
    """`value` as JSON with sorted keys and no spaces, the one form stored and hashed; None stays None."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _moment(at: datetime) -> str:
    return as_utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(row: AuditRow) -> str:
    """The hash a row should carry: SHA-256 over a JSON array of its other fields in a fixed order."""
    content = [
        row.id,
        _moment(row.at),
        row.actor,
        row.action,
        row.object,
        row.before,
        row.after,
        row.prev_hash,
    ]
    serial = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(serial.encode()).hexdigest()


def _lock_for_append(conn: Connection) -> None:
    """Serialise appends. On PostgreSQL an advisory lock held to the end of the transaction; SQLite
    lets one writer in at a time. Either way the primary key refuses two rows with one id, so two
    appends that read the same last row cannot fork the chain: one of them fails instead."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})


@dataclass(frozen=True)
class Event:
    """Something done, to be appended: `actor` did `action` to `object` at `at` (aware, UTC);
    `before`/`after` are JSON-able values (dicts of what changed) where they apply."""

    at: datetime
    actor: str
    action: str
    object: str
    before: Any = None
    after: Any = None


def _chained(event: Event, id: int, prev_hash: str) -> AuditRow:
    if event.at.tzinfo is None:
        raise ValueError("an audit moment must be timezone-aware (UTC)")
    row = AuditRow(
        id=id,
        at=event.at.astimezone(UTC),
        actor=event.actor,
        action=event.action,
        object=event.object,
        before=canonical_json(event.before),
        after=canonical_json(event.after),
        prev_hash=prev_hash,
        hash="",
    )
    return replace(row, hash=row_hash(row))


def record_many(conn: Connection, events: Sequence[Event]) -> list[AuditRow]:
    """Append one row per event, in order: one lock, one read and one INSERT whatever their number."""
    if not events:
        return []
    _lock_for_append(conn)
    last = conn.execute(
        select(AUDIT_LOG.c.id, AUDIT_LOG.c.hash).order_by(AUDIT_LOG.c.id.desc()).limit(1)
    ).first()
    next_id, prev_hash = (1, GENESIS) if last is None else (last.id + 1, last.hash)
    rows: list[AuditRow] = []
    for offset, event in enumerate(events):
        rows.append(_chained(event, next_id + offset, rows[-1].hash if rows else prev_hash))
    conn.execute(AUDIT_LOG.insert(), [_values(row) for row in rows])
    return rows


def _values(row: AuditRow) -> dict[str, Any]:
    """The row's columns. Not `dataclasses.asdict`, which deep-copies every field: its fields are
    already flat (the JSON is text), and for the 194,727 rows of a grading that set as many credit
    holds the copies took 40 % of `grades compute` (benchmarks/grades.py, cProfile)."""
    return {name: getattr(row, name) for name in ROW_FIELDS}


def record(conn: Connection, *, at: datetime, actor: str, action: str, object: str,
           before: Any = None, after: Any = None) -> AuditRow:  # fmt: skip
    """Append one row: `actor` did `action` to `object` at `at` (aware, UTC); `before`/`after` are
    JSON-able values (dicts of what changed) where they apply."""
    return record_many(conn, [Event(at, actor, action, object, before, after)])[0]


def id_ranges(ids: Iterable[int]) -> str:
    """Ids as sorted ranges, `1-4,7,9-10`, for an audit row naming many objects (a retry of a million
    dead letters stays a few characters)."""
    spans: list[list[int]] = []
    for n in sorted(set(ids)):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _row(row: Sequence[Any]) -> AuditRow:
    """A row selected as `_COLUMNS` (by position: `verify` reads every row, and names cost)."""
    return AuditRow(row[0], as_utc(row[1]), *row[2:])


def _stream(conn: Connection) -> Iterator[AuditRow]:
    """Every row in id order, fetched a batch at a time (keyset), never all at once."""
    after = 0
    while True:
        batch = conn.execute(
            select(*_COLUMNS).where(AUDIT_LOG.c.id > after).order_by(AUDIT_LOG.c.id).limit(_BATCH)
        ).all()
        yield from map(_row, batch)
        if len(batch) < _BATCH:
            return
        after = batch[-1].id


def _break(row: AuditRow, expected_id: int, prev_hash: str) -> ChainBreak | None:
    if row.id != expected_id:
        gap = (
            _m(
                "row %(first)s is missing before row %(row)s: deleted from the log",
                first=expected_id,
                row=row.id,
            )
            if row.id == expected_id + 1
            else _m(
                "rows %(first)s to %(last)s are missing before row %(row)s: deleted from the log",
                first=expected_id,
                last=row.id - 1,
                row=row.id,
            )
        )
        return ChainBreak(row.id, gap)
    if row.prev_hash != prev_hash:
        return ChainBreak(
            row.id,
            _m(
                "row %(row)s does not follow row %(before)s: one of them was changed, or rows were moved",
                row=row.id,
                before=row.id - 1,
            ),
        )
    if row_hash(row) != row.hash:
        return ChainBreak(
            row.id, _m("row %(row)s was changed after it was written: its hash does not match", row=row.id)
        )
    return None


def verify(conn: Connection) -> Verification:
    """Walk the chain from the first row; stop at the first row that breaks it."""
    count, prev_hash = 0, GENESIS
    for row in _stream(conn):
        broken = _break(row, count + 1, prev_hash)
        if broken is not None:
            return Verification(count, prev_hash, broken)
        count, prev_hash = count + 1, row.hash
    return Verification(count, prev_hash, None)


def list_rows(conn: Connection, *, object: str | None = None, actor: str | None = None,
              action: str | None = None, limit: int = 50,
              before_id: int | None = None) -> list[AuditRow]:  # fmt: skip
    """The newest rows first, filtered by object, actor and action; `before_id` pages back (keyset).
    Object and actor each have an index ending in the id; an action alone walks back by id."""
    query = select(*_COLUMNS).order_by(AUDIT_LOG.c.id.desc()).limit(limit)
    if object is not None:
        query = query.where(AUDIT_LOG.c.object == object)
    if actor is not None:
        query = query.where(AUDIT_LOG.c.actor == actor)
    if action is not None:
        query = query.where(AUDIT_LOG.c.action == action)
    if before_id is not None:
        query = query.where(AUDIT_LOG.c.id < before_id)
    return [_row(row) for row in conn.execute(query)]


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    next_cursor: int | None  # pass as `before_id` for the next (older) page; None on the last page


FILTER_MAX = 200  # the longest object a row holds (actors and actions are shorter)
PAGE_MAX = 200


def browse(conn: Connection, *, user: User, object: str = "", actor: str = "", action: str = "",
           before_id: int | None = None, limit: int = 50) -> AuditPage:  # fmt: skip
    """One page of the audit log for a person who may read it (managers, admins), newest first; an
    empty filter is no filter."""
    require(user, Permission.AUDIT_READ)
    if not 1 <= limit <= PAGE_MAX:
        raise BadArgument(_m("a page holds 1 to %(most)s rows, not %(limit)s", most=PAGE_MAX, limit=limit))
    for name, value in (("object", object), ("actor", actor), ("action", action)):
        if len(value) > FILTER_MAX:
            raise BadArgument(
                _m(
                    "the %(name)s filter has at most %(most)s characters, not %(count)s",
                    name=name,
                    most=FILTER_MAX,
                    count=len(value),
                )
            )
    refuse_nul(object, actor, action)
    rows = list_rows(conn, object=object.strip() or None, actor=actor.strip() or None,
                     action=action.strip() or None, limit=limit + 1, before_id=before_id)  # fmt: skip
    page = tuple(rows[:limit])
    return AuditPage(page, page[-1].id if len(rows) > limit else None)


def verify_for(conn: Connection, *, user: User) -> Verification:
    """`verify` for a person who may read the log. It reads every row (a batch at a time)."""
    require(user, Permission.AUDIT_READ)
    return verify(conn)
