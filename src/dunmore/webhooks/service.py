"""Webhook subscriptions: the rules and the writes. Every change appends an audit row.

Functions take the caller's connection (the caller owns the transaction), keyword arguments, the
acting person (`actor`) and the moment (`now`). Managing subscriptions is an administrator's
(`settings.manage`): a `user` given (the web, the API) is checked; the command line is run by
whoever can open the database, as for `dunmore users`.
"""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Connection, case, func, insert, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.store.db import as_utc
from dunmore.webhooks import emit, outbox
from dunmore.webhooks.events import EVENT_TYPES, PING
from dunmore.webhooks.models import WEBHOOK_DELIVERIES, WEBHOOK_SUBSCRIPTION_EVENTS, WEBHOOK_SUBSCRIPTIONS

URL_MAX: Final = 2000
ACTIVE_MAX: Final = 100  # subscriptions at once: each event is posted to every subscriber
SECRET_PREFIX: Final = "whsec_"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription as listed: never its secret; with how its deliveries stand."""

    id: int
    url: str
    events: tuple[str, ...]
    active: bool
    created_by: str
    created_at: datetime
    removed_at: datetime | None
    pending: int = 0
    sent: int = 0
    dead: int = 0


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """A subscription just added, with its secret: shown this once, to give to the receiver."""

    subscription: Subscription
    secret: str


def check_url(url: str) -> str:
    """The URL as stored, or `BadArgument` saying what is wrong with it."""
    url = url.strip()
    if not url or len(url) > URL_MAX:
        raise BadArgument(
            _m("a webhook URL has 1 to %(most)s characters, this one %(count)s", most=URL_MAX, count=len(url))
        )
    if not (url.isascii() and url.isprintable()) or " " in url:
        raise BadArgument(
            _m(
                "webhook URL %(url)s has spaces or characters outside ASCII: percent-encode them, "
                "and write an international domain name in its xn-- form",
                url=repr(url[:100]),
            )
        )
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadArgument(
            _m(
                "webhook URL %(url)s is not an http(s) URL: write it as https://host/path",
                url=repr(url[:100]),
            )
        )
    if parts.username is not None or parts.password is not None:
        raise BadArgument(
            _m(
                "a webhook URL carries no user name or password (they would show in `webhooks list` and the "
                "audit log): the receiver checks the X-Dunmore-Signature header instead"
            )
        )
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as exc:
        raise BadArgument(
            _m("webhook URL %(url)s has an invalid port: %(why)s", url=repr(url[:100]), why=str(exc))
        ) from exc
    return url


def check_events(events: Iterable[str]) -> tuple[str, ...]:
    """The event types, known, without repeats, in the order of `EVENT_TYPES`."""
    chosen = {event.strip() for event in events}
    if not chosen:
        raise BadArgument(_m("name at least one event with --event: %(known)s", known=", ".join(EVENT_TYPES)))
    if unknown := sorted(chosen - set(EVENT_TYPES)):
        shown = ", ".join(repr(event[:60]) for event in unknown[:5])
        raise BadArgument(
            _m("unknown webhook event %(events)s: use %(known)s", events=shown, known=", ".join(EVENT_TYPES))
        )
    return tuple(event for event in EVENT_TYPES if event in chosen)


def add(
    conn: Connection, *, url: str, events: Iterable[str], now: datetime, actor: str, user: User | None = None
) -> NewSubscription:
    """Subscribe `url` to `events` with a new secret; audited as `webhook.add` (never the secret)."""
    if user is not None:
        require(user, Permission.SETTINGS_MANAGE)
    url, chosen = check_url(url), check_events(events)
    s = WEBHOOK_SUBSCRIPTIONS.c
    active = conn.execute(select(func.count()).where(s.active)).scalar_one()
    if active >= ACTIVE_MAX:
        raise BadArgument(
            _m(
                "there are already %(count)s webhook subscriptions, the most there may be: remove one first "
                "(`dunmore webhooks list`, `dunmore webhooks remove ID`)",
                count=active,
            )
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    values = {"url": url, "secret": secret, "active": True, "created_by": actor, "created_at": now}
    new_id = int(conn.execute(insert(WEBHOOK_SUBSCRIPTIONS).values(values).returning(s.id)).scalar_one())
    conn.execute(
        insert(WEBHOOK_SUBSCRIPTION_EVENTS), [{"subscription_id": new_id, "event_type": e} for e in chosen]
    )
    audit.record(conn, at=now, actor=actor, action="webhook.add", object=f"webhook:{new_id}",
                 after={"url": url, "events": list(chosen), "active": True})  # fmt: skip
    return NewSubscription(Subscription(new_id, url, chosen, True, actor, now, None), secret)


def listing(conn: Connection, *, user: User | None = None) -> list[Subscription]:
    """Every subscription, removed ones too, oldest first, with its deliveries counted by status."""
    if user is not None:
        require(user, Permission.SETTINGS_MANAGE)
    s, e, w = WEBHOOK_SUBSCRIPTIONS.c, WEBHOOK_SUBSCRIPTION_EVENTS.c, WEBHOOK_DELIVERIES.c
    events: dict[int, list[str]] = {}
    for subscription_id, event_type in conn.execute(select(e.subscription_id, e.event_type)):
        events.setdefault(subscription_id, []).append(event_type)
    counts = {
        row.subscription_id: row
        for row in conn.execute(
            select(
                w.subscription_id,
                *(func.sum(case((w.status.in_(of), 1), else_=0)).label(name) for name, of in _COUNTED),
            ).group_by(w.subscription_id)
        )
    }
    return [
        Subscription(
            row.id, row.url, tuple(t for t in EVENT_TYPES if t in events.get(row.id, ())), row.active,
            row.created_by, as_utc(row.created_at), row.removed_at and as_utc(row.removed_at),
            *(int(getattr(counts[row.id], name) or 0) if row.id in counts else 0 for name, _ in _COUNTED),
        )
        for row in conn.execute(select(WEBHOOK_SUBSCRIPTIONS).order_by(s.id))
    ]  # fmt: skip


_COUNTED: Final = (("pending", ("pending", "sending")), ("sent", ("sent",)), ("dead", ("dead", "failed")))


def _active(conn: Connection, subscription_id: int) -> str:
    """The URL of an active subscription, or `NotFound`."""
    s = WEBHOOK_SUBSCRIPTIONS.c
    url = conn.execute(select(s.url).where(s.id == subscription_id, s.active)).scalar()
    if url is None:
        raise NotFound(
            _m(
                "no active webhook subscription %(subscription)s: `dunmore webhooks list` shows them",
                subscription=subscription_id,
            )
        )
    return str(url)


def remove(
    conn: Connection, subscription_id: int, *, now: datetime, actor: str, user: User | None = None
) -> int:
    """Stop a subscription: nothing more is sent to it, its waiting deliveries are cancelled (returns
    how many); it stays listed, removed, with what was sent. Audited as `webhook.remove`."""
    if user is not None:
        require(user, Permission.SETTINGS_MANAGE)
    url = _active(conn, subscription_id)
    s, w = WEBHOOK_SUBSCRIPTIONS.c, WEBHOOK_DELIVERIES.c
    conn.execute(
        update(WEBHOOK_SUBSCRIPTIONS).where(s.id == subscription_id).values(active=False, removed_at=now)
    )
    cancelled = conn.execute(
        update(WEBHOOK_DELIVERIES)
        .where(w.subscription_id == subscription_id, w.status == "pending")
        .values(status="cancelled", last_error="the subscription was removed")
    ).rowcount
    audit.record(conn, at=now, actor=actor, action="webhook.remove", object=f"webhook:{subscription_id}",
                 before={"url": url, "active": True},
                 after={"active": False, "deliveries_cancelled": cancelled})  # fmt: skip
    return int(cancelled)


def ping(
    conn: Connection, subscription_id: int, *, now: datetime, actor: str, lease: timedelta,
    user: User | None = None,
) -> outbox.Job:  # fmt: skip
    """A `ping` event for one subscription, claimed at once by the caller (`actor`), who posts it
    now (`WebhookPoster.attempt`); audited as `webhook.test`."""
    if user is not None:
        require(user, Permission.SETTINGS_MANAGE)
    url = _active(conn, subscription_id)
    data = {"subscription_id": subscription_id, "message": "a test from `dunmore webhooks test`"}
    claim = {"attempts": 1, "claimed_by": actor[:100], "claimed_until": now + lease}
    [event_id] = emit.store(conn, PING, [data], [subscription_id], now=now, status="sending", **claim)
    w = WEBHOOK_DELIVERIES.c
    delivery_id = conn.execute(select(w.id).where(w.event_id == event_id)).scalar_one()
    audit.record(conn, at=now, actor=actor, action="webhook.test", object=f"webhook:{subscription_id}",
                 after={"url": url, "delivery": delivery_id})  # fmt: skip
    [job] = outbox.jobs(conn, [delivery_id])
    return job
