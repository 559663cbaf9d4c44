"""Each user's calendar: their follow-ups, the promise dates of their customers and their task
deadlines — as an agenda (the `/calendar` page) and as a private iCalendar feed that Outlook, Google
Calendar or DingTalk subscribe to (`/calendar/<token>.ics`); with the due dates of the approved contract
schedules of the customers they own.

The feed is public by its token only: 32 random bytes, kept as their SHA-256 (like API tokens), one
per user, replaced by `make_token` and ended by `revoke_token` (both audited). A feed shows only its
user's events: follow-ups they logged, tasks assigned to them, and pending promises of the customers
within their reach (`customer_scope`), between `BACK` days ago and `AHEAD` days ahead, at most `LIMIT`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from dunmore import i18n
from dunmore.access import audit
from dunmore.access.credentials import token_digest
from dunmore.access.models import USERS
from dunmore.access.permissions import customer_scope
from dunmore.access.service import get_user
from dunmore.access.values import User
from dunmore.delivery.models import TASKS
from dunmore.i18n import N_
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.alert_texts import money_text
from dunmore.workspace.mail_models import CALENDAR_TOKENS
from dunmore.workspace.models import ACTIVITIES, PROMISES
from dunmore.workspace.plan_models import PLAN_INSTALMENTS, PLANS

TOKEN_PREFIX = "dcal_"
TOKEN_MAX = 100
BACK, AHEAD, LIMIT = 30, 180, 2000
INSTALMENT_DUE = N_("%(customer)s pays an instalment of %(amount)s")


@dataclass(frozen=True)
class Event:
    """One all-day entry of the calendar."""

    uid: str  # stable, so that a subscribed calendar updates an event rather than adding it again
    on: date
    kind: str  # follow_up | promise | task | instalment
    title: str  # in the user's language
    customer_code: str


def make_token(conn: Connection, *, login: str, actor: str, at: datetime) -> str:
    """A new feed token for the user (the old one stops working); shown once, kept as its hash."""
    user = get_user(conn, login=login)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(delete(CALENDAR_TOKENS).where(CALENDAR_TOKENS.c.user_id == user.id))
    conn.execute(
        insert(CALENDAR_TOKENS).values(user_id=user.id, token_sha256=token_digest(secret), created_at=at)
    )
    audit.record(conn, at=at, actor=actor, action="calendar.token", object=f"user:{user.login}")
    return secret


def revoke_token(conn: Connection, *, login: str, actor: str, at: datetime) -> bool:
    """End the user's feed; whether there was one."""
    user = get_user(conn, login=login)
    gone = conn.execute(delete(CALENDAR_TOKENS).where(CALENDAR_TOKENS.c.user_id == user.id)).rowcount
    if gone:
        audit.record(conn, at=at, actor=actor, action="calendar.revoke", object=f"user:{user.login}")
    return bool(gone)


def user_of_token(conn: Connection, token: str) -> User | None:
    """The live user whose feed this token opens, or None (unknown, revoked, disabled)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > TOKEN_MAX:
        return None
    query = (
        select(USERS.c.login)
        .join(CALENDAR_TOKENS, CALENDAR_TOKENS.c.user_id == USERS.c.id)
        .where(CALENDAR_TOKENS.c.token_sha256 == token_digest(token), ~USERS.c.disabled)
    )
    login = conn.execute(query).scalar()
    return None if login is None else get_user(conn, login=login)


def events(conn: Connection, *, user: User, today: date) -> list[Event]:
    """The user's events from `BACK` days before `today` to `AHEAD` days after, by date."""
    start, end = today - timedelta(days=BACK), today + timedelta(days=AHEAD)
    language = user.language.value
    found = _follow_ups(conn, user, start, end, language) + _promises(conn, user, start, end, language)
    found += _tasks(conn, user, start, end, language) + _instalments(conn, user, start, end, language)
    found += _contracts(conn, user, start, end)
    return sorted(found, key=lambda e: (e.on, e.kind, e.uid))[:LIMIT]


def _say(language: str, message: str, **values: Any) -> str:
    return i18n.translate(language, message, **values)


def _follow_ups(conn: Connection, user: User, start: date, end: date, language: str) -> list[Event]:
    a = ACTIVITIES.c
    query = (
        select(a.id, a.follow_up_on, CUSTOMERS.c.external_id, CUSTOMERS.c.name)
        .join(CUSTOMERS, CUSTOMERS.c.id == a.customer_id)
        .where(a.actor == user.login, a.follow_up_on >= start, a.follow_up_on <= end)
        .limit(LIMIT)
    )
    return [
        Event(
            f"follow-up-{row.id}@dunmore",
            row.follow_up_on,
            "follow_up",
            _say(language, "Follow up with %(customer)s", customer=f"{row.name} ({row.external_id})"),
            row.external_id,
        )
        for row in conn.execute(query)
    ]


def _promises(conn: Connection, user: User, start: date, end: date, language: str) -> list[Event]:
    p = PROMISES.c
    query = (
        select(p.id, p.due_on, p.amount_minor, p.currency, CUSTOMERS.c.external_id, CUSTOMERS.c.name)
        .join(CUSTOMERS, CUSTOMERS.c.id == p.customer_id)
        .where(p.status == "pending", p.due_on >= start, p.due_on <= end, customer_scope(user))
        .limit(LIMIT)
    )
    return [
        Event(
            f"promise-{row.id}@dunmore",
            row.due_on,
            "promise",
            _say(
                language,
                "%(customer)s promised to pay %(amount)s",
                customer=f"{row.name} ({row.external_id})",
                amount=money_text(row.amount_minor, row.currency, language),
            ),
            row.external_id,
        )
        for row in conn.execute(query)
    ]


def _instalments(conn: Connection, user: User, start: date, end: date, language: str) -> list[Event]:
    """The instalments of the active plans of the user's customers."""
    n, p, c = PLAN_INSTALMENTS.c, PLANS.c, CUSTOMERS.c
    query = (
        select(n.plan_id, n.number, n.due_on, n.amount_minor, p.currency, c.external_id, c.name)
        .join(PLANS, p.id == n.plan_id)
        .join(CUSTOMERS, c.id == p.customer_id)
        .where(p.status == "active", n.due_on >= start, n.due_on <= end, customer_scope(user))
        .limit(LIMIT)
    )
    return [
        Event(
            f"plan-{row.plan_id}-{row.number}@dunmore",
            row.due_on,
            "instalment",
            _say(
                language,
                INSTALMENT_DUE,
                customer=f"{row.name} ({row.external_id})",
                amount=money_text(row.amount_minor, row.currency, language),
            ),
            row.external_id,
        )
        for row in conn.execute(query)
    ]


def _tasks(conn: Connection, user: User, start: date, end: date, language: str) -> list[Event]:
    t = TASKS.c
    query = (
        select(t.id, t.due_on, t.title, CUSTOMERS.c.external_id, CUSTOMERS.c.name)
        .join(CUSTOMERS, CUSTOMERS.c.id == t.customer_id)
        .where(t.assignee == user.login, t.status == "open", t.due_on >= start, t.due_on <= end)
        .limit(LIMIT)
    )
    return [
        Event(
            f"task-{row.id}@dunmore",
            row.due_on,
            "task",
            _say(
                language,
                "Task due: %(title)s (%(customer)s)",
                title=row.title,
                customer=f"{row.name} ({row.external_id})",
            ),
            row.external_id,
        )
        for row in conn.execute(query)
    ]


def _contracts(conn: Connection, user: User, start: date, end: date) -> list[Event]:
    """Due dates of contract schedules (dunmore.credit.contract_calendar), imported when asked."""
    from dunmore.credit.contract_calendar import contract_events

    return contract_events(conn, user=user, start=start, end=end, limit=LIMIT)


def ics(found: list[Event], *, user: User, stamp: datetime) -> bytes:
    """The events as an iCalendar (RFC 5545) file of all-day events."""
    from icalendar import Calendar
    from icalendar import Event as Entry

    calendar = Calendar()
    calendar.add("prodid", "-//Dunmore//alerts calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Dunmore · {user.login}")
    for event in found:
        entry = Entry()
        entry.add("uid", event.uid)
        entry.add("dtstamp", stamp)
        entry.add("dtstart", event.on)
        entry.add("dtend", event.on + timedelta(days=1))
        entry.add("summary", event.title)
        entry.add("categories", [event.kind])
        calendar.add_component(entry)
    return bytes(calendar.to_ical())
