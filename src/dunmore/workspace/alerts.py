"""Internal alerts (内催): what the account owner and the managers are told about a customer.

`raise_alert` is the one way to create an alert; every piece of the workspace (promises, disputes,
the run) calls it in the transaction of the change it reports. An alert is stored once per recipient
and `key` (e.g. `promise-broken:42`), so a second run the same day raises nothing new. Its text is
said in the reader's language when read (`kind` + `params`), not when raised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from dunmore.access.models import USERS
from dunmore.access.values import Role
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.models import ALERTS

Params = Mapping[str, str | int]


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
    if not wanted:
        return 0
    had = set(
        conn.execute(
            select(ALERTS.c.recipient).where(ALERTS.c.key == key, ALERTS.c.recipient.in_(wanted))
        ).scalars()
    )
    rows = [
        {
            "recipient": recipient,
            "kind": kind,
            "key": key,
            "customer_id": customer_id,
            "params": json.dumps(dict(params), sort_keys=True, ensure_ascii=False),
            "created_at": at,
        }
        for recipient in wanted
        if recipient not in had
    ]
    if rows:
        conn.execute(insert(ALERTS), rows)
    return len(rows)
