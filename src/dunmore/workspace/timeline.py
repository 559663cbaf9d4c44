"""A customer's one timeline, newest first: notices and their deliveries, contacts, payments and
credit notes, promises, disputes, holds and other changes from the audit log (and the credit holds
a grading set, which its one audit row names), and the run's tasks.

Paginated by keyset in the database: each source is asked for the events before the cursor (moment,
source, row id), at most a page plus one, through its own index; the page is the newest of those.
A page costs the same whatever its depth. Events known only by their date (notices, payments,
credit notes, promise decisions) stand at midnight UTC of that date. The date filter reads UTC dates.

Scoped like every read: a customer out of the user's reach is not found.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, false, func, literal, or_, select, true

from dunmore.access.models import AUDIT_LOG
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.credit.grades_models import CREDIT_HOLDS
from dunmore.delivery.models import DELIVERIES, TASKS
from dunmore.errors import BadArgument
from dunmore.i18n import _m
from dunmore.ledger.models import CONTACTS, CREDIT_NOTES, CUSTOMERS, INVOICES, PAYMENTS
from dunmore.run.models import NOTICE_ITEMS, NOTICES
from dunmore.store.db import as_utc
from dunmore.workspace.activities import AttachmentView, attachments_of, customer_id_of
from dunmore.workspace.models import ACTIVITIES, DISPUTES, PROMISES
from dunmore.workspace.plan_models import PLANS
from dunmore.workspace.plan_views import plan_end_events, plan_events

PAGE_MAX = 500
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)  # other years are typos
CURSOR_MAX = 100
# What a reader filters by, and the sources each kind gathers.
KINDS: dict[str, tuple[str, ...]] = {
    "notice": ("notice",),
    "delivery": ("delivery",),
    "activity": ("activity",),
    "payment": ("payment", "credit_note"),
    "promise": ("promise", "promise_end"),
    "dispute": ("dispute", "dispute_end"),
    "change": ("change", "credit_hold"),
    "task": ("task",),
    "plan": ("plan", "plan_end"),
}


@dataclass(frozen=True)
class Event:
    """One line of the timeline. `source` names its table (and `ref` its row); the other fields are
    what that source has: `what` (a step, an activity's kind, a document's number, an action),
    `status` (a status or an outcome code), `reason` (a reason code or a provider's status),
    `channel`, `on` (a follow-up or due date), an amount, who did it, a note, attachments."""

    at: datetime
    source: str
    ref: int
    what: str | None = None
    status: str | None = None
    reason: str | None = None
    channel: str | None = None
    on: date | None = None
    amount_minor: int | None = None
    currency: str | None = None
    actor: str | None = None
    note: str | None = None
    contact: str | None = None  # an activity's contact person
    attachments: tuple[AttachmentView, ...] = field(default=())

    @property
    def kind(self) -> str:
        return next(kind for kind, sources in KINDS.items() if self.source in sources)


@dataclass(frozen=True)
class Filter:
    """Which events: `kinds` among KINDS (empty: all), between two dates (UTC, both included)."""

    kinds: frozenset[str] = frozenset()
    since: date | None = None
    until: date | None = None

    def check(self) -> None:
        unknown = sorted(self.kinds - set(KINDS))
        if unknown:
            raise BadArgument(
                _m(
                    "no kind of event %(kinds)s: use %(known)s",
                    kinds=", ".join(unknown),
                    known=", ".join(KINDS),
                )
            )
        for day in (self.since, self.until):
            if day is not None and not EARLIEST <= day <= LATEST:
                raise BadArgument(_m("%(day)s is outside 1900 to 2999: check the year", day=day.isoformat()))
        if self.since and self.until and self.since > self.until:
            raise BadArgument(
                _m(
                    "the dates run backwards: %(since)s is after %(until)s",
                    since=self.since.isoformat(),
                    until=self.until.isoformat(),
                )
            )

    def sources(self) -> list[str]:
        return [s for kind, sources in KINDS.items() if not self.kinds or kind in self.kinds for s in sources]


@dataclass(frozen=True)
class Page:
    events: tuple[Event, ...]
    next_cursor: str | None  # pass as `after` for the next (older) page


@dataclass(frozen=True)
class Cursor:
    at: datetime
    source: str
    ref: int

    def encode(self) -> str:
        text = f"{self.at.isoformat()}|{self.source}|{self.ref}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text[:CURSOR_MAX] + "=" * (-len(text) % 4)).decode()
            at, source, ref = raw.split("|")
            found = cls(datetime.fromisoformat(at).astimezone(UTC), source, int(ref))
        except (ValueError, OverflowError) as exc:
            raise BadArgument(_m("this page link is damaged: open the timeline from its first page")) from exc
        if found.source not in SOURCES:
            raise BadArgument(_m("this page link is damaged: open the timeline from its first page"))
        return found


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _tie(source: str, ref: Any, cursor: Cursor) -> ColumnElement[bool]:
    """Same moment as the cursor: after it in (source, ref) descending order."""
    if source == cursor.source:
        return ref < cursor.ref  # type: ignore[no-any-return]
    return true() if source < cursor.source else false()


def _before_moment(moment: Any, source: str, ref: Any, cursor: Cursor) -> ColumnElement[bool]:
    return or_(moment < cursor.at, and_(moment == cursor.at, _tie(source, ref, cursor)))


def _before_day(day: Any, source: str, ref: Any, cursor: Cursor) -> ColumnElement[bool]:
    """A date column's events stand at midnight: before a cursor at midnight of D are the dates
    before D (and D itself on a tie); before any later moment of D, D too."""
    c_day = cursor.at.date()
    if cursor.at != _midnight(c_day):
        return day <= c_day  # type: ignore[no-any-return]
    return or_(day < c_day, and_(day == c_day, _tie(source, ref, cursor)))


@dataclass(frozen=True)
class Source:
    """How to read one source: its query for a customer, its moment (or date) column, its row id,
    and how a row becomes an event."""

    query: Callable[[int], Select[Any]]
    moment: Callable[[], Any]
    ref: Callable[[], Any]
    dated: bool  # the moment is a date (midnight UTC)

    def select(
        self, name: str, customer_id: int, which: Filter, cursor: Cursor | None, limit: int
    ) -> Select[Any]:
        query = self.query(customer_id)
        moment, ref = self.moment(), self.ref()
        if which.since is not None:
            query = query.where(moment >= (which.since if self.dated else _midnight(which.since)))
        if which.until is not None:
            end = which.until + timedelta(days=1)
            query = query.where(moment < (end if self.dated else _midnight(end)))
        if cursor is not None:
            before = _before_day if self.dated else _before_moment
            query = query.where(before(moment, name, ref, cursor))
        return query.order_by(moment.desc(), ref.desc()).limit(limit)


def _notices(customer_id: int) -> Select[Any]:
    n, ni = NOTICES.c, NOTICE_ITEMS.c
    amount = select(func.coalesce(func.sum(ni.open_minor), 0)).where(ni.notice_id == n.id).scalar_subquery()
    return select(
        n.as_of.label("at"),
        n.id.label("ref"),
        n.step.label("what"),
        n.status.label("status"),
        amount.label("amount_minor"),
        n.currency.label("currency"),
    ).where(n.customer_id == customer_id)


def _deliveries(customer_id: int) -> Select[Any]:
    d, n = DELIVERIES.c, NOTICES.c
    return (
        select(
            func.coalesce(d.sent_at, d.created_at).label("at"),
            d.id.label("ref"),
            n.step.label("what"),
            d.status.label("status"),
            d.provider_status.label("reason"),
            d.channel.label("channel"),
            func.coalesce(d.tracking_number, d.provider_id, d.last_error).label("note"),
        )
        .join(NOTICES, n.id == d.notice_id)
        .where(n.customer_id == customer_id)
    )


def _activities(customer_id: int) -> Select[Any]:
    a = ACTIVITIES.c
    return (
        select(
            a.at,
            a.id.label("ref"),
            a.kind.label("what"),
            a.outcome.label("status"),
            a.reason,
            a.channel,
            a.follow_up_on.label("on"),
            a.actor,
            a.note,
            CONTACTS.c.name.label("contact"),
        )
        .select_from(ACTIVITIES.outerjoin(CONTACTS, CONTACTS.c.id == a.contact_id))
        .where(a.customer_id == customer_id)
    )


def _settlements(table: Any) -> Callable[[int], Select[Any]]:
    def query(customer_id: int) -> Select[Any]:
        t = table.c
        return select(
            t.date.label("at"), t.id.label("ref"), t.external_id.label("what"), t.amount_minor, t.currency
        ).where(t.customer_id == customer_id)

    return query


def _promises(customer_id: int) -> Select[Any]:
    p = PROMISES.c
    return select(
        p.made_on.label("at"),
        p.id.label("ref"),
        literal("made").label("status"),
        p.due_on.label("on"),
        p.amount_minor,
        p.currency,
        p.actor,
    ).where(p.customer_id == customer_id)


def _promise_ends(customer_id: int) -> Select[Any]:
    p = PROMISES.c
    return select(
        p.decided_on.label("at"),
        p.id.label("ref"),
        p.status,
        p.reason,
        p.due_on.label("on"),
        p.amount_minor,
        p.currency,
    ).where(p.customer_id == customer_id, p.decided_on.is_not(None))


def _disputes(customer_id: int) -> Select[Any]:
    s, i = DISPUTES.c, INVOICES.c
    return (
        select(
            s.opened_at.label("at"),
            s.id.label("ref"),
            i.external_id.label("what"),
            literal("open").label("status"),
            s.reason,
            s.amount_minor,
            s.currency,
            s.opened_by.label("actor"),
            s.note,
        )
        .join(INVOICES, i.id == s.invoice_id)
        .where(s.customer_id == customer_id)
    )


def _dispute_ends(customer_id: int) -> Select[Any]:
    s, i = DISPUTES.c, INVOICES.c
    return (
        select(
            s.resolved_at.label("at"),
            s.id.label("ref"),
            i.external_id.label("what"),
            s.outcome.label("status"),
            s.resolved_minor.label("amount_minor"),
            s.currency,
            s.resolved_by.label("actor"),
        )
        .join(INVOICES, i.id == s.invoice_id)
        .where(s.customer_id == customer_id, s.resolved_at.is_not(None))
    )


def _changes(customer_id: int) -> Select[Any]:
    """Holds, releases, cease-contact and dispute changes: the audit rows on the customer or one of
    its invoices (through the audit log's object index)."""
    log, i, c = AUDIT_LOG.c, INVOICES.c, CUSTOMERS.c
    customer = select(literal("customer:") + c.external_id).where(c.id == customer_id).scalar_subquery()
    invoices = select(literal("invoice:") + i.external_id).where(i.customer_id == customer_id)
    on_it = or_(log.object == customer, log.object.in_(invoices))
    changes = or_(log.action.like("customer.%"), log.action.like("invoice.%"))
    return select(
        log.at,
        log.id.label("ref"),
        log.action.label("what"),
        log.object.label("reason"),
        log.actor,
        log.after.label("note"),
    ).where(on_it, changes)


def _grading_holds(customer_id: int) -> Select[Any]:
    """Credit holds a grading set: one audit row for the whole grading (`grades.compute`, the object
    `grades:<as of>`, who ran it), the hold itself in `credit_holds` naming that row. Other holds
    have an audit row on the customer of their own (`_changes`)."""
    h, log = CREDIT_HOLDS.c, AUDIT_LOG.c
    return (
        select(
            h.set_at.label("at"),
            h.id.label("ref"),
            literal("customer.credit_hold").label("what"),
            h.rule.label("status"),
            log.object.label("reason"),
            h.set_on.label("on"),
            log.actor,
            h.detail.label("note"),
        )
        .join(AUDIT_LOG, log.id == h.audit_id)
        .where(h.customer_id == customer_id, log.action == "grades.compute")
    )


def _tasks(customer_id: int) -> Select[Any]:
    t = TASKS.c
    return select(
        t.created_at.label("at"),
        t.id.label("ref"),
        t.title.label("what"),
        t.status,
        t.outcome.label("reason"),
        t.kind.label("channel"),
        t.due_on.label("on"),
        func.coalesce(t.done_by, t.assignee).label("actor"),
    ).where(t.customer_id == customer_id)


SOURCES: dict[str, Source] = {
    "activity": Source(_activities, lambda: ACTIVITIES.c.at, lambda: ACTIVITIES.c.id, dated=False),
    "change": Source(_changes, lambda: AUDIT_LOG.c.at, lambda: AUDIT_LOG.c.id, dated=False),
    "credit_hold": Source(
        _grading_holds, lambda: CREDIT_HOLDS.c.set_at, lambda: CREDIT_HOLDS.c.id, dated=False
    ),
    "credit_note": Source(
        _settlements(CREDIT_NOTES), lambda: CREDIT_NOTES.c.date, lambda: CREDIT_NOTES.c.id, dated=True
    ),
    "delivery": Source(
        _deliveries,
        lambda: func.coalesce(DELIVERIES.c.sent_at, DELIVERIES.c.created_at),
        lambda: DELIVERIES.c.id,
        dated=False,
    ),
    "dispute": Source(_disputes, lambda: DISPUTES.c.opened_at, lambda: DISPUTES.c.id, dated=False),
    "dispute_end": Source(_dispute_ends, lambda: DISPUTES.c.resolved_at, lambda: DISPUTES.c.id, dated=False),
    "notice": Source(_notices, lambda: NOTICES.c.as_of, lambda: NOTICES.c.id, dated=True),
    "payment": Source(_settlements(PAYMENTS), lambda: PAYMENTS.c.date, lambda: PAYMENTS.c.id, dated=True),
    "promise": Source(_promises, lambda: PROMISES.c.made_on, lambda: PROMISES.c.id, dated=True),
    "promise_end": Source(_promise_ends, lambda: PROMISES.c.decided_on, lambda: PROMISES.c.id, dated=True),
    "task": Source(_tasks, lambda: TASKS.c.created_at, lambda: TASKS.c.id, dated=False),
    "plan": Source(plan_events, lambda: PLANS.c.start_on, lambda: PLANS.c.id, dated=True),
    "plan_end": Source(plan_end_events, lambda: PLANS.c.decided_on, lambda: PLANS.c.id, dated=True),
}
_FIELDS = (
    "what",
    "status",
    "reason",
    "channel",
    "on",
    "amount_minor",
    "currency",
    "actor",
    "note",
    "contact",
)


def _event(source: str, row: Any) -> Event:
    values = row._mapping
    at = values["at"]
    moment = _midnight(at) if SOURCES[source].dated else as_utc(at)
    found = {name: values[name] for name in _FIELDS if name in values}
    return Event(moment, source, int(values["ref"]), **found)


def timeline(
    conn: Connection,
    *,
    user: User,
    customer: str,
    which: Filter = Filter(),
    after: str | None = None,
    limit: int = 50,
) -> Page:
    """A page of the customer's timeline, newest first; `after` is the `next_cursor` of the page
    before. A bounded number of statements whatever the customer's history."""
    require(user, Permission.LEDGER_READ)
    which.check()
    customer_id = customer_id_of(conn, user=user, code=customer)
    cursor = None if after is None else Cursor.decode(after)
    size = max(1, min(limit, PAGE_MAX))
    found: list[Event] = []
    for name in which.sources():
        query = SOURCES[name].select(name, customer_id, which, cursor, size + 1)
        found += [_event(name, row) for row in conn.execute(query)]
    found.sort(key=lambda e: (e.at, e.source, e.ref), reverse=True)
    shown = _with_attachments(conn, found[:size])
    last = shown[-1] if shown and len(found) > size else None
    return Page(tuple(shown), None if last is None else Cursor(last.at, last.source, last.ref).encode())


def _with_attachments(conn: Connection, events: list[Event]) -> list[Event]:
    files = attachments_of(conn, [e.ref for e in events if e.source == "activity"])
    return [replace(e, attachments=tuple(files[e.ref])) if e.source == "activity" else e for e in events]


def whole_timeline(
    conn: Connection, *, user: User, customer: str, which: Filter = Filter(), most: int = 100_000
) -> list[Event]:
    """Every event of the filter (at most `most`), page by page: for the exports."""
    events: list[Event] = []
    after: str | None = None
    while len(events) < most:
        page = timeline(conn, user=user, customer=customer, which=which, after=after, limit=PAGE_MAX)
        events += page.events
        if (after := page.next_cursor) is None:
            break
    return events[:most]


def kinds_of(names: Collection[str]) -> frozenset[str]:
    """Kinds as typed (`--kind activity,payment`, repeated or comma-separated)."""
    return frozenset(k.strip() for name in names for k in name.split(",") if k.strip())
