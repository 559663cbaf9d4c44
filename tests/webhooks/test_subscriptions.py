"""Subscriptions: what an administrator may add, the secret shown once, removal, every change
audited; on both backends."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from dunmore.access.audit import list_rows
from dunmore.access.values import Language, Role, User
from dunmore.errors import BadArgument, NotFound, PermissionDenied
from dunmore.store.db import transaction
from dunmore.webhooks import service
from dunmore.webhooks.models import WEBHOOK_SUBSCRIPTIONS

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ERP = "https://erp.example.cn/hooks/dunmore"


def add(engine: Engine, url: str = ERP, *events: str, user: User | None = None) -> service.NewSubscription:
    with transaction(engine) as conn:
        return service.add(
            conn, url=url, events=events or ("run.committed",), now=NOW, actor="cli:ops", user=user
        )


def user(role: Role) -> User:
    return User(1, "li.wei", role, Language.ZH_CN, frozenset(), False, NOW)


def test_a_subscription_is_listed_with_its_events_and_never_its_secret(engine: Engine) -> None:
    new = add(engine, ERP, "dispute.opened", "run.committed", "run.committed")
    assert new.secret.startswith("whsec_")
    assert len(new.secret) > 40
    with transaction(engine) as conn:
        [listed] = service.listing(conn)
        stored = conn.execute(select(WEBHOOK_SUBSCRIPTIONS.c.secret)).scalar_one()
    assert stored == new.secret  # kept as given: HMAC needs it
    assert listed.events == ("run.committed", "dispute.opened")  # known order, no repeats
    assert (listed.url, listed.active, listed.created_by, listed.created_at) == (ERP, True, "cli:ops", NOW)
    assert new.secret not in repr(listed)
    another = add(engine)
    assert another.secret != new.secret


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://erp.example.cn/in", "is not an http(s) URL"),
        ("erp.example.cn/hooks", "is not an http(s) URL"),
        ("https:///hooks", "is not an http(s) URL"),
        ("https://ops:secret@erp.example.cn/in", "carries no user name or password"),
        ("https://erp.example.cn:99999/in", "has an invalid port"),
        ("https://erp.example.cn/a b", "has spaces or characters outside ASCII"),
        ("https://应收.example.cn/in", "xn-- form"),
        ("https://erp.example.cn/" + "x" * 2000, "1 to 2000 characters, this one 2023"),
        ("   ", "1 to 2000 characters, this one 0"),
    ],
)
def test_a_bad_url_is_refused_with_what_to_write(sqlite_engine: Engine, url: str, says: str) -> None:
    with pytest.raises(BadArgument, match=re.escape(says)):
        add(sqlite_engine, url)
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(WEBHOOK_SUBSCRIPTIONS)).scalar() == 0


def test_unknown_or_missing_event_types_are_refused_naming_the_known_ones(sqlite_engine: Engine) -> None:
    with pytest.raises(BadArgument, match=r"unknown webhook event 'run\.comitted': use run\.committed, "):
        add(sqlite_engine, ERP, "run.comitted", "dispute.opened")
    with transaction(sqlite_engine) as conn, pytest.raises(BadArgument, match="at least one event"):
        service.add(conn, url=ERP, events=[], now=NOW, actor="cli:ops")


def test_at_most_a_hundred_subscriptions_are_active(sqlite_engine: Engine) -> None:
    for number in range(service.ACTIVE_MAX):
        add(sqlite_engine, f"{ERP}/{number}")
    with pytest.raises(BadArgument, match="already 100 webhook subscriptions"):
        add(sqlite_engine)
    with transaction(sqlite_engine) as conn:
        service.remove(conn, 1, now=NOW, actor="cli:ops")
    add(sqlite_engine)  # room again


def test_only_an_administrator_manages_subscriptions(sqlite_engine: Engine) -> None:
    with pytest.raises(PermissionDenied, match=r"may not change settings \(settings.manage\)"):
        add(sqlite_engine, user=user(Role.MANAGER))
    assert add(sqlite_engine, user=user(Role.ADMIN)).subscription.id == 1
    with transaction(sqlite_engine) as conn, pytest.raises(PermissionDenied):
        service.listing(conn, user=user(Role.VIEWER))


def test_removal_is_audited_and_a_removed_subscription_stays_listed(engine: Engine) -> None:
    new = add(engine)
    with transaction(engine) as conn:
        cancelled = service.remove(conn, new.subscription.id, now=NOW, actor="cli:ops")
        [listed] = service.listing(conn)
        rows = list_rows(conn)
    assert cancelled == 0
    assert (listed.active, listed.removed_at) == (False, NOW)
    assert sorted((r.actor, r.action, r.object) for r in rows) == [
        ("cli:ops", "webhook.add", "webhook:1"),
        ("cli:ops", "webhook.remove", "webhook:1"),
    ]
    assert new.secret not in "".join(f"{r.before}{r.after}" for r in rows)
    with transaction(engine) as conn, pytest.raises(NotFound, match="no active webhook subscription 1"):
        service.remove(conn, 1, now=NOW, actor="cli:ops")
