"""Internal alerts (内催): what the account owner and the managers are told about a customer.

`raise_alert` is the one way to create an alert; every piece of the workspace (promises, disputes,
the run) calls it in the transaction of the change it reports. An alert is stored once per recipient
and `key` (e.g. `promise-broken:42`), so a second run the same day raises nothing new. Its text is
said in the reader's language when read (`kind` + `params`), not when raised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from dunmore.access.models import USERS
from dunmore.access.values import Role
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.models import ALERTS

Params = Mapping[str, str | int]
CHUNK = 5000  # values of one IN list: far below the parameter limits of SQLite and PostgreSQL


def recipients_of(conn: Connection, customer_id: int | None) -> list[str]:
    """Who hears about a customer: its owner (when a live user has that login) and every live
    manager, each once, sorted."""
    managers = select(USERS.c.login).where(USERS.c.role == Role.MANAGER.value, ~USERS.c.disabled)
    found = set(conn.execute(managers).scalars())
    if customer_id is not None:
        owner = conn.execute(
            select(USERS.c.login)
            .join(CUSTOMERS, func.lower(CUSTOMERS.c.owner) == USERS.c.login)
            .where(CUSTOMERS.c.id == customer_id, ~USERS.c.disabled)
        ).scalar()
        if owner is not None:
            found.add(owner)
    return sorted(found)


@dataclass(frozen=True)
class NewAlert:
    """An alert to raise: what happened (`kind`, `params`), to which customer, under which `key`."""

    kind: str
    key: str
    customer_id: int | None
    params: Params


def raise_alert(
    conn: Connection,
    *,
    kind: str,
    key: str,
    customer_id: int | None,
    params: Params,
    at: datetime,
    recipients: Iterable[str] | None = None,
) -> int:
    """Store the alert for each recipient (default: `recipients_of` the customer) that does not have
    it yet; the number stored."""
    wanted = sorted(set(recipients_of(conn, customer_id) if recipients is None else recipients))
    return _store(conn, [(NewAlert(kind, key, customer_id, params), wanted)], at)


def raise_alerts(conn: Connection, alerts: Sequence[NewAlert], *, at: datetime) -> int:
    """`raise_alert` for many alerts at once, each to its customer's owner and the managers: a bounded
    number of statements whatever their number (the run raises its alerts through this)."""
    if not alerts:
        return 0
    managers = select(USERS.c.login).where(USERS.c.role == Role.MANAGER.value, ~USERS.c.disabled)
    found = sorted(set(conn.execute(managers).scalars()))
    owners = _owners(conn, {a.customer_id for a in alerts if a.customer_id is not None})
    wanted = [(a, sorted({*found, *owners.get(a.customer_id or 0, ())})) for a in alerts]
    return _store(conn, wanted, at)


def _owners(conn: Connection, customer_ids: set[int]) -> dict[int, set[str]]:
    owners: dict[int, set[str]] = {}
    ids = sorted(customer_ids)
    for start in range(0, len(ids), CHUNK):
        query = (
            select(CUSTOMERS.c.id, USERS.c.login)
            .join(USERS, func.lower(CUSTOMERS.c.owner) == USERS.c.login)
            .where(CUSTOMERS.c.id.in_(ids[start : start + CHUNK]), ~USERS.c.disabled)
        )
        for customer_id, login in conn.execute(query):
            owners.setdefault(customer_id, set()).add(login)
    return owners


def _had(conn: Connection, logins: list[str], keys: list[str]) -> set[tuple[str, str]]:
    """The (recipient, key) pairs stored already, read through the (recipient, key) unique index."""
    had: set[tuple[str, str]] = set()
    if not logins:
        return had
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        query = select(ALERTS.c.recipient, ALERTS.c.key).where(
            ALERTS.c.recipient.in_(logins), ALERTS.c.key.in_(chunk)
        )
        had.update((recipient, key) for recipient, key in conn.execute(query))
    return had


def _store(conn: Connection, wanted: list[tuple[NewAlert, list[str]]], at: datetime) -> int:
    """Insert the (alert, recipient) pairs not stored yet, and queue the e-mail of those whose
    recipient wants each alert at once (`staff_mail`)."""
    from dunmore.workspace import staff_mail

    logins = sorted({recipient for _alert, recipients in wanted for recipient in recipients})
    had = _had(conn, logins, sorted({alert.key for alert, recipients in wanted if recipients}))
    rows = [
        {
            "recipient": recipient,
            "kind": alert.kind,
            "key": alert.key,
            "customer_id": alert.customer_id,
            "params": json.dumps(dict(alert.params), sort_keys=True, ensure_ascii=False),
            "created_at": at,
        }
        for alert, recipients in wanted
        for recipient in recipients
        if (recipient, alert.key) not in had
    ]
    if not rows:
        return 0
    ids = list(conn.execute(insert(ALERTS).returning(ALERTS.c.id), rows).scalars())
    staff_mail.queue_immediate(conn, alert_ids=ids, at=at)
    return len(rows)
